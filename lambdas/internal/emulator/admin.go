package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

const adminPrefix = "/_emulator/"

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

// Stats counts API calls received, including failed and faulted ones.
type Stats struct {
	Total       int64            `json:"total"`
	ByOperation map[string]int64 `json:"byOperation"`
	ByRegion    map[string]int64 `json:"byRegion"`
	ByTable     map[string]int64 `json:"byTable"`
}

// adminState is the test-control state. It has its own lock so that faults,
// latency and outages apply without waiting for the data lock.
type adminState struct {
	mu      sync.Mutex
	faults  []*Fault
	latency map[string]time.Duration
	down    map[string]bool
	stats   *statsCounter
}

type statsCounter struct {
	mu sync.Mutex
	s  Stats
}

func newAdminState() *adminState {
	a := &adminState{stats: newStatsCounter()}
	a.reset()
	return a
}

// reset clears faults, latencies, outages and stats.
func (a *adminState) reset() {
	a.mu.Lock()
	a.faults = nil
	a.latency = map[string]time.Duration{}
	a.down = map[string]bool{}
	a.mu.Unlock()
	a.stats.reset()
}

func newStatsCounter() *statsCounter {
	c := &statsCounter{}
	c.reset()
	return c
}

func (c *statsCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = Stats{ByOperation: map[string]int64{}, ByRegion: map[string]int64{}, ByTable: map[string]int64{}}
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

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Total:       c.s.Total,
		ByOperation: maps.Clone(c.s.ByOperation),
		ByRegion:    maps.Clone(c.s.ByRegion),
		ByTable:     maps.Clone(c.s.ByTable),
	}
}

func (a *adminState) isRegionDown(region string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.down[region]
}

func (a *adminState) latencyFor(op string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d, ok := a.latency[op]; ok {
		return d
	}
	return a.latency[""]
}

// matchFault returns the first fault matching the call and consumes one of
// its times.
func (a *adminState) matchFault(op, region, table string) *Fault {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, f := range a.faults {
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
				a.faults = append(a.faults[:i], a.faults[i+1:]...)
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
		f.ErrorCode = codeInternalServerError
	}
	if f.Message == "" {
		f.Message = "Injected fault"
	}
	e.admin.mu.Lock()
	defer e.admin.mu.Unlock()
	e.admin.faults = append(e.admin.faults, &f)
	e.log.Info("fault added", "operation", f.Operation, "errorCode", f.ErrorCode, "table", f.TablePattern, "region", f.Region, "times", f.Times)
}

// ClearFaults removes every injected fault.
func (e *Emulator) ClearFaults() {
	e.admin.mu.Lock()
	defer e.admin.mu.Unlock()
	e.admin.faults = nil
}

// Faults returns the faults still in effect.
func (e *Emulator) Faults() []Fault {
	e.admin.mu.Lock()
	defer e.admin.mu.Unlock()
	out := make([]Fault, 0, len(e.admin.faults))
	for _, f := range e.admin.faults {
		out = append(out, *f)
	}
	return out
}

// SetLatency delays every call of op (every operation for "") by d before
// it is processed. d <= 0 removes the entry. An operation-specific entry
// takes precedence over the "" entry.
func (e *Emulator) SetLatency(op string, d time.Duration) {
	e.admin.mu.Lock()
	defer e.admin.mu.Unlock()
	if d <= 0 {
		delete(e.admin.latency, op)
		return
	}
	e.admin.latency[op] = d
	e.log.Info("latency set", "operation", op, "latency", d)
}

// ClearLatency removes every latency entry.
func (e *Emulator) ClearLatency() {
	e.admin.mu.Lock()
	defer e.admin.mu.Unlock()
	e.admin.latency = map[string]time.Duration{}
}

// SetRegionDown starts or ends an outage of a region. During an outage every
// call signed for the region has its connection closed without a response,
// the way an unreachable endpoint looks to a client. The SDK treats that as
// a retryable transport error, so clients in tests should use a low retry
// count (and short backoff) to fail fast.
func (e *Emulator) SetRegionDown(region string, down bool) {
	e.admin.mu.Lock()
	defer e.admin.mu.Unlock()
	if down {
		e.admin.down[region] = true
	} else {
		delete(e.admin.down, region)
	}
	e.log.Info("region availability changed", "region", region, "down", down)
}

// Stats returns the API call counts.
func (e *Emulator) Stats() Stats { return e.admin.stats.snapshot() }

// ResetStats zeroes the API call counts.
func (e *Emulator) ResetStats() { e.admin.stats.reset() }

// ---- state dump ----

