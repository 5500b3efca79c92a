// Package cwmetrics reads DynamoDB's CloudWatch metrics to tell whether a
// table changed in a time window: the evidence on which a table may be
// skipped because nothing was written since its newest copy.
//
// What changes a table's data, and what shows it:
//   - every item write (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
//     TransactWriteItems, PartiQL) consumes write capacity, on provisioned
//     and on-demand tables alike, and shows in ConsumedWriteCapacityUnits
//     (Sum, per minute); a failed conditional write consumes capacity too,
//     so it counts as a change, which errs on the side of copying
//     ("DynamoDB Metrics and dimensions",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html;
//     "DynamoDB read and write operations",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html);
//   - TTL deletes items "without consuming write throughput"
//     (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html):
//     they show in TimeToLiveDeletedItemCount;
//   - writes replicated into a global table replica are billed as
//     replicated write units, and the docs do not say that they show in the
//     replica's ConsumedWriteCapacityUnits
//     (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html):
//     a table with replicas is never proven unchanged (Window.HasReplicas);
//   - a restore or an import writes a new table without consuming write
//     capacity (ImportTable requires the TableCreationParameters "of the
//     table created for the import operation",
//     https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ImportTable.html),
//     and so does deleting a table and re-creating it from a backup: a
//     table created after the window's start is changed (Window.Created).
//
// How an idle minute looks is documented two ways: "DynamoDB only sends
// metrics to CloudWatch when they have a non-zero value" (earlier editions
// of "DynamoDB Metrics and dimensions"), and "periods of inactivity where
// the sample value will be zero" (the current edition, under
// ConsumedWriteCapacityUnits). The reader assumes the less convenient
// reading: an idle table publishes nothing, so "no datapoints" cannot by
// itself tell idleness from an outage of the metrics. What tells them
// apart is AccountMaxWrites, the account's write quota: a metric that is
// never zero, so DynamoDB publishes it every five minutes in either
// reading. A window is proven unchanged only up to the first five minutes
// in which AccountMaxWrites is missing: past that the region's DynamoDB
// metrics are not (yet) published, and nothing is claimed. A loss of one
// table's datapoints while the account metric keeps flowing cannot be
// seen.
package cwmetrics

