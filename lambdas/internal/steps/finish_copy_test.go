package steps

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// finishSetup is a destination holding run1's temporary table of orders,
// restored from restoreArn, and the backup of it this run started 40 s
// before t0 (status given), with the run's item 0 in the ledger.
func finishSetup(t *testing.T, status string) (*fakeCloud, *fakeDB, *memLedger, FinishCopyInput) {
	t.Helper()
	cloud, db, temp := cloudWithOwnedTemp()
	db.addCatalog(catalogName)
	b := db.addBackup(temp.Name, core.BackupInfo{Name: core.BackupName("orders", run1, t0), Status: status, Created: t0.Add(-40 * time.Second), SizeBytes: 4096, Type: core.BackupTypeUser})
	ledger := newMemLedger()
	zero := 0
	in := FinishCopyInput{
		PollInput: PollInput{Region: dst, Since: b.Created, PollLimitMinutes: 60, Predicted: 60},
		BackupArn: b.Arn, BackupName: b.Name, SourceRegion: src, SourceTable: "orders", TempTable: temp.Name,
		SourceBackupArn: restoreArn, SourceBackupCreatedAt: t0.Add(-15 * time.Minute), CatalogTable: catalogName, RunID: run1, Index: &zero,
		ItemCount: 7, Manifest: &core.Manifest{Tags: map[string]string{"team": "payments"}},
		SourceBackup: core.PhaseHistory{Seconds: 120, SizeBytes: 4096}, Restore: core.PhaseHistory{Seconds: 600, SizeBytes: 4096},
		RetentionDays: 7, KeepLast: 3,
	}
	return cloud, db, ledger, in
}

// Until the destination backup is AVAILABLE the step only polls, waiting
// for the predicted end; then it records the backup and the copy status,
// deletes the temporary table, and records the copy's success.
func TestFinishCopy(t *testing.T) {
	cloud, db, ledger, in := finishSetup(t, core.BackupStatusCreate)
	h := &FinishCopy{Clients: clients[CopyFinisher](cloud), Ledger: Ledger{Table: "ledger", DB: ledger}, Now: fixedClock(t0)}
	out, err := h.Handle(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	// Predicted 60 s, 40 s elapsed: the next poll just after the predicted end.
	if out.Ready || out.WaitSeconds != 23 || out.Predicted != 60 {
		t.Errorf("while CREATING: %+v; want not ready, a wait of 23 s (63 - 40) and the prediction passed on", out)
	}
	if len(db.entriesOf(catalogName)) != 0 || !db.hasTable(in.TempTable) {
		t.Fatal("the copy was finished before its backup was AVAILABLE")
	}

	db.backups[len(db.backups)-1].Status = core.BackupStatusAvail
	out, err = h.Handle(t.Context(), in)
	if err != nil || !out.Ready {
		t.Fatalf("once AVAILABLE: %+v, %v", out, err)
	}
	entries := db.entriesOf(catalogName)
	if len(entries) != 1 || entries[0].BackupArn != in.BackupArn || entries[0].Manifest == nil || entries[0].BackupCreatedAt != in.SourceBackupCreatedAt {
		t.Errorf("catalog = %+v", entries)
	}
	want := core.CopyStatus{Table: "orders", SourceRegion: src, DataTime: in.SourceBackupCreatedAt, CurrentAsOf: in.SourceBackupCreatedAt,
		Phases: map[core.Phase]core.PhaseHistory{
			core.PhaseSourceBackup: in.SourceBackup, core.PhaseRestore: in.Restore, core.PhaseDestinationBackup: {Seconds: 40, SizeBytes: 4096},
		},
		CopySeconds: 900, SizeBytes: 4096, RunID: run1}
	if got := db.statuses["orders"]; !reflect.DeepEqual(got, want) {
		t.Errorf("copy status = %+v\nwant %+v", got, want)
	}
	if db.hasTable(in.TempTable) && db.tables[in.TempTable].Status != core.TableDeleting {
		t.Error("the temporary table is still there")
	}
	raw, ok, _ := ledger.GetLedger(t.Context(), "", core.LedgerRun(run1), core.LedgerOutcomeKey(0, dst))
	if !ok || string(raw) != `{"region":"`+dst+`","status":"succeeded","table":"orders"}` {
		t.Errorf("outcome = %s, %v", raw, ok)
	}
}

// A catalog entry that cannot be written fails the copy before anything is
// deleted: the backup stays, and the temporary table is left for the
// clean-up path.
func TestFinishCopyCatalogFailure(t *testing.T) {
	cloud, db, ledger, in := finishSetup(t, core.BackupStatusAvail)
	db.fail["PutEntry"] = &core.Throttled{Operation: "PutItem"}
	h := &FinishCopy{Clients: clients[CopyFinisher](cloud), Ledger: Ledger{Table: "ledger", DB: ledger}, Now: fixedClock(t0)}
	_, err := h.Handle(t.Context(), in)
	var throttled *core.Throttled
	if !errors.As(err, &throttled) {
		t.Fatalf("err = %v, want Throttled", err)
	}
	if n := cloud.totalCalls("DeleteBackup") + cloud.totalCalls("DeleteTable") + cloud.totalCalls("PutCopyStatus"); n != 0 {
		t.Errorf("%d deletes or status writes after the catalog failed", n)
	}
	if len(ledger.items) != 0 {
		t.Errorf("an outcome was recorded: %v", ledger.items)
	}
}

// The temporary table is deleted only when it is the tool's: a table of the
// temporary name restored from another backup is refused.
func TestFinishCopyNeverDeletesAnotherTable(t *testing.T) {
	cloud, db, ledger, in := finishSetup(t, core.BackupStatusAvail)
	in.SourceBackupArn = sourceBackupArn("orders", "01748779200000-bbbbbbbb")
	h := &FinishCopy{Clients: clients[CopyFinisher](cloud), Ledger: Ledger{Table: "ledger", DB: ledger}, Now: fixedClock(t0)}
	_, err := h.Handle(t.Context(), in)
	checkErr(t, err, new(*core.TableNotOwned))
	if !db.hasTable(in.TempTable) || db.tables[in.TempTable].Status == core.TableDeleting {
		t.Error("a table restored from another backup was deleted")
	}
}