type stateDump struct {
	AccountID             string                `json:"accountId"`
	Now                   time.Time             `json:"now"`
	ClockOffsetSeconds    float64               `json:"clockOffsetSeconds"`
	Durations             durationsJSON         `json:"durations"`
	MaxConcurrentRestores int                   `json:"maxConcurrentRestores"`
	Regions               map[string]regionDump `json:"regions"`
	Faults                []Fault               `json:"faults"`
	LatencyMillis         map[string]int64      `json:"latencyMillis"`
	RegionsDown           []string              `json:"regionsDown"`
	Stats                 Stats                 `json:"stats"`
}

type regionDump struct {
	Tables  map[string]tableDump `json:"tables"`
	Backups []backupDump         `json:"backups"`
}

type tableDump struct {
	Status                    string             `json:"status"`
	Arn                       string             `json:"arn"`
	ID                        string             `json:"id"`
	Created                   time.Time          `json:"created"`
	TransitionAt              *time.Time         `json:"transitionAt,omitempty"`
	KeySchema                 []keySchemaElement `json:"keySchema"`
	GlobalSecondaryIndexes    []string           `json:"globalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes     []string           `json:"localSecondaryIndexes,omitempty"`
	ItemCount                 int                `json:"itemCount"`
	SizeBytes                 int64              `json:"sizeBytes"`
	BillingMode               string             `json:"billingMode"`
	ReadCapacityUnits         int64              `json:"readCapacityUnits,omitempty"`
	WriteCapacityUnits        int64              `json:"writeCapacityUnits,omitempty"`
	StreamViewType            string             `json:"streamViewType,omitempty"`
	SSEKMSKeyArn              string             `json:"sseKmsKeyArn,omitempty"`
	TableClass                string             `json:"tableClass,omitempty"`
	DeletionProtectionEnabled bool               `json:"deletionProtectionEnabled"`
	TTLAttribute              string             `json:"ttlAttribute,omitempty"`
	PITREnabled               bool               `json:"pitrEnabled"`
	Tags                      map[string]string  `json:"tags"`
	RestoredFrom              string             `json:"restoredFrom,omitempty"`
	RestoreInProgress         bool               `json:"restoreInProgress,omitempty"`
}

type backupDump struct {
	Arn         string    `json:"arn"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	Type        string    `json:"type"`
	Created     time.Time `json:"created"`
	ReadyAt     time.Time `json:"readyAt"`
	SourceTable string    `json:"sourceTable"`
	ItemCount   int64     `json:"itemCount"`
	SizeBytes   int64     `json:"sizeBytes"`
}

// State returns the whole emulator state as JSON: per region, its tables
// (status, counts, settings, tags) and backups, plus the admin settings.
func (e *Emulator) State() ([]byte, error) {
	e.mu.Lock()
	now := e.now()
	e.advanceLifecycle(now)
	dump := stateDump{
		AccountID:             e.accountID,
		Now:                   now,
		ClockOffsetSeconds:    e.offset.Seconds(),
		Durations:             toDurationsJSON(e.durations),
		MaxConcurrentRestores: e.maxRestores,
		Regions:               map[string]regionDump{},
	}
	for name, rs := range e.regions {
		rd := regionDump{Tables: map[string]tableDump{}, Backups: []backupDump{}}
		for tn, t := range rs.tables {
			rd.Tables[tn] = dumpTable(t)
		}
		dump.Regions[name] = rd
	}
	var backups []*backup
	for _, b := range e.backups {
		backups = append(backups, b)
	}
	sort.Slice(backups, func(i, j int) bool {
		return backupLess(backups[i].created, backups[i].arn, backups[j].created, backups[j].arn)
	})
	for _, b := range backups {
		rd, ok := dump.Regions[b.region]
		if !ok {
			rd = regionDump{Tables: map[string]tableDump{}, Backups: []backupDump{}}
		}
		rd.Backups = append(rd.Backups, backupDump{
			Arn: b.arn, Name: b.name, Status: b.status, Type: b.backupType, Created: b.created, ReadyAt: b.readyAt,
			SourceTable: b.source.arn, ItemCount: b.source.itemCount, SizeBytes: b.sizeBytes,
		})
		dump.Regions[b.region] = rd
	}
	e.mu.Unlock()

	dump.Faults = e.Faults()
	e.admin.mu.Lock()
	dump.LatencyMillis = map[string]int64{}
	for op, d := range e.admin.latency {
		dump.LatencyMillis[op] = d.Milliseconds()
	}
	dump.RegionsDown = []string{}
	for r := range e.admin.down {
		dump.RegionsDown = append(dump.RegionsDown, r)
	}
	e.admin.mu.Unlock()
	sort.Strings(dump.RegionsDown)
	dump.Stats = e.Stats()
	return json.MarshalIndent(dump, "", "  ")
}