import (
	"context"
	"fmt"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// The metrics read, from "DynamoDB Metrics and dimensions".
const (
	namespace          = "AWS/DynamoDB"
	metricWrites       = "ConsumedWriteCapacityUnits"
	metricTTLDeletions = "TimeToLiveDeletedItemCount"
	metricWitness      = "AccountMaxWrites"
	dimensionTable     = "TableName"
	// witnessPeriod is the aggregation period of AccountMaxWrites: "For all
	// other DynamoDB metrics, the aggregation granularity is five minutes".
	witnessPeriod = 5 * time.Minute
)

// GetMetricData's limits: "A single GetMetricData call can include as many
// as 500 MetricDataQuery structures", and the default quota is "50
// transactions per second (TPS)"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html,
// https://repost.aws/knowledge-center/cloudwatch-getmetricdata-api).
const (
	maxQueriesPerCall = 500
	// windowsPerCall is how many tables one call reads: two queries each.
	windowsPerCall = maxQueriesPerCall / 2
	// DefaultCallsPerSecond stays under the 50 TPS quota, which is per
	// account and region and shared with every other caller.
	DefaultCallsPerSecond = 25
)

// DefaultDelay is how long after a minute ends its metrics are assumed
// visible. AWS documents no publication delay for DynamoDB's metrics (only
// that "CloudWatch alarms might have a short delay of up to a few
// minutes"); a write within the last Delay before a window's end is not
// claimed to be seen. The AccountMaxWrites check catches a longer delay.
const DefaultDelay = 5 * time.Minute

// DefaultSlack is how far apart the starts of windows read in one call may
// be. One call has one StartTime, so a window read with others starts up
// to this much early: a write in those minutes counts as a change, which
// can only make a table copied, never skipped.
const DefaultSlack = 10 * time.Minute

// Window is a table and the span whose writes the metrics are asked
// about (see core.ChangeWindow).
type Window = core.ChangeWindow

// Evidence is what the metrics prove about a window of Table (see
// core.ChangeEvidence): Changed, a write or a TTL deletion in
// [From, SeenUntil), or the table is newer than From; not Known when the
// metrics cannot prove the table unchanged (missing, partial or failed
// metrics, a global table, a window within the publication delay), which
// counts as changed; SeenUntil, the end of what the metrics show (To minus
// the publication delay, or earlier if the region's metrics stop before;
// zero when not Known).
type Evidence struct {
	Table string
	core.ChangeEvidence
}

// API is the CloudWatch call the Reader makes.
type API interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

var _ API = (*cloudwatch.Client)(nil)

// Options tune a Reader; zero fields take the defaults.
type Options struct {
	Delay          time.Duration
	Slack          time.Duration
	CallsPerSecond float64
}

// Reader answers Changes for one region's tables.
type Reader struct {
	api   API
	delay time.Duration
	slack time.Duration
	pace  *pacer
}

// New returns a Reader over api (a CloudWatch client of the tables'
// region).
func New(api API, opts Options) *Reader {
	if opts.Delay <= 0 {
		opts.Delay = DefaultDelay
	}
	if opts.Slack <= 0 {
		opts.Slack = DefaultSlack
	}
	if opts.CallsPerSecond <= 0 {
		opts.CallsPerSecond = DefaultCallsPerSecond
	}
	return &Reader{api: api, delay: opts.Delay, slack: opts.Slack,
		pace: &pacer{every: time.Duration(float64(time.Second) / opts.CallsPerSecond)}}
}

// NewFromConfig returns a Reader for region's tables. The SDK honours
// AWS_ENDPOINT_URL_CLOUDWATCH through cfg.
func NewFromConfig(cfg aws.Config, region string, opts Options) *Reader {
	return New(cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Region = region }), opts)
}

// Changes reads the metrics of every window, in batches of up to 500
// queries per GetMetricData call, paced under the call quota, and returns
// one Evidence per window, in order. A failed call makes its windows
// unknown; the error is only the context's.
func (r *Reader) Changes(ctx context.Context, windows []Window) ([]Evidence, error) {
	out := make([]Evidence, len(windows))
	var pending []int
	for i, w := range windows {
		out[i] = Evidence{Table: w.Table}
		visible := w.To.Add(-r.delay).Truncate(time.Minute)
		switch {
		case w.From.IsZero() || !w.To.After(w.From):
			out[i].Reason = fmt.Sprintf("no window to read: [%s, %s)", stamp(w.From), stamp(w.To))
		case w.HasReplicas:
			out[i].Reason = "a global table: writes replicated into it may not show in its metrics"
		case !w.Created.IsZero() && !w.Created.Before(w.From):
			out[i].Changed, out[i].Known, out[i].SeenUntil = true, true, w.To
			out[i].Reason = fmt.Sprintf("table created at %s, after %s: restored, imported or re-created", stamp(w.Created), stamp(w.From))
		case !visible.After(w.From):
			out[i].Reason = fmt.Sprintf("the window [%s, %s) ends within the metrics' publication delay (%s)", stamp(w.From), stamp(w.To), r.delay)
		default:
			out[i].SeenUntil = visible
			pending = append(pending, i)
		}
	}
	if len(pending) == 0 {
		return out, nil
	}
	gaps, err := r.witness(ctx, windows, pending, out)
	if err != nil {
		return nil, err
	}
	pending = slices.DeleteFunc(pending, func(i int) bool { return out[i].Reason != "" })
	for _, group := range r.groups(windows, pending, out) {
		if err := r.readGroup(ctx, windows, group, out); err != nil {
			return nil, err
		}
	}
	for i := range out {
		switch gap, ok := gaps[i]; {
		case !out[i].Known:
			out[i].SeenUntil = time.Time{} // nothing is claimed
		case ok && !out[i].Changed:
			// Writes were read to the visible end, and there were none;
			// but the region's metrics stop at the gap, so no write
			// is proven absent past it.
			out[i].SeenUntil = gap
			out[i].Reason += fmt.Sprintf("; DynamoDB's metrics of this region are missing from %s, so the table is proven unchanged only until then", stamp(gap))
		}
	}
	return out, nil
}

