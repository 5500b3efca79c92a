package emulator

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/cw"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/state"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// GetMetricData's documented limits
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
// "A single GetMetricData call can include as many as 500 MetricDataQuery
// structures", and MaxDatapoints "If you omit this, the default of 100,800
// is used".
const (
	maxMetricDataQueries = 500
	defaultMaxDatapoints = 100800
	opGetMetricData      = "GetMetricData"
)

// queryID is the form CloudWatch requires of a query's Id: "The first
// character must be a lowercase letter" and the rest letters, numbers and
// underscores (MetricDataQuery, CloudWatch API Reference).
var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)

// MetricsFault makes the results of matching GetMetricData queries come
// back with StatusCode instead of data: "PartialData", "InternalError" or
// "Forbidden" (MetricDataResult, CloudWatch API Reference).
type MetricsFault struct {
	// TablePattern is a path.Match glob on the query's TableName dimension.
	// Empty matches every query, including ones without a table.
	TablePattern string `json:"tablePattern"`
	// Region restricts the fault to calls signed for one region. Empty
	// matches every region.
	Region     string `json:"region"`
	StatusCode string `json:"statusCode"`
}

// MetricsOutage drops a region's metrics of [From, To): their datapoints
// are never published, as if the region's metrics were lost.
type MetricsOutage = state.MetricsOutage

// AddMetricsFault makes matching GetMetricData queries return the fault's
// StatusCode and no datapoints, until cleared.
func (e *Emulator) AddMetricsFault(f MetricsFault) {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	e.control.metricsFaults = append(e.control.metricsFaults, f)
	e.log.Info("metrics fault added", "table", f.TablePattern, "region", f.Region, "statusCode", f.StatusCode)
}

// ClearMetricsFaults removes every metrics fault.
func (e *Emulator) ClearMetricsFaults() {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	e.control.metricsFaults = nil
}

// MetricsFaults returns the metrics faults in effect.
func (e *Emulator) MetricsFaults() []MetricsFault {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	return slices.Clone(e.control.metricsFaults)
}

// metricsFaultFor is the StatusCode a fault imposes on a query of table in
// region, or "".
func (c *control) metricsFaultFor(region, table string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.metricsFaults {
		if f.Region != "" && f.Region != region {
			continue
		}
		if f.TablePattern != "" {
			if ok, _ := path.Match(f.TablePattern, table); !ok {
				continue
			}
		}
		return f.StatusCode
	}
	return ""
}

// AddMetricsOutage drops the region's metrics of [From, To) on the emulator
// clock: no datapoint of that span is ever published, for any metric.
func (e *Emulator) AddMetricsOutage(o MetricsOutage) {
	e.state.AddMetricsOutage(o)
	e.log.Info("metrics outage added", "region", o.Region, "from", o.From, "to", o.To)
}

// ExpireTTL deletes, in every region, the items whose TTL has passed, as
// DynamoDB's background TTL process does, and counts them in
// TimeToLiveDeletedItemCount. It returns how many items were deleted.
func (e *Emulator) ExpireTTL() int { return e.state.ExpireTTL() }

// cloudWatchHandler serves CloudWatch over Smithy RPC v2 CBOR: the test
// controls (stats, outages, latency, faults), the rate, then the operation.
func (e *Emulator) cloudWatchHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := wire.RequestID()
		name := r.PathValue("op")
		region := wire.RegionFromAuthorization(r.Header.Get("Authorization"))
		e.control.stats.record(name, region, "")
		if e.control.isRegionDown(region) {
			wire.DropConnection(w)
			return
		}
		if d := e.control.latencyFor(name); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if f := e.control.matchFault(name, region, ""); f != nil {
			cw.WriteError(w, reqID, cw.FromCode(f.ErrorCode, f.Message))
			return
		}
		if r.Header.Get(cw.ProtocolHeader) != cw.Protocol {
			cw.WriteError(w, reqID, cw.FromCode("UnknownOperationException", "requests must carry smithy-protocol: rpc-v2-cbor"))
			return
		}
		if name != opGetMetricData {
			cw.WriteError(w, reqID, cw.FromCode("UnknownOperationException", "the emulator serves only GetMetricData"))
			return
		}
		if err := e.state.Admit(name, region); err != nil {
			e.control.stats.recordThrottle(name)
			cw.WriteError(w, reqID, cw.Throttling())
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxRequestBytes))
		if err != nil {
			cw.WriteError(w, reqID, cw.FromCode("SerializationException", "failed to read request body"))
			return
		}
		var in cw.GetMetricDataInput
		if cerr := cw.Decode(body, &in); cerr != nil {
			cw.WriteError(w, reqID, cerr)
			return
		}
		out, cerr := e.getMetricData(region, &in)
		if cerr != nil {
			e.log.Debug("cloudwatch call", "op", name, "region", region, "error", cerr.QueryCode, "message", cerr.Message)
			cw.WriteError(w, reqID, cerr)
			return
		}
		e.log.Debug("cloudwatch call", "op", name, "region", region, "queries", len(in.MetricDataQueries))
		if err := cw.WriteResponse(w, reqID, out); err != nil {
			e.log.Error("write cloudwatch response", "err", err)
		}
	})
}