func dumpTable(t *table) tableDump {
	d := tableDump{
		Status: t.status, Arn: t.arn, ID: t.id, Created: t.created, KeySchema: t.keySchema,
		ItemCount: len(t.items), SizeBytes: t.sizeBytes(), BillingMode: t.billingMode,
		ReadCapacityUnits: t.rcu, WriteCapacityUnits: t.wcu,
		SSEKMSKeyArn: t.sse.kmsKeyArn, TableClass: t.tableClass,
		DeletionProtectionEnabled: t.deletionProtection, TTLAttribute: t.ttl.attr,
		PITREnabled: t.pitr.enabled, Tags: maps.Clone(t.tags),
	}
	if t.status != statusActive {
		at := t.transitionAt
		d.TransitionAt = &at
	}
	for _, ix := range t.gsis {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, ix.name)
	}
	for _, ix := range t.lsis {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, ix.name)
	}
	if t.stream.StreamEnabled {
		d.StreamViewType = t.stream.StreamViewType
	}
	if t.restore != nil {
		d.RestoredFrom = t.restore.backupArn
		d.RestoreInProgress = t.restore.inProgress
	}
	return d
}

// ---- admin HTTP API ----

// durationsJSON is Durations in milliseconds, for the admin API.
type durationsJSON struct {
	TableCreate  int64 `json:"tableCreate"`
	TableDelete  int64 `json:"tableDelete"`
	BackupCreate int64 `json:"backupCreate"`
	Restore      int64 `json:"restore"`
	PerMiB       int64 `json:"perMiB"`
}

func toDurationsJSON(d Durations) durationsJSON {
	return durationsJSON{
		TableCreate: d.TableCreate.Milliseconds(), TableDelete: d.TableDelete.Milliseconds(),
		BackupCreate: d.BackupCreate.Milliseconds(), Restore: d.Restore.Milliseconds(), PerMiB: d.PerMiB.Milliseconds(),
	}
}

func (d durationsJSON) durations() Durations {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	return Durations{
		TableCreate: ms(d.TableCreate), TableDelete: ms(d.TableDelete),
		BackupCreate: ms(d.BackupCreate), Restore: ms(d.Restore), PerMiB: ms(d.PerMiB),
	}
}

func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, adminPrefix)
	switch {
	case route == "GET faults":
		writeAdminJSON(w, e.Faults())
	case route == "POST faults":
		var f Fault
		if !readAdminJSON(w, r, &f) {
			return
		}
		if f.ErrorCode == "" {
			adminError(w, http.StatusBadRequest, "errorCode is required")
			return
		}
		e.AddFault(f)
		writeAdminJSON(w, e.Faults())
	case route == "DELETE faults":
		e.ClearFaults()
		writeAdminJSON(w, []Fault{})
	case route == "POST latency":
		var in struct {
			Operation string  `json:"operation"`
			Millis    float64 `json:"millis"`
		}
		if !readAdminJSON(w, r, &in) {
			return
		}
		e.SetLatency(in.Operation, time.Duration(in.Millis*float64(time.Millisecond)))
		writeAdminJSON(w, map[string]any{"operation": in.Operation, "millis": in.Millis})
	case route == "DELETE latency":
		e.ClearLatency()
		writeAdminJSON(w, map[string]any{})
	case strings.HasPrefix(route, "POST regions/"):
		region, state, ok := strings.Cut(strings.TrimPrefix(route, "POST regions/"), "/")
		if !ok || region == "" || (state != "down" && state != "up") {
			adminError(w, http.StatusNotFound, "use POST /_emulator/regions/{region}/down or /up")
			return
		}
		e.SetRegionDown(region, state == "down")
		writeAdminJSON(w, map[string]any{"region": region, "down": state == "down"})
	case route == "GET durations":
		writeAdminJSON(w, toDurationsJSON(e.Durations()))
	case route == "POST durations":
		in := toDurationsJSON(e.Durations())
		if !readAdminJSON(w, r, &in) {
			return
		}
		e.SetDurations(in.durations())
		writeAdminJSON(w, in)
	case route == "POST clock":
		var in struct {
			AdvanceSeconds float64 `json:"advanceSeconds"`
		}
		if !readAdminJSON(w, r, &in) {
			return
		}
		if in.AdvanceSeconds < 0 {
			adminError(w, http.StatusBadRequest, "the clock only moves forward")
			return
		}
		e.AdvanceClock(time.Duration(in.AdvanceSeconds * float64(time.Second)))
		writeAdminJSON(w, map[string]any{"now": float64(e.Now().UnixMilli()) / 1000})
	case route == "POST reset":
		e.Reset()
		writeAdminJSON(w, map[string]any{"reset": true})
	case route == "GET state":
		b, err := e.State()
		if err != nil {
			adminError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	case route == "GET stats":
		writeAdminJSON(w, e.Stats())
	case route == "POST stats/reset":
		e.ResetStats()
		writeAdminJSON(w, e.Stats())
	default:
		adminError(w, http.StatusNotFound, fmt.Sprintf("no admin route %s %s", r.Method, r.URL.Path))
	}
}

func readAdminJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		adminError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func writeAdminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