// witness reads AccountMaxWrites over the pending windows and returns, by
// window, the start of the first five minutes the region's metrics are
// missing before its SeenUntil: how far a table can be proven unchanged. A
// window whose metrics are missing from its start is unknown. The writes
// are still read to the visible end: one seen after a gap is a change.
func (r *Reader) witness(ctx context.Context, windows []Window, pending []int, out []Evidence) (map[int]time.Time, error) {
	from, to := windows[pending[0]].From, out[pending[0]].SeenUntil
	for _, i := range pending[1:] {
		from, to = earliest(from, windows[i].From), latest(to, out[i].SeenUntil)
	}
	period := max(witnessPeriod, granularity(to.Sub(from)))
	start := from.Truncate(period)
	end := to.Add(period - 1).Truncate(period)
	res, err := r.read(ctx, start, end, []types.MetricDataQuery{query("w", metricWitness, "", "Maximum", period)})
	fail := func(reason string) {
		for _, i := range pending {
			out[i].Reason = reason
		}
	}
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		fail(fmt.Sprintf("reading %s failed: %v", metricWitness, err))
		return nil, nil
	case res["w"].status != string(types.StatusCodeComplete):
		fail(fmt.Sprintf("%s came back %s", metricWitness, res["w"].status))
		return nil, nil
	}
	present := map[int64]bool{}
	for _, t := range res["w"].times {
		present[t.Unix()] = true
	}
	gaps := map[int]time.Time{}
	for _, i := range pending {
		covered := windows[i].From.Truncate(period)
		for covered.Before(out[i].SeenUntil) && present[covered.Unix()] {
			covered = covered.Add(period)
		}
		switch {
		case !covered.After(windows[i].From):
			out[i].Reason = fmt.Sprintf("DynamoDB's metrics of this region are missing from %s (%s not published)", stamp(covered), metricWitness)
		case covered.Before(out[i].SeenUntil):
			gaps[i] = covered
		}
	}
	return gaps, nil
}

// groups splits the pending windows into calls: windows that end at the
// same SeenUntil and start within the slack of each other, at most
// windowsPerCall per call.
func (r *Reader) groups(windows []Window, pending []int, out []Evidence) [][]int {
	slices.SortFunc(pending, func(a, b int) int {
		if c := out[a].SeenUntil.Compare(out[b].SeenUntil); c != 0 {
			return c
		}
		return windows[a].From.Compare(windows[b].From)
	})
	var groups [][]int
	for _, i := range pending {
		if n := len(groups); n > 0 {
			g := groups[n-1]
			first := g[0]
			if len(g) < windowsPerCall && out[first].SeenUntil.Equal(out[i].SeenUntil) &&
				windows[i].From.Sub(windows[first].From) <= r.slack {
				groups[n-1] = append(g, i)
				continue
			}
		}
		groups = append(groups, []int{i})
	}
	return groups
}

// readGroup reads the writes and TTL deletions of one group's windows in
// one call (plus its pages): one period from the group's earliest start to
// its common end, so each query has at most one datapoint.
func (r *Reader) readGroup(ctx context.Context, windows []Window, group []int, out []Evidence) error {
	end := out[group[0]].SeenUntil
	grain := granularity(windows[group[0]].To.Sub(windows[group[0]].From))
	start := windows[group[0]].From.Truncate(grain)
	period := (end.Sub(start) + grain - 1).Truncate(grain)
	queries := make([]types.MetricDataQuery, 0, 2*len(group))
	for k, i := range group {
		queries = append(queries,
			query(fmt.Sprintf("c%d", k), metricWrites, windows[i].Table, "Sum", period),
			query(fmt.Sprintf("t%d", k), metricTTLDeletions, windows[i].Table, "Sum", period))
	}
	res, err := r.read(ctx, start, end, queries)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for k, i := range group {
		if err != nil {
			out[i].Reason = fmt.Sprintf("reading metrics failed: %v", err)
			continue
		}
		writes, deletions := res[fmt.Sprintf("c%d", k)], res[fmt.Sprintf("t%d", k)]
		if bad := incomplete(writes, deletions); bad != "" {
			out[i].Reason = bad
			continue
		}
		out[i].Known = true
		span := fmt.Sprintf("between %s and %s", stamp(start), stamp(end))
		if w, d := writes.sum(), deletions.sum(); w > 0 || d > 0 {
			out[i].Changed = true
			out[i].Reason = fmt.Sprintf("%g write capacity units and %g TTL deletions %s", w, d, span)
		} else {
			out[i].Reason = "no writes and no TTL deletions " + span
		}
	}
	return nil
}