// metricQuery is a validated query and where its datapoints go.
type metricQuery struct {
	id, label, table string
	q                state.MetricQuery
	fault            string // StatusCode imposed by a MetricsFault
	points           []state.Datapoint
}

// getMetricData answers one GetMetricData call.
func (e *Emulator) getMetricData(region string, in *cw.GetMetricDataInput) (*cw.GetMetricDataOutput, *cw.Error) {
	switch {
	case in.StartTime == nil:
		return nil, cw.MissingParameter("StartTime")
	case in.EndTime == nil:
		return nil, cw.MissingParameter("EndTime")
	case len(in.MetricDataQueries) == 0:
		return nil, cw.MissingParameter("MetricDataQueries")
	case len(in.MetricDataQueries) > maxMetricDataQueries:
		return nil, cw.InvalidParameterValue("The collection MetricDataQueries must not have a size greater than %d.", maxMetricDataQueries)
	case !in.EndTime.After(*in.StartTime):
		return nil, cw.InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
	case in.MaxDatapoints != nil && *in.MaxDatapoints < 1:
		return nil, cw.InvalidParameterValue("The parameter MaxDatapoints must be greater than 0.")
	}
	switch in.ScanBy {
	case "", "TimestampDescending", "TimestampAscending":
	default:
		return nil, cw.InvalidParameterValue("The parameter ScanBy must be TimestampDescending or TimestampAscending.")
	}
	now := e.state.Now()
	start, grain := roundStart(*in.StartTime, now)
	queries, cerr := e.metricQueries(region, in.MetricDataQueries, grain)
	if cerr != nil {
		return nil, cerr
	}
	asked := make([]state.MetricQuery, len(queries))
	for i, q := range queries {
		asked[i] = q.q
	}
	for i, points := range e.state.MetricData(region, asked, start, *in.EndTime) {
		if queries[i].fault == "" {
			queries[i].points = points
		}
	}
	return paginate(in, queries)
}

// roundStart rounds StartTime down as CloudWatch does, and returns the
// granularity of the data there: "Start time less than 15 days ago - Round
// down to the nearest whole minute ... between 15 and 63 days ago - Round
// down to the nearest 5-minute clock interval ... greater than 63 days ago
// - Round down to the nearest 1-hour clock interval" (GetMetricData,
// StartTime).
func roundStart(start, now time.Time) (time.Time, time.Duration) {
	grain := time.Minute
	switch age := now.Sub(start); {
	case age > 63*24*time.Hour:
		grain = time.Hour
	case age > 15*24*time.Hour:
		grain = 5 * time.Minute
	}
	return start.Truncate(grain), grain
}

