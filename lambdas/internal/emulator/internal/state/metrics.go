package state

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/expr"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// The CloudWatch metrics the emulator publishes for DynamoDB, as named in
// "DynamoDB Metrics and dimensions"
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html).
const (
	MetricsNamespace = "AWS/DynamoDB"
	// MetricConsumedWrite is ConsumedWriteCapacityUnits (dimension
	// TableName), aggregated per minute.
	MetricConsumedWrite = "ConsumedWriteCapacityUnits"
	// MetricTTLDeleted is TimeToLiveDeletedItemCount (dimension TableName),
	// aggregated per minute: TTL deletions consume no write capacity.
	MetricTTLDeleted = "TimeToLiveDeletedItemCount"
	// MetricAccountMaxWrites is AccountMaxWrites (no dimensions), the
	// account's write capacity quota, aggregated per five minutes. It is
	// never zero, so it is published for every period.
	MetricAccountMaxWrites = "AccountMaxWrites"
	// DimensionTableName is the dimension of the per-table metrics.
	DimensionTableName = "TableName"
)

const (
	// accountMaxWrites is the default account-level write quota, "80,000
	// read capacity units and 80,000 write capacity units" per account per
	// Region (Quotas in Amazon DynamoDB,
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html),
	// the value AccountMaxWrites reports.
	accountMaxWrites = 80000
	// writeUnitBytes is the size a write is rounded up to: "DynamoDB rounds
	// the item size up to the next 1 KB" (DynamoDB read and write
	// operations,
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
	writeUnitBytes = 1024
	// accountPeriod is the aggregation period of the account-level metrics:
	// "For all other DynamoDB metrics, the aggregation granularity is five
	// minutes" (metrics-dimensions, above).
	accountPeriod = 5 * time.Minute
)

// sample is one minute's aggregate of a metric.
type sample struct {
	sum, min, max float64
	n             int64
}

func (s *sample) add(v float64) {
	if s.n == 0 || v < s.min {
		s.min = v
	}
	if s.n == 0 || v > s.max {
		s.max = v
	}
	s.sum += v
	s.n++
}

// stat is a CloudWatch statistic of the sample; ok is false for one the
// emulator does not compute.
func (s sample) stat(name string) (float64, bool) {
	switch name {
	case "Sum":
		return s.sum, true
	case "SampleCount":
		return float64(s.n), true
	case "Average":
		return s.sum / float64(s.n), true
	case "Minimum":
		return s.min, true
	case "Maximum":
		return s.max, true
	}
	return 0, false
}

func (s *sample) merge(o sample) {
	if s.n == 0 || o.min < s.min {
		s.min = o.min
	}
	if s.n == 0 || o.max > s.max {
		s.max = o.max
	}
	s.sum += o.sum
	s.n += o.n
}

// seriesKey names one per-table time series of a region.
type seriesKey struct{ metric, table string }

// series is a time series: its samples by minute (Unix seconds / 60).
type series map[int64]*sample