// granularity is the resolution of data as old as age: "Start time between
// 3 hours and 15 days ago - Use a multiple of 60 seconds (1 minute).
// Start time between 15 and 63 days ago - Use a multiple of 300 seconds (5
// minutes). Start time greater than 63 days ago - Use a multiple of 3600
// seconds (1 hour)" (GetMetricData, MetricStat Period).
func granularity(age time.Duration) time.Duration {
	switch {
	case age > 63*24*time.Hour:
		return time.Hour
	case age > 15*24*time.Hour:
		return 5 * time.Minute
	}
	return time.Minute
}

// result is one query's datapoints, gathered over every page.
type result struct {
	status string
	times  []time.Time
	values []float64
}

func (r result) sum() float64 {
	var s float64
	for _, v := range r.values {
		s += v
	}
	return s
}

// incomplete says why a result cannot be trusted, or "".
func incomplete(results ...result) string {
	var bad []string
	for i, r := range results {
		if r.status != string(types.StatusCodeComplete) {
			status := r.status
			if status == "" {
				status = "no result"
			}
			bad = append(bad, fmt.Sprintf("%s: %s", []string{metricWrites, metricTTLDeletions}[i], status))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return "metrics incomplete (" + strings.Join(bad, ", ") + ")"
}

// read makes one GetMetricData call and follows its NextToken, merging
// each query's datapoints; a query's status is the one of its last page.
func (r *Reader) read(ctx context.Context, start, end time.Time, queries []types.MetricDataQuery) (map[string]result, error) {
	res := map[string]result{}
	in := &cloudwatch.GetMetricDataInput{StartTime: &start, EndTime: &end, MetricDataQueries: queries,
		ScanBy: types.ScanByTimestampAscending}
	for {
		if err := r.pace.wait(ctx); err != nil {
			return nil, err
		}
		page, err := r.api.GetMetricData(ctx, in)
		if err != nil {
			slog.WarnContext(ctx, "GetMetricData failed", "queries", len(queries), "error", err)
			return nil, fmt.Errorf("GetMetricData: %w", err)
		}
		for _, m := range page.MetricDataResults {
			id := aws.ToString(m.Id)
			got := res[id]
			got.status = string(m.StatusCode)
			got.times = append(got.times, m.Timestamps...)
			got.values = append(got.values, m.Values...)
			res[id] = got
		}
		if aws.ToString(page.NextToken) == "" {
			return res, nil
		}
		in.NextToken = page.NextToken
	}
}

// query is one metric's statistic; table "" means no dimensions.
func query(id, metric, table, stat string, period time.Duration) types.MetricDataQuery {
	m := &types.Metric{Namespace: aws.String(namespace), MetricName: aws.String(metric)}
	if table != "" {
		m.Dimensions = []types.Dimension{{Name: aws.String(dimensionTable), Value: aws.String(table)}}
	}
	return types.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(true),
		MetricStat: &types.MetricStat{Metric: m, Period: aws.Int32(int32(period / time.Second)), Stat: aws.String(stat)}}
}

// pacer spaces calls at least every apart.
type pacer struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func (p *pacer) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	now := time.Now()
	at := latest(p.next, now)
	p.next = at.Add(p.every)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
