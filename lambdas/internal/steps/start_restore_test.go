package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
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

// checkedRestorer is the target region as RestoreTableFromBackup sees its
// backups: one that is gone answers BackupNotFound, which the adapter
// reports with the target's name, as DynamoDB checks the backup before the
// target.
type checkedRestorer struct{ *fakeDB }

func (r checkedRestorer) RestoreTable(ctx context.Context, req core.RestoreRequest) (core.Table, error) {
	r.mu.Lock()
	there := slices.ContainsFunc(r.backups, func(b *fakeBackup) bool { return b.Arn == req.BackupArn })
	if !there {
		r.calls = append(r.calls, "RestoreTable "+req.TargetTable)
		r.restores = append(r.restores, req)
	}
	r.mu.Unlock()
	if !there {
		return core.Table{}, fmt.Errorf("RestoreTableFromBackup %s: %w", req.TargetTable, &core.BackupNotFound{BackupArn: req.TargetTable})
	}
	return r.fakeDB.RestoreTable(ctx, req)
}

// fallbackItem plans orders from the newest of n backups (an hour apart),
// each with its own manifest, with the older ones as its fallbacks, and
// returns the entries newest first.
func fallbackItem(db *fakeDB, n int, pit *time.Time) (RestoreItem, []core.CatalogEntry) {
	var entries []core.CatalogEntry
	for h := 1; h <= n; h++ {
		e := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(h), catalog: true})
		e.Manifest.ReadCapacity = int64(h) // tells the manifests apart
		entries = append(entries, e)
	}
	item := RestoreItem{PlannedRestore: PlannedRestore{
		Table: "orders", SourceRegion: src, Target: "orders-restored", BackupArn: entries[0].BackupArn, BackupName: entries[0].BackupName,
		BackupCreatedAt: entries[0].BackupCreatedAt, FoundBy: "catalog",
	}, Manifest: entries[0].Manifest, PointInTime: pit}
	for _, e := range entries[1:] {
		item.Fallbacks = append(item.Fallbacks, FallbackBackup{BackupArn: e.BackupArn, BackupName: e.BackupName, BackupCreatedAt: e.BackupCreatedAt, FoundBy: "catalog", Manifest: e.Manifest})
	}
	return item, entries
}

// deleteBackups removes backups from db, as a prune after the plan does.
func deleteBackups(db *fakeDB, entries ...core.CatalogEntry) {
	for _, e := range entries {
		db.backups = slices.DeleteFunc(db.backups, func(b *fakeBackup) bool { return b.Arn == e.BackupArn })
	}
}

func newStartRestore(cloud *fakeCloud, ledger Ledger) *StartRestore {
	return &StartRestore{Ledger: ledger, Clients: func(r string) TargetRestorer { return checkedRestorer{cloud.db(r)} }, Now: fixedClock(t0)}
}

// TestStartRestoreFallsBack: the planned backup and the next were pruned
// after the plan; the restore uses the newest planned backup still there,
// with its own manifest, and the progress says which were skipped and why.
func TestStartRestoreFallsBack(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	item, entries := fallbackItem(db, 4, nil)
	deleteBackups(db, entries[0], entries[1])
	ledger, _, child := plannedLedger(t, item)

	out, err := newStartRestore(cloud, ledger).Handle(context.Background(), child)
	if err != nil {
		t.Fatal(err)
	}

	var tried []string
	for _, r := range db.restores {
		tried = append(tried, r.BackupArn)
	}
	if want := []string{entries[0].BackupArn, entries[1].BackupArn, entries[2].BackupArn}; !slices.Equal(tried, want) {
		t.Errorf("restores tried %v, want %v", tried, want)
	}
	used := entries[2]
	if out.Item.BackupArn != used.BackupArn || out.Item.BackupName != used.BackupName || !out.Item.BackupCreatedAt.Equal(used.BackupCreatedAt) ||
		!reflect.DeepEqual(out.Item.Manifest, used.Manifest) || out.Item.Target != "orders-restored" || out.Item.Fallbacks != nil {
		t.Errorf("progress item = %+v, want the backup of %v with its manifest and no fallbacks", out.Item, used.BackupCreatedAt)
	}
	if len(out.Skipped) != 2 {
		t.Fatalf("skipped = %+v, want the two pruned backups", out.Skipped)
	}
	for i, s := range out.Skipped {
		if s.BackupArn != entries[i].BackupArn || !s.BackupCreatedAt.Equal(entries[i].BackupCreatedAt) || !strings.Contains(s.Reason, "not found in "+dst) {
			t.Errorf("skipped[%d] = %+v, want %s, not found", i, s, entries[i].BackupArn)
		}
	}
	if got, _ := db.DescribeTable(context.Background(), "orders-restored"); got.RestoredFrom != used.BackupArn {
		t.Errorf("target restored from %q, want %q", got.RestoredFrom, used.BackupArn)
	}
}

