package steps

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestSweepDeletesOnlyOldOwnedTemporaryTables(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	old := t0.Add(-48 * time.Hour)

	// Tables the tool does not own, all old enough to sweep.
	for _, tc := range notOwnedTables() {
		tc.table.Created = old
		db.addTable(tc.table, tc.tags)
	}
	if n := len(db.tables); n != len(notOwnedTables()) {
		t.Fatalf("setup: %d tables, want %d distinct ones", n, len(notOwnedTables()))
	}
	// Owned temporary tables.
	orphan, tags := ownedTemp("orphan", sourceBackupArn("orphan", "01748600000000-11111111"), "crashed-run")
	orphan.Created = old
	db.addTable(orphan, tags)
	young, tags := ownedTemp("young", sourceBackupArn("young", "01748779000000-22222222"), run2)
	young.Created = t0.Add(-time.Hour)
	db.addTable(young, tags)
	stuck, tags := ownedTemp("stuck", sourceBackupArn("stuck", "01748600000000-33333333"), "slow-run")
	stuck.Created, stuck.Status = old, core.TableCreating
	db.addTable(stuck, tags)
	// An owned orphan in a second region.
	db2 := cloud.db(dst2)
	orphan2, tags := ownedTemp("orphan", sourceBackupArn("orphan", "01748600000000-44444444"), "crashed-run")
	orphan2.Created = old
	db2.addTable(orphan2, tags)

	h := &Sweep{Clients: clients[Sweeper](cloud), Now: fixedClock(t0)}
	out, err := h.Handle(context.Background(), SweepInput{Regions: []string{dst, dst2}, SweepAfterHours: 24})
	if err != nil {
		t.Fatal(err)
	}

	want := []SweptTable{{dst, orphan.Name}, {dst2, orphan2.Name}}
	if !slices.Equal(out.Deleted, want) {
		t.Errorf("Deleted = %v, want %v", out.Deleted, want)
	}
	if out.Young != 2 {
		t.Errorf("Young = %d, want 2 (one young, one still creating)", out.Young)
	}
	// Every prefixed table that fails the checks is counted; "orders" has no
	// prefix and is not even looked at.
	wantNotOwned := 0
	for _, tc := range notOwnedTables() {
		if core.IsTempTableName(tc.table.Name) {
			wantNotOwned++
		}
	}
	if out.NotOwned != wantNotOwned {
		t.Errorf("NotOwned = %d, want %d", out.NotOwned, wantNotOwned)
	}
	for _, d := range []*fakeDB{db, db2} {
		d.mu.Lock()
		calls := slices.Clone(d.calls)
		d.mu.Unlock()
		for _, c := range calls {
			if strings.HasPrefix(c, "DeleteTable ") && c != "DeleteTable "+orphan.Name {
				t.Errorf("%s: unexpected call %q", d.region, c)
			}
		}
	}
	for _, tc := range notOwnedTables() {
		if !db.hasTable(tc.table.Name) {
			t.Errorf("not-owned table %q (%s) was deleted", tc.table.Name, tc.name)
		}
	}
	if db.hasTable(orphan.Name) || db2.hasTable(orphan2.Name) || !db.hasTable(young.Name) || !db.hasTable(stuck.Name) {
		t.Error("wrong tables left behind")
	}
}

func TestSweepDryRunAndErrors(t *testing.T) {
	old := t0.Add(-48 * time.Hour)
	orphan, tags := ownedTemp("orphan", sourceBackupArn("orphan", "01748600000000-11111111"), "crashed-run")
	orphan.Created = old
	tests := []struct {
		name        string
		in          SweepInput
		fail        map[string]error
		wantErr     any
		wantDeleted int
		wantCalls   int // DeleteTable
	}{
		{name: "dry run reports but deletes nothing", in: SweepInput{Regions: []string{dst}, SweepAfterHours: 24, DryRun: true}, wantDeleted: 1},
		{name: "deleted meanwhile", in: SweepInput{Regions: []string{dst}, SweepAfterHours: 24}, fail: map[string]error{"DeleteTable": &core.TableNotFound{}}, wantDeleted: 1, wantCalls: 1},
		{name: "not old enough under a longer bound", in: SweepInput{Regions: []string{dst}, SweepAfterHours: 72}},
		{name: "zero bound", in: SweepInput{Regions: []string{dst}, SweepAfterHours: 0}, wantErr: new(*core.InvalidInput)},
		{name: "bad region", in: SweepInput{Regions: []string{"mars-1"}, SweepAfterHours: 24}, wantErr: new(*core.InvalidInput)},
		{name: "delete busy", in: SweepInput{Regions: []string{dst}, SweepAfterHours: 24}, fail: map[string]error{"DeleteTable": &core.ResourceBusy{}}, wantErr: new(*core.ResourceBusy), wantCalls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			db.addTable(orphan, tags)
			maps.Copy(db.fail, tc.fail)
			h := &Sweep{Clients: clients[Sweeper](cloud), Now: fixedClock(t0)}

			out, err := h.Handle(context.Background(), tc.in)

			checkErr(t, err, tc.wantErr)
			if len(out.Deleted) != tc.wantDeleted {
				t.Errorf("Deleted = %v, want %d", out.Deleted, tc.wantDeleted)
			}
			if n := cloud.totalCalls("DeleteTable"); n != tc.wantCalls {
				t.Errorf("DeleteTable called %d times, want %d", n, tc.wantCalls)
			}
		})
	}
}

// TestSweepAdoptsUntaggedOrphans: an old, untagged table bound to its name
// by its restore summary is tagged by one sweep and deleted by the next.
func TestSweepAdoptsUntaggedOrphans(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	orphan, _ := ownedTemp("orders", sourceBackupArn("orders", "01748600000000-11111111"), "crashed-run")
	orphan.Created = t0.Add(-48 * time.Hour)
	db.addTable(orphan, nil)
	h := &Sweep{Clients: clients[Sweeper](cloud), Now: fixedClock(t0)}
	in := SweepInput{Regions: []string{dst}, SweepAfterHours: 24}

	out, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 0 || !slices.Equal(out.Adopted, []SweptTable{{dst, orphan.Name}}) || db.count("DeleteTable") != 0 {
		t.Fatalf("first sweep: %+v, %d deletes; want the orphan adopted, not deleted", out, db.count("DeleteTable"))
	}
	// A sweep later, however long the tags took to show, the orphan is
	// deleted; until they show it is only adopted again.
	out, err = h.Handle(context.Background(), in)
	if err != nil || len(out.Deleted) != 0 {
		t.Fatalf("sweep before the tags show: %+v, %v; want nothing deleted", out, err)
	}
	db.settleTags()
	out, err = h.Handle(context.Background(), in)
	if err != nil || !slices.Equal(out.Deleted, []SweptTable{{dst, orphan.Name}}) {
		t.Fatalf("second sweep: %+v, %v; want the orphan deleted", out, err)
	}
}