// MetricsOutage drops every datapoint of a region whose period starts in
// [From, To): the metrics of that span are never published.
type MetricsOutage struct {
	Region string    `json:"region"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// record adds v to the metric of table for the current minute.
func (c *Call) record(metric, table string, v float64) {
	c.store.record(c.region, metric, table, c.now, v)
}

func (st *store) record(region, metric, table string, at time.Time, v float64) {
	rs := st.inRegion(region)
	k := seriesKey{metric, table}
	s, ok := rs.metrics[k]
	if !ok {
		s = series{}
		rs.metrics[k] = s
	}
	m := at.Unix() / 60
	if s[m] == nil {
		s[m] = &sample{}
	}
	s[m].add(v)
}

// consumeWrite records the write capacity one item write consumes: the
// larger of the item before and after, rounded up to the next KB, at least
// one unit ("DynamoDB rounds the item size up to the next 1 KB"; a failed
// conditional write "still consumes write capacity units from the table.
// The amount of consumed write capacity units depends on the size of the
// item. This item can be an existing item in the table or a new one",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
func (c *Call) consumeWrite(t *table, before, after wire.Item) {
	size := max(expr.ItemSize(before), expr.ItemSize(after), 1)
	c.record(MetricConsumedWrite, t.name, math.Ceil(float64(size)/writeUnitBytes))
}

// consumeFailedWrite records the capacity of a write whose condition failed;
// other errors consume nothing.
func (c *Call) consumeFailedWrite(err error, t *table, before, after wire.Item) {
	if e, ok := err.(*wire.Error); ok && e.Code == wire.CodeConditionalCheck {
		c.consumeWrite(t, before, after)
	}
}

// ExpireTTL runs DynamoDB's TTL deletion now, in every region: each item of
// an ACTIVE table with TTL enabled whose TTL attribute is a number of epoch
// seconds before the current time is deleted, without consuming write
// capacity, and counted in TimeToLiveDeletedItemCount. DynamoDB does this
// in the background "within a few days of their expiration time, without
// consuming write throughput"
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html);
// the emulator does it when asked. It returns how many items were deleted.
func (s *State) ExpireTTL() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.st.clock()
	s.st.advanceLifecycle(now)
	deleted := 0
	for _, rs := range s.st.regions {
		for _, t := range rs.tables {
			if t.status != statusActive || !t.ttl.enabled {
				continue
			}
			s.st.refreshUsage(t, now) // as of the refresh before the deletions
			for key, it := range t.items {
				if !expired(it, t.ttl.attr, now) {
					continue
				}
				t.deleteItem(key)
				s.st.record(rs.name, MetricTTLDeleted, t.name, now, 1)
				deleted++
			}
		}
	}
	return deleted
}

// expired reports whether the item's TTL attribute is a number of epoch
// seconds before now. Items without it, or with another type, never expire.
func expired(it wire.Item, attr string, now time.Time) bool {
	v, ok := it[attr]
	if !ok {
		return false
	}
	var num struct{ N *string }
	if json.Unmarshal(v, &num) != nil || num.N == nil {
		return false
	}
	secs, err := strconv.ParseFloat(*num.N, 64)
	return err == nil && secs < float64(now.Unix())
}

// AddMetricsOutage makes the region's metrics of [From, To) never appear.
func (s *State) AddMetricsOutage(o MetricsOutage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.outages = append(s.st.outages, o)
}

// MetricQuery is one metric a GetMetricData call asks for.
type MetricQuery struct {
	Namespace, MetricName string
	Dimensions            map[string]string
	Period                time.Duration
	Stat                  string
}

// Datapoint is one period's statistic.
type Datapoint struct {
	At    time.Time
	Value float64
}

// MetricData answers queries over [start, end) as seen from region now:
// for each query, one datapoint per period that has at least one published
// sample, oldest first. A minute's samples are published MetricsDelay
// after the minute ends (the account metrics' five minutes likewise); a
// period without samples has no datapoint, which is how an idle table's
// minutes look. An unknown metric, dimension set or statistic has no
// datapoints, as in CloudWatch.
func (s *State) MetricData(region string, queries []MetricQuery, start, end time.Time) [][]Datapoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	now := st.clock()
	rs := st.inRegion(region)
	out := make([][]Datapoint, len(queries))
	for i, q := range queries {
		if q.Namespace != MetricsNamespace || q.Period <= 0 || !end.After(start) {
			continue
		}
		if _, ok := (sample{n: 1}).stat(q.Stat); !ok {
			continue
		}
		buckets := map[int64]*sample{}
		add := func(at time.Time, length time.Duration, smp sample) {
			if at.Before(start) || !at.Before(end) || at.Add(length+st.model.MetricsDelay).After(now) || st.inOutage(region, at) {
				return
			}
			b := int64(at.Sub(start) / q.Period)
			if buckets[b] == nil {
				buckets[b] = &sample{}
			}
			buckets[b].merge(smp)
		}
		switch {
		case q.MetricName == MetricAccountMaxWrites && len(q.Dimensions) == 0:
			for at := start.Truncate(accountPeriod); at.Before(end); at = at.Add(accountPeriod) {
				if !at.Before(st.metricsFrom.Truncate(accountPeriod)) {
					add(at, accountPeriod, sample{sum: accountMaxWrites, min: accountMaxWrites, max: accountMaxWrites, n: 1})
				}
			}
		case len(q.Dimensions) == 1 && q.Dimensions[DimensionTableName] != "":
			for m, smp := range rs.metrics[seriesKey{q.MetricName, q.Dimensions[DimensionTableName]}] {
				add(time.Unix(m*60, 0).UTC(), time.Minute, *smp)
			}
		}
		for b, smp := range buckets {
			v, _ := smp.stat(q.Stat)
			out[i] = append(out[i], Datapoint{At: start.Add(time.Duration(b) * q.Period), Value: v})
		}
		slices.SortFunc(out[i], func(a, b Datapoint) int { return a.At.Compare(b.At) })
	}
	return out
}

func (st *store) inOutage(region string, at time.Time) bool {
	for _, o := range st.outages {
		if o.Region == region && !at.Before(o.From) && at.Before(o.To) {
			return true
		}
	}
	return false
}