// TestStartRestoreEveryBackupGone: when every planned backup is gone the
// table fails, naming the table, the point in time and what to do, and
// nothing is created.
func TestStartRestoreEveryBackupGone(t *testing.T) {
	pit := hoursAgo(1).Add(30 * time.Minute)
	for name, pit := range map[string]*time.Time{"newest": nil, "at a point in time": &pit} {
		t.Run(name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			item, entries := fallbackItem(db, 3, pit)
			deleteBackups(db, entries...)
			ledger, _, child := plannedLedger(t, item)

			out, err := newStartRestore(cloud, ledger).Handle(context.Background(), child)

			var gone *BackupsGone
			if !errors.As(err, &gone) || err != error(gone) {
				t.Fatalf("err = %v (%T), want BackupsGone unwrapped", err, err)
			}
			hints := []string{`table "orders"`, "all 3 backup(s) planned", "gone from " + dst, "start a new restore of this table"}
			if pit != nil {
				hints = append(hints, "at or before 2025-06-01T11:30:00Z", "choose a later pointInTime")
			}
			for _, h := range hints {
				if !strings.Contains(err.Error(), h) {
					t.Errorf("message %q does not say %q", err, h)
				}
			}
			if len(gone.Skipped) != 3 || !reflect.DeepEqual(out, RestoreProgress{}) || db.hasTable("orders-restored") {
				t.Errorf("skipped %+v, out %+v, target created %v", gone.Skipped, out, db.hasTable("orders-restored"))
			}
		})
	}
}

// TestStartRestoreResumesAfterFallback: a retry of StartRestore (its
// response was lost) finds the target it restored, from whichever planned
// backup, and carries on with that one.
func TestStartRestoreResumesAfterFallback(t *testing.T) {
	tests := []struct {
		name        string
		from        int   // the planned backup the target was restored from
		gone        []int // planned backups gone at the retry
		wantSkipped int
	}{
		{"restored from a fallback", 1, []int{0}, 1},
		{"restored from the chosen backup, pruned since", 0, []int{0}, 0},
		{"restored from a fallback, every planned backup pruned since", 1, []int{0, 1, 2}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			item, entries := fallbackItem(db, 3, nil)
			created := t0.Add(-time.Minute)
			db.addTable(core.Table{Name: "orders-restored", Status: core.TableCreating, Created: created, RestoredFrom: entries[tc.from].BackupArn}, nil)
			for _, i := range tc.gone {
				deleteBackups(db, entries[i])
			}
			ledger, _, child := plannedLedger(t, item)

			out, err := newStartRestore(cloud, ledger).Handle(context.Background(), child)
			if err != nil {
				t.Fatal(err)
			}
			if out.Item.BackupArn != entries[tc.from].BackupArn || !out.Since.Equal(created) || len(out.Skipped) != tc.wantSkipped {
				t.Errorf("out = %+v, want resumed from %s with %d skipped", out, entries[tc.from].BackupArn, tc.wantSkipped)
			}
		})
	}
}
