package steps

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// restoreItem sets up one planned restore of orders as orders-restored,
// with its catalog entry carrying manifest (none when nil).
func restoreItem(db *fakeDB, manifest *core.Manifest) RestoreItem {
	e := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(2), catalog: manifest != nil})
	return RestoreItem{PlannedRestore: PlannedRestore{
		Table: "orders", SourceRegion: src, Target: "orders-restored", BackupArn: e.BackupArn, BackupName: e.BackupName,
		BackupCreatedAt: e.BackupCreatedAt, FoundBy: "catalog",
	}, Manifest: manifest}
}

// restoreRunID is the restore execution the unit tests plan.
const restoreRunID = "restore-1"

// plannedLedger is a run ledger holding item as item 0 of restoreRunID, as
// PlanRestore leaves it, and the child input of that item.
func plannedLedger(t *testing.T, item RestoreItem) (Ledger, *memLedger, RestoreChild) {
	t.Helper()
	mem := newMemLedger()
	l := Ledger{Table: "ledger", DB: mem}
	r, err := record(core.LedgerItemKey(0), item)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.put(context.Background(), restoreRunID, t0, r); err != nil {
		t.Fatal(err)
	}
	return l, mem, RestoreChild{RunID: restoreRunID, Index: 0, Region: dst}
}

// TestStartRestoreKeepsTheBackupsBilling: the restore itself overrides
// neither billing nor encryption (the backup is in the target region);
// ApplySettings brings the source's billing back, indexes included.
func TestStartRestoreKeepsTheBackupsBilling(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	item := restoreItem(db, &core.Manifest{BillingMode: core.BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10})
	ledger, _, child := plannedLedger(t, item)
	h := &StartRestore{Ledger: ledger, Clients: clients[TargetRestorer](cloud), Now: fixedClock(t0)}

	out, err := h.Handle(context.Background(), child)
	if err != nil {
		t.Fatal(err)
	}

	want := core.RestoreRequest{BackupArn: item.BackupArn, TargetTable: "orders-restored"}
	if len(db.restores) != 1 || !reflect.DeepEqual(db.restores[0], want) {
		t.Errorf("restores = %+v, want %+v", db.restores, want)
	}
	// The progress carries the item read from the ledger, manifest included,
	// and asks for the first poll after the poll schedule's first wait.
	if !reflect.DeepEqual(out.Item, item) || !out.Since.Equal(t0) || out.WaitSeconds != 10 || out.ItemCount != nil {
		t.Errorf("out = %+v", out)
	}
	if n := db.count("Entries"); n != 0 {
		t.Errorf("the catalog was read %d times; the restore needs no catalog", n)
	}
}

func TestStartRestoreExistingTarget(t *testing.T) {
	created := t0.Add(-5 * time.Minute)
	tests := []struct {
		name        string
		from        func(item RestoreItem) string // the existing table's RestoredFrom
		wantResumed bool
	}{
		{"restored from the same backup: a retry resumes", func(item RestoreItem) string { return item.BackupArn }, true},
		{"restored from another backup", func(RestoreItem) string { return sourceBackupArn("orders", "01748700000000-bbbbbbbb") }, false},
		{"not restored at all", func(RestoreItem) string { return "" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			item := restoreItem(db, &core.Manifest{BillingMode: core.BillingPayPerRequest})
			tags := map[string]string{"team": "payments"}
			existing := db.addTable(core.Table{Name: "orders-restored", Status: core.TableActive, Created: created, RestoredFrom: tc.from(item), ItemCount: 42}, tags)
			ledger, _, child := plannedLedger(t, item)
			h := &StartRestore{Ledger: ledger, Clients: clients[TargetRestorer](cloud), Now: fixedClock(t0)}

			out, err := h.Handle(context.Background(), child)

			if tc.wantResumed {
				if err != nil {
					t.Fatal(err)
				}
				if !out.Since.Equal(created) || out.Item.Target != "orders-restored" {
					t.Errorf("out = %+v, want resumed since %v", out, created)
				}
			} else {
				var notOwned *core.TableNotOwned
				if !errors.As(err, &notOwned) || err != error(notOwned) {
					t.Fatalf("err = %v (%T), want TableNotOwned unwrapped", err, err)
				}
				if notOwned.Table != "orders-restored" || notOwned.Region != dst || !strings.Contains(notOwned.Reason, "not overwritten") {
					t.Errorf("TableNotOwned = %+v", notOwned)
				}
				if !reflect.DeepEqual(out, RestoreProgress{}) {
					t.Errorf("out = %+v, want nothing", out)
				}
			}
			// Whatever happened, the table that was there is still there,
			// as it was.
			after, err := db.DescribeTable(context.Background(), "orders-restored")
			if err != nil || after != existing || !maps.Equal(db.tagsOf("orders-restored"), tags) {
				t.Errorf("table now %+v (tags %v), was %+v", after, db.tagsOf("orders-restored"), existing)
			}
			for _, op := range []string{"DeleteTable", "TagTable", "UpdateTable"} {
				if n := db.count(op); n != 0 {
					t.Errorf("%s called %d times", op, n)
				}
			}
			if n := db.count("RestoreTable"); n != 1 {
				t.Errorf("RestoreTable called %d times, want the one attempt", n)
			}
		})
	}
}

func TestStartRestoreErrors(t *testing.T) {
	t.Run("bad input", func(t *testing.T) {
		db := newCloud().db(dst)
		for name, tc := range map[string]struct {
			child RestoreChild
			item  RestoreItem
		}{
			"bad region":        {RestoreChild{RunID: restoreRunID, Region: "nowhere"}, restoreItem(db, nil)},
			"no run":            {RestoreChild{Region: dst}, restoreItem(db, nil)},
			"negative index":    {RestoreChild{RunID: restoreRunID, Index: -1, Region: dst}, restoreItem(db, nil)},
			"no such item":      {RestoreChild{RunID: restoreRunID, Index: 1, Region: dst}, restoreItem(db, nil)},
			"a bad target name": {RestoreChild{RunID: restoreRunID, Region: dst}, RestoreItem{PlannedRestore: PlannedRestore{Table: "orders", Target: "no/slash"}}},
		} {
			cloud := newCloud()
			ledger, _, _ := plannedLedger(t, tc.item)
			h := &StartRestore{Ledger: ledger, Clients: clients[TargetRestorer](cloud), Now: fixedClock(t0)}
			_, err := h.Handle(context.Background(), tc.child)
			var bad *core.InvalidInput
			if !errors.As(err, &bad) {
				t.Errorf("%s: err = %v, want InvalidInput", name, err)
			}
			if calls := cloud.allCalls(); len(calls) != 0 {
				t.Errorf("%s: calls = %v", name, calls)
			}
		}
	})
	t.Run("restore refused", func(t *testing.T) {
		cloud := newCloud()
		db := cloud.db(dst)
		ledger, _, child := plannedLedger(t, restoreItem(db, nil))
		db.fail["RestoreTable"] = &core.QuotaExceeded{Operation: "RestoreTableFromBackup"}
		h := &StartRestore{Ledger: ledger, Clients: clients[TargetRestorer](cloud), Now: fixedClock(t0)}
		_, err := h.Handle(context.Background(), child)
		var quota *core.QuotaExceeded
		if !errors.As(err, &quota) || !strings.Contains(err.Error(), "orders-restored") {
			t.Errorf("err = %v, want QuotaExceeded naming the target", err)
		}
	})
}
