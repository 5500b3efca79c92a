package emulator

import (
	"maps"
	"path"
	"sync"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// Fault makes matching API calls fail with an error of the caller's choice.
type Fault struct {
	// Operation is the API operation, e.g. "RestoreTableFromBackup". Empty
	// matches every operation.
	Operation string `json:"operation"`
	// ErrorCode is the DynamoDB error code, e.g. "LimitExceededException".
	// InternalServerError is sent with HTTP 500, ServiceUnavailable with 503,
	// everything else with 400.
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
	// TablePattern is a path.Match glob on the request's table (TableName,
	// TargetTableName, or the table of BackupArn/ResourceArn). Empty matches
	// any request, including ones without a table.
	TablePattern string `json:"tablePattern"`
	// Region restricts the fault to calls signed for one region. Empty
	// matches every region.
	Region string `json:"region"`
	// Times is how many calls fail before the fault is removed. 0 = always.
	Times int `json:"times"`
}

// Stats counts API calls received, including failed and faulted ones, and
// the calls refused by the model's request rates.
type Stats struct {
	Total       int64            `json:"total"`
	ByOperation map[string]int64 `json:"byOperation"`
	ByRegion    map[string]int64 `json:"byRegion"`
	ByTable     map[string]int64 `json:"byTable"`
	// Throttled counts calls over an operation's rate, by operation.
	Throttled map[string]int64 `json:"throttled"`
}

// control is the test-control state. It has its own lock so that faults,
// latency and outages apply without waiting for the data lock.
type control struct {
	mu            sync.Mutex
	faults        []*Fault
	metricsFaults []MetricsFault
	latency       map[string]time.Duration
	down          map[string]bool
	stats         *statsCounter
}

type statsCounter struct {
	mu sync.Mutex
	s  Stats
}

func newControl() *control {
	c := &control{stats: newStatsCounter()}
	c.reset()
	return c
}

// reset clears faults, latencies, outages and stats.
func (c *control) reset() {
	c.mu.Lock()
	c.faults = nil
	c.metricsFaults = nil
	c.latency = map[string]time.Duration{}
	c.down = map[string]bool{}
	c.mu.Unlock()
	c.stats.reset()
}

func newStatsCounter() *statsCounter {
	c := &statsCounter{}
	c.reset()
	return c
}

func (c *statsCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = Stats{ByOperation: map[string]int64{}, ByRegion: map[string]int64{}, ByTable: map[string]int64{}, Throttled: map[string]int64{}}
}

func (c *statsCounter) record(op, region, table string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Total++
	c.s.ByOperation[op]++
	c.s.ByRegion[region]++
	if table != "" {
		c.s.ByTable[table]++
	}
}

func (c *statsCounter) recordThrottle(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Throttled[op]++
}

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Total:       c.s.Total,
		ByOperation: maps.Clone(c.s.ByOperation),
		ByRegion:    maps.Clone(c.s.ByRegion),
		ByTable:     maps.Clone(c.s.ByTable),
		Throttled:   maps.Clone(c.s.Throttled),
	}
}

func (c *control) isRegionDown(region string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down[region]
}

func (c *control) latencyFor(op string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.latency[op]; ok {
		return d
	}
	return c.latency[""]
}

// matchFault returns the first fault matching the call and consumes one of
// its times.
func (c *control) matchFault(op, region, table string) *Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, f := range c.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.Region != "" && f.Region != region {
			continue
		}
		if f.TablePattern != "" {
			if ok, _ := path.Match(f.TablePattern, table); !ok {
				continue
			}
		}
		hit := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				c.faults = append(c.faults[:i], c.faults[i+1:]...)
			}
		}
		return &hit
	}
	return nil
}

// ---- Go admin API ----

// AddFault injects a fault. Faults are matched in the order added.
func (e *Emulator) AddFault(f Fault) {
	if f.ErrorCode == "" {
		f.ErrorCode = wire.CodeInternalServerError
	}
	if f.Message == "" {
		f.Message = "Injected fault"
	}
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	e.control.faults = append(e.control.faults, &f)
	e.log.Info("fault added", "operation", f.Operation, "errorCode", f.ErrorCode, "table", f.TablePattern, "region", f.Region, "times", f.Times)
}

// ClearFaults removes every injected fault.
func (e *Emulator) ClearFaults() {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	e.control.faults = nil
}

// Faults returns the faults still in effect.
func (e *Emulator) Faults() []Fault {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	out := make([]Fault, 0, len(e.control.faults))
	for _, f := range e.control.faults {
		out = append(out, *f)
	}
	return out
}

// SetLatency delays every call of op (every operation for "") by d before
// it is processed. d <= 0 removes the entry. An operation-specific entry
// takes precedence over the "" entry.
func (e *Emulator) SetLatency(op string, d time.Duration) {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	if d <= 0 {
		delete(e.control.latency, op)
		return
	}
	e.control.latency[op] = d
	e.log.Info("latency set", "operation", op, "latency", d)
}

// ClearLatency removes every latency entry.
func (e *Emulator) ClearLatency() {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	e.control.latency = map[string]time.Duration{}
}

// SetRegionDown starts or ends an outage of a region. During an outage every
// call signed for the region has its connection closed without a response,
// the way an unreachable endpoint looks to a client. The SDK treats that as
// a retryable transport error, so clients in tests should use a low retry
// count (and short backoff) to fail fast.
func (e *Emulator) SetRegionDown(region string, down bool) {
	e.control.mu.Lock()
	defer e.control.mu.Unlock()
	if down {
		e.control.down[region] = true
	} else {
		delete(e.control.down, region)
	}
	e.log.Info("region availability changed", "region", region, "down", down)
}

// Stats returns the API call counts.
func (e *Emulator) Stats() Stats { return e.control.stats.snapshot() }

// ResetStats zeroes the API call counts.
func (e *Emulator) ResetStats() { e.control.stats.reset() }