// metricQueries validates the queries. A query whose period does not suit
// the age of its data gets no datapoints: "If the StartTime parameter
// specifies a time stamp that is greater than 3 hours ago, you must specify
// the period as follows or no data points in that time range is returned"
// (GetMetricData, Period of MetricStat).
func (e *Emulator) metricQueries(region string, in []cw.MetricDataQuery, grain time.Duration) ([]metricQuery, *cw.Error) {
	out := make([]metricQuery, 0, len(in))
	seen := map[string]bool{}
	for _, q := range in {
		if !queryID.MatchString(q.ID) {
			return nil, cw.InvalidParameterValue("The value %s for parameter MetricDataQueries.member.Id is not valid: the first character must be a lowercase letter, the others letters, numbers or underscores.", q.ID)
		}
		if seen[q.ID] {
			return nil, cw.InvalidParameterValue("The values for parameter id in MetricDataQueries are not unique.")
		}
		seen[q.ID] = true
		if q.Expression != nil {
			return nil, cw.InvalidParameterValue("Metric math and Metrics Insights expressions are not modelled by the emulator (query %s).", q.ID)
		}
		if q.MetricStat == nil {
			return nil, cw.InvalidParameterValue("Exactly one element of the MetricStat or the Expression must be set in MetricDataQuery %s.", q.ID)
		}
		ms := q.MetricStat
		if ms.Period == nil || *ms.Period < 1 {
			return nil, cw.InvalidParameterValue("The parameter MetricDataQueries.member.MetricStat.Period must be greater than 0 (query %s).", q.ID)
		}
		period := time.Duration(*ms.Period) * time.Second
		if period%time.Minute != 0 && !slices.Contains([]int32{1, 5, 10, 20, 30}, *ms.Period) {
			return nil, cw.InvalidParameterValue("The parameter MetricDataQueries.member.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60 (query %s).", q.ID)
		}
		if ms.Stat == "" {
			return nil, cw.MissingParameter("MetricDataQueries.member.MetricStat.Stat")
		}
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		dims := map[string]string{}
		for _, d := range ms.Metric.Dimensions {
			dims[d.Name] = d.Value
		}
		mq := metricQuery{id: q.ID, label: ms.Metric.MetricName, table: dims[state.DimensionTableName],
			q: state.MetricQuery{Namespace: ms.Metric.Namespace, MetricName: ms.Metric.MetricName,
				Dimensions: dims, Period: period, Stat: ms.Stat}}
		if q.Label != nil {
			mq.label = *q.Label
		}
		if period%grain != 0 {
			mq.q.Period = 0 // no datapoints
		}
		mq.fault = e.control.metricsFaultFor(region, mq.table)
		out = append(out, mq)
	}
	return out, nil
}

// paginate returns the page of datapoints NextToken asks for: at most
// MaxDatapoints, in query order. A query cut by the page is PartialData
// with a NextToken ("PartialData means that an incomplete set of data
// points were returned. You can use the NextToken value that was returned
// and repeat your request to get more data points", MetricDataResult); a
// query finished on an earlier page is left out of later ones.
func paginate(in *cw.GetMetricDataInput, queries []metricQuery) (*cw.GetMetricDataOutput, *cw.Error) {
	limit := defaultMaxDatapoints
	if in.MaxDatapoints != nil {
		limit = int(*in.MaxDatapoints)
	}
	fingerprint := requestFingerprint(in)
	offset := 0
	if in.NextToken != nil {
		var ok bool
		if offset, ok = parseNextToken(*in.NextToken, fingerprint); !ok {
			return nil, cw.InvalidNextToken()
		}
	}
	end := offset + limit
	out := &cw.GetMetricDataOutput{MetricDataResults: []cw.MetricDataResult{}}
	pos := 0
	more := false
	for _, q := range queries {
		first, last := pos, pos+len(q.points)
		pos = last
		if offset > 0 && last <= offset {
			continue // finished on an earlier page
		}
		res := cw.MetricDataResult{ID: q.id, Label: q.label, StatusCode: cw.StatusComplete,
			Timestamps: []time.Time{}, Values: []float64{}}
		if q.fault != "" {
			res.StatusCode = q.fault
			out.MetricDataResults = append(out.MetricDataResults, res)
			continue
		}
		points := q.points
		if in.ScanBy != "TimestampAscending" {
			points = slices.Clone(points)
			slices.Reverse(points)
		}
		for i := max(first, offset); i < min(last, end); i++ {
			p := points[i-first]
			res.Timestamps = append(res.Timestamps, p.At)
			res.Values = append(res.Values, p.Value)
		}
		if last > end {
			res.StatusCode = cw.StatusPartialData
			more = true
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	if more {
		out.NextToken = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d/%x", end, fingerprint))
	}
	return out, nil
}

// requestFingerprint identifies a request apart from its NextToken, so that
// a token is accepted only for the request that produced it.
func requestFingerprint(in *cw.GetMetricDataInput) uint64 {
	c := *in
	c.NextToken = nil
	b, _ := cbor.Marshal(c)
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

func parseNextToken(token string, fingerprint uint64) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	off, fp, ok := strings.Cut(string(b), "/")
	if !ok || fp != strconv.FormatUint(fingerprint, 16) {
		return 0, false
	}
	n, err := strconv.Atoi(off)
	return n, err == nil && n > 0
}
