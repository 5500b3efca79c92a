package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// fakeStatus serves the copy status items of one destination catalog.
type fakeStatus struct {
	tables    []core.Table
	items     []core.CopyStatus
	err       error
	reads     *int
	confirmed *[]core.CopyStatus
}

// ListTableNames and DescribeTable serve the destination's temporary tables.
func (f fakeStatus) ListTableNames(context.Context) ([]string, error) {
	var names []string
	for _, t := range f.tables {
		names = append(names, t.Name)
	}
	return names, nil
}

func (f fakeStatus) DescribeTable(_ context.Context, name string) (core.Table, error) {
	for _, t := range f.tables {
		if t.Name == name {
			return t, nil
		}
	}
	return core.Table{}, &core.TableNotFound{Table: name}
}

// confirmMu guards fakeStatus.confirmed: PlanCopies confirms in parallel.
var confirmMu sync.Mutex

func (f fakeStatus) ConfirmCopyStatus(_ context.Context, _ string, s core.CopyStatus) (bool, error) {
	confirmMu.Lock()
	defer confirmMu.Unlock()
	*f.confirmed = append(*f.confirmed, s)
	return true, nil
}

func (f fakeStatus) CopyStatuses(_ context.Context, _, sourceRegion string, fn func(core.CopyStatus) error) error {
	*f.reads++
	if f.err != nil {
		return f.err
	}
	for _, s := range f.items {
		if s.SourceRegion == sourceRegion {
			if err := fn(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// putListed writes the tables into a run's listed# records, chunk tables
// per record.
func putListed(t *testing.T, db *memLedger, runID string, chunk int, tables ...ListedTable) {
	t.Helper()
	for n := 0; n*chunk < len(tables); n++ {
		r, err := record(core.LedgerListedKey(n), ListedChunk{Tables: tables[n*chunk : min(len(tables), (n+1)*chunk)]})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutLedger(t.Context(), "", core.LedgerRun(runID), []core.LedgerRecord{r}, t0); err != nil {
			t.Fatal(err)
		}
	}
}

func planSettings(dryRun bool) core.Settings {
	s := core.DefaultSettings()
	s.SourceRegion, s.DestinationRegions, s.MaxConcurrency, s.DryRun = "eu-west-1", []string{"eu-central-1", "us-east-2"}, 7, dryRun
	return s
}

// PlanCopies reads the listed tables from every listed# record, admits the
// ACTIVE and UPDATING ones never copied as items 0..n-1, longest predicted
// copy first (a table without history is predicted at an hour), each with
// its destinations and the phase history their copy status holds, and
// records the others as skipped; the plan itself holds only indices.
func TestPlanCopies(t *testing.T) {
	db := newMemLedger()
	long := strings.Repeat("l", 255)
	putListed(t, db, "run-1", 2,
		ListedTable{Name: "orders", Status: core.TableActive, SizeBytes: 2000},
		ListedTable{Name: "archive", Status: core.TableCreating},
		ListedTable{Name: long, Status: core.TableUpdating, SizeBytes: 10},
	)
	history := core.CopyStatus{Table: "orders", SourceRegion: "eu-west-1", Phases: map[core.Phase]core.PhaseHistory{
		core.PhaseSourceBackup: {Seconds: 60, SizeBytes: 1000}, core.PhaseRestore: {Seconds: 600, SizeBytes: 1000}, core.PhaseDestinationBackup: {Seconds: 30, SizeBytes: 1000},
	}}
	other := history
	other.SourceRegion = "us-west-2" // another source region's table of the same name
	reads := 0
	status := map[string]fakeStatus{"eu-central-1": {items: []core.CopyStatus{history}, reads: &reads}, "us-east-2": {items: []core.CopyStatus{other}, reads: &reads}}
	h := &PlanCopies{Ledger: Ledger{Table: "ledger", DB: db}, Status: func(r string) CopyStatusStore { return status[r] }, Now: fixedClock(t0)}

	out, err := h.Handle(t.Context(), PlanCopiesInput{RunID: "run-1", Settings: planSettings(false)})
	if err != nil {
		t.Fatal(err)
	}
	want := PlanCopiesOutput{Items: []int{0, 1}, Count: 2, Concurrency: 7, Decided: map[string]int{DecisionCopy: 4, DecisionSkip: 1}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("plan = %+v, want %+v", out, want)
	}
	if reads != 2 {
		t.Errorf("%d status reads, want one per destination", reads)
	}
	l := Ledger{Table: "ledger", DB: db}
	first, err := l.item(t.Context(), "run-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	wantFirst := CopyItem{Table: "orders", SizeBytes: 2000, SourceBackup: history.Phases[core.PhaseSourceBackup], Copies: []CopyPlan{
		{Region: "eu-central-1", Restore: history.Phases[core.PhaseRestore], DestinationBackup: history.Phases[core.PhaseDestinationBackup]},
		{Region: "us-east-2"},
	}}
	if !reflect.DeepEqual(first, wantFirst) {
		t.Errorf("item 1 = %+v\nwant %+v", first, wantFirst)
	}
	if second, err := l.item(t.Context(), "run-1", 0); err != nil || second.Table != long || len(second.Copies) != 2 {
		t.Errorf("item 0 = %+v, %v; want the UPDATING table, to both destinations", second, err)
	}
	plan, err := l.planDecisions(t.Context(), "run-1")
	skipped := planResults(plan)
	if err != nil || len(skipped) != 1 || skipped[0].Table != "archive" || skipped[0].Error != ReasonNotActive || skipped[0].Status != StatusSkipped {
		t.Errorf("skipped = %+v, %v; want archive, not active", skipped, err)
	}
}

// A dry run admits nothing: the Map gets no item, and every decision,
// copies included, is in the ledger for the summary.
func TestPlanCopiesDryRun(t *testing.T) {
	db := newMemLedger()
	putListed(t, db, "run-1", 10, ListedTable{Name: "orders", Status: core.TableActive}, ListedTable{Name: "users", Status: core.TableActive})
	reads := 0
	h := &PlanCopies{Ledger: Ledger{Table: "ledger", DB: db}, Status: func(string) CopyStatusStore { return fakeStatus{reads: &reads} }, Now: fixedClock(t0)}
	out, err := h.Handle(t.Context(), PlanCopiesInput{RunID: "run-1", Settings: planSettings(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 0 || len(out.Items) != 0 || out.Items == nil || out.Decided[DecisionCopy] != 4 {
		t.Errorf("dry-run plan = %+v; want no items (an empty array) and 4 copies decided", out)
	}
	if _, err := (Ledger{Table: "ledger", DB: db}).item(t.Context(), "run-1", 0); err == nil {
		t.Error("a dry run wrote an item record")
	}
	var decided []Decision
	_ = db.QueryLedger(t.Context(), "", core.LedgerRun("run-1"), core.LedgerDecidedPrefix, func(r core.LedgerRecord) error {
		var c struct{ Decisions []Decision }
		err := json.Unmarshal(r.Data, &c)
		decided = append(decided, c.Decisions...)
		return err
	})
	if len(decided) != 4 {
		t.Errorf("decisions in the ledger = %+v, want 4 copies", decided)
	}
}

// A destination whose copy status cannot be read fails the plan, before
// anything is written.
func TestPlanCopiesStatusUnreadable(t *testing.T) {
	db := newMemLedger()
	putListed(t, db, "run-1", 10, ListedTable{Name: "orders", Status: core.TableActive})
	reads := 0
	h := &PlanCopies{Ledger: Ledger{Table: "ledger", DB: db}, Now: fixedClock(t0),
		Status: func(string) CopyStatusStore {
			return fakeStatus{err: &core.Throttled{Operation: "Query"}, reads: &reads}
		}}
	_, err := h.Handle(t.Context(), PlanCopiesInput{RunID: "run-1", Settings: planSettings(false)})
	var throttled *core.Throttled
	if !errors.As(err, &throttled) || !strings.Contains(err.Error(), "eu-central-1") {
		t.Errorf("err = %v, want Throttled naming the region", err)
	}
	if len(db.items) != 1 {
		t.Errorf("%d ledger records, want only the listing's", len(db.items))
	}
}

// Decisions of 10,000 tables with 255-character names are chunked into
// records that each fit a DynamoDB item.
func TestPlanCopiesChunksDecisions(t *testing.T) {
	db := newMemLedger()
	var tables []ListedTable
	for i := range 10000 {
		tables = append(tables, ListedTable{Name: fmt.Sprintf("%05d%s", i, strings.Repeat("t", 250)), Status: core.TableDeleting})
	}
	putListed(t, db, "run-1", 1000, tables...)
	reads := 0
	h := &PlanCopies{Ledger: Ledger{Table: "ledger", DB: db}, Status: func(string) CopyStatusStore { return fakeStatus{reads: &reads} }, Now: fixedClock(t0)}
	if _, err := h.Handle(t.Context(), PlanCopiesInput{RunID: "run-1", Settings: planSettings(false)}); err != nil {
		t.Fatal(err)
	}
	chunks := 0
	for k, v := range db.items {
		if strings.Contains(k, core.LedgerDecidedPrefix) {
			chunks++
			if len(v) > 400<<10 {
				t.Errorf("%s is %d bytes, over a DynamoDB item's 400 KB", k, len(v))
			}
		}
	}
	plan, _ := (Ledger{Table: "ledger", DB: db}).planDecisions(t.Context(), "run-1")
	skipped := planResults(plan)
	if chunks < 2 || len(skipped) != 10000 {
		t.Errorf("%d decision records holding %d skips; want several, holding 10000", chunks, len(skipped))
	}
}

// A skip confirms the newest copy in the destination's catalog, current as
// of what the metrics saw; a dry run confirms nothing.
func TestPlanCopiesConfirmsSkips(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		db := newMemLedger()
		putListed(t, db, "run-1", 10, ListedTable{Name: "orders", Status: core.TableActive}, ListedTable{Name: "users", Status: core.TableActive})
		copied := t0.Add(-2 * time.Hour)
		seen := t0.Add(-5 * time.Minute)
		status := func(table string) core.CopyStatus {
			return core.CopyStatus{Table: table, SourceRegion: "eu-west-1", DataTime: copied, CurrentAsOf: copied, CopySeconds: 60}
		}
		reads := 0
		var confirmed []core.CopyStatus
		store := fakeStatus{items: []core.CopyStatus{status("orders"), status("users")}, reads: &reads, confirmed: &confirmed}
		changes := &fakeChanges{evidence: map[string]core.ChangeEvidence{
			"orders": {Known: true, SeenUntil: seen},
			"users":  {Known: true, Changed: true, SeenUntil: seen},
		}}
		h := &PlanCopies{Ledger: Ledger{Table: "ledger", DB: db}, Status: func(string) CopyStatusStore { return store },
			Changes: func(string) ChangeReader { return changes }, Now: fixedClock(t0)}
		if _, err := h.Handle(t.Context(), PlanCopiesInput{RunID: "run-1", Settings: planSettings(dryRun)}); err != nil {
			t.Fatal(err)
		}
		switch {
		case dryRun && len(confirmed) != 0:
			t.Errorf("a dry run confirmed %+v", confirmed)
		case !dryRun && (len(confirmed) != 2 || confirmed[0].Table != "orders" || !confirmed[0].CurrentAsOf.Equal(seen) || !confirmed[0].DataTime.Equal(copied)):
			// orders is unchanged in both destinations; users was written.
			t.Errorf("confirmed %+v, want orders in both destinations, current as of %v", confirmed, seen)
		}
	}
}

// Admission counts the restores in flight in a destination (another run's
// temporary tables being created) against RESTORE_SLOTS.
func TestPlanCopiesCountsRestoresInFlight(t *testing.T) {
	db := newMemLedger()
	var listed []ListedTable
	for i := range 5 {
		listed = append(listed, ListedTable{Name: fmt.Sprintf("t%d", i), Status: core.TableActive})
	}
	putListed(t, db, "run-1", 10, listed...)
	reads := 0
	busy := []core.Table{
		{Name: core.TempTableName("eu-west-1", "other-1"), Status: core.TableCreating},
		{Name: core.TempTableName("eu-west-1", "other-2"), Status: core.TableCreating},
		{Name: core.TempTableName("eu-west-1", "other-3"), Status: core.TableActive}, // restored: backing up, no slot
		{Name: "orders", Status: core.TableCreating},                                 // not the tool's
	}
	h := &PlanCopies{Ledger: Ledger{Table: "ledger", DB: db}, Now: fixedClock(t0),
		Status: func(r string) CopyStatusStore { return fakeStatus{reads: &reads, tables: busy} }}
	s := planSettings(false)
	s.RestoreSlots = 3
	out, err := h.Handle(t.Context(), PlanCopiesInput{RunID: "run-1", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	// 3 slots less 2 in flight: one at a time, an hour's predicted copy each.
	if out.Concurrency != 1 || out.Count != 1 || out.Decided[string(core.DecisionDeferred)] != 8 {
		t.Errorf("plan = %+v, want concurrency 1, one table admitted, the rest deferred in both destinations", out)
	}
}
