package steps

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// fullManifest is a source table with every setting a restore loses.
func fullManifest() *core.Manifest {
	return &core.Manifest{
		SourceRegion: src, SourceTable: "orders", CapturedAt: hoursAgo(2),
		BillingMode: core.BillingProvisioned, ReadCapacity: 20, WriteCapacity: 10, TableClass: "STANDARD_INFREQUENT_ACCESS",
		IndexCapacity:      map[string]core.Capacity{"by-customer": {Read: 4, Write: 2}},
		DeletionProtection: true, StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES",
		TTLEnabled: true, TTLAttribute: "expiresAt", PITREnabled: true, PITRRecoveryDays: 14,
		Tags: map[string]string{"team": "payments", "aws:cloudformation:stack-name": "s", core.TagOwner: core.OwnerValue},
	}
}

// finishing is one table's restore as the state machine drives it: the
// child input, the ledger, and FinishRestore on a clock the test moves.
type finishing struct {
	t      *testing.T
	cloud  *fakeCloud
	db     *fakeDB
	ledger Ledger
	mem    *memLedger
	in     FinishRestoreInput
	now    time.Time
	h      *FinishRestore
}

func newFinishing(t *testing.T, manifest *core.Manifest) *finishing {
	cloud := newCloud()
	db := cloud.db(dst)
	item := restoreItem(db, manifest)
	ledger, mem, child := plannedLedger(t, item)
	f := &finishing{t: t, cloud: cloud, db: db, ledger: ledger, mem: mem, now: t0}
	f.in = FinishRestoreInput{RestoreChild: child, ApplySettings: true, PollLimitMinutes: 60, Restore: RestoreProgress{Item: item, Since: t0, WaitSeconds: 10}}
	f.h = &FinishRestore{Ledger: ledger, Clients: clients[RestoreFinisher](cloud), Schedule: core.DefaultPoll, Now: func() time.Time { return f.now }}
	return f
}

// call invokes FinishRestore with the previous call's progress, as the
// state machine's loop does.
func (f *finishing) call() (RestoreProgress, error) {
	out, err := f.h.Handle(context.Background(), f.in)
	if err == nil {
		f.in.Restore = out
	}
	return out, err
}

// outcome is the table's outcome in the ledger, if written.
func (f *finishing) outcome() (TableResult, bool) {
	raw, ok, err := f.mem.GetLedger(context.Background(), f.ledger.Table, core.LedgerRun(restoreRunID), core.LedgerOutcomeKey(0, ""))
	if err != nil || !ok {
		return TableResult{}, false
	}
	var r TableResult
	if err := json.Unmarshal(raw, &r); err != nil {
		f.t.Fatal(err)
	}
	return r, true
}

// TestFinishRestoreStepByStep follows a restore from CREATING to its
// outcome: polls on the poll schedule, then the settings, one table update
// per call, then the outcome in the ledger and an empty output.
func TestFinishRestoreStepByStep(t *testing.T) {
	f := newFinishing(t, fullManifest())
	f.db.addTable(core.Table{Name: "orders-restored", Status: core.TableCreating, RestoredFrom: f.in.Restore.Item.BackupArn, ItemCount: 40}, nil)
	// Restored on demand, without the manifest's billing and class.
	f.db.setSettings("orders-restored", core.Manifest{BillingMode: core.BillingPayPerRequest, TableClass: core.TableClassStandard})
	step := func(wantApplied []string, wantWait int) {
		t.Helper()
		before := len(f.cloud.writeCalls())
		applied := len(f.in.Restore.Applied)
		out, err := f.call()
		if err != nil {
			t.Fatal(err)
		}
		if out.WaitSeconds != wantWait || !slices.Equal(out.Applied[applied:], wantApplied) {
			t.Fatalf("out = %+v, want %v applied and a wait of %d", out, wantApplied, wantWait)
		}
		if writes := f.cloud.writeCalls()[before:]; len(writes) != len(wantApplied) {
			t.Errorf("writes = %v, want one per applied setting %v", writes, wantApplied)
		}
		if _, ok := f.outcome(); ok {
			t.Fatal("an outcome was written before the restore finished")
		}
	}
	// CREATING: the poll schedule's waits (a fifth of the elapsed time).
	f.now = t0.Add(10 * time.Minute)
	step(nil, 120)
	f.now = t0.Add(20 * time.Minute)
	f.db.setStatus("orders-restored", core.TableActive)
	// ACTIVE: tags, TTL and PITR together, and the first UpdateTable.
	step([]string{"tags", "ttl", "pitr", "billing"}, settleWait)
	// While the table is UPDATING nothing is touched.
	step(nil, settleWait)
	f.db.settleTags()
	for _, next := range []string{"tableClass", "stream", "deletionProtection"} {
		f.db.setStatus("orders-restored", core.TableActive)
		step([]string{next}, settleWait)
	}
	f.db.setStatus("orders-restored", core.TableActive)
	f.now = t0.Add(25 * time.Minute)
	item := f.in.Restore.Item
	out, err := f.call()
	if err != nil {
		t.Fatal(err)
	}
	// Finished: the output is empty, the child execution's tiny output.
	if b, _ := json.Marshal(out); string(b) != "{}" {
		t.Errorf("finished output = %s, want {}", b)
	}
	got, ok := f.outcome()
	count := int64(40)
	want := TableResult{
		Table: "orders", Status: StatusSucceeded, Target: "orders-restored", BackupArn: item.BackupArn,
		BackupCreatedAt: item.BackupCreatedAt, Seconds: 1500, RestoreSeconds: 1200, ItemCount: &count,
		ItemCountNote:   core.ApproxItemCountNote(t0.Add(20 * time.Minute)),
		SettingsApplied: []string{"tags", "ttl", "pitr", "billing", "tableClass", "stream", "deletionProtection"},
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("outcome = %+v, %v; want %+v", got, ok, want)
	}
	yes := true
	wantUpdates := []core.TableUpdate{
		{BillingMode: core.BillingProvisioned, ReadCapacity: 20, WriteCapacity: 10, IndexCapacity: map[string]core.Capacity{"by-customer": {Read: 4, Write: 2}}},
		{TableClass: "STANDARD_INFREQUENT_ACCESS"},
		{Stream: &core.StreamSetting{Enabled: true, ViewType: "NEW_AND_OLD_IMAGES"}},
		{DeletionProtection: &yes},
	}
	if !reflect.DeepEqual(f.db.updates, wantUpdates) {
		t.Errorf("updates = %+v, want %+v", f.db.updates, wantUpdates)
	}
	have := f.db.settingsOf("orders-restored")
	if !core.Diff(have, *fullManifest()).Empty() || !maps.Equal(have.Tags, map[string]string{"team": "payments"}) {
		t.Errorf("settings now %+v, want the manifest's with only the restorable tags", have)
	}
	for _, op := range []string{"DeleteTable", "RestoreTable", "DeleteBackup", "PutEntry", "DeleteEntry", "Entries"} {
		if n := f.db.count(op); n != 0 {
			t.Errorf("%s called %d times", op, n)
		}
	}
}

// TestFinishRestoreWithoutSettings: a backup without a manifest, or a
// restore that does not reapply settings, finishes once the table is
// ACTIVE, and writes nothing to the table.
func TestFinishRestoreWithoutSettings(t *testing.T) {
	for _, tc := range []struct {
		name         string
		manifest     *core.Manifest
		apply        bool
		wantNoManfst bool
	}{
		{"no manifest", nil, true, true},
		{"applySettings false", fullManifest(), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFinishing(t, tc.manifest)
			f.in.ApplySettings = tc.apply
			f.db.addTable(core.Table{Name: "orders-restored", RestoredFrom: f.in.Restore.Item.BackupArn}, nil)
			out, err := f.call()
			if err != nil || out.WaitSeconds != 0 {
				t.Fatalf("out = %+v, %v; want finished", out, err)
			}
			got, ok := f.outcome()
			if !ok || got.Status != StatusSucceeded || got.NoManifest != tc.wantNoManfst || len(got.SettingsApplied) != 0 {
				t.Errorf("outcome = %+v, %v", got, ok)
			}
			if writes := f.cloud.writeCalls(); len(writes) != 0 {
				t.Errorf("writes = %v", writes)
			}
		})
	}
}

func TestFinishRestorePollLimit(t *testing.T) {
	f := newFinishing(t, nil)
	f.db.addTable(core.Table{Name: "orders-restored", Status: core.TableCreating}, nil)
	f.now = t0.Add(61 * time.Minute)
	_, err := f.call()
	var timedOut *core.PollTimedOut
	if !errors.As(err, &timedOut) {
		t.Errorf("err = %v, want PollTimedOut", err)
	}
	f.now = t0.Add(59*time.Minute + 30*time.Second)
	if out, err := f.call(); err != nil || out.WaitSeconds > 31 {
		t.Errorf("out = %+v, %v; want a wait that ends at the limit", out, err)
	}
}

func TestFinishRestoreErrors(t *testing.T) {
	t.Run("bad input", func(t *testing.T) {
		for name, mutate := range map[string]func(*FinishRestoreInput){
			"bad region": func(in *FinishRestoreInput) { in.Region = "x" },
			"no run":     func(in *FinishRestoreInput) { in.RunID = "" },
			"no since":   func(in *FinishRestoreInput) { in.Restore.Since = time.Time{} },
			"no limit":   func(in *FinishRestoreInput) { in.PollLimitMinutes = 0 },
		} {
			f := newFinishing(t, nil)
			mutate(&f.in)
			_, err := f.call()
			var bad *core.InvalidInput
			if !errors.As(err, &bad) || len(f.cloud.allCalls()) != 0 {
				t.Errorf("%s: err = %v, calls %v", name, err, f.cloud.allCalls())
			}
		}
	})
	for _, tc := range []struct {
		op   string
		err  error
		want any
	}{
		{"DescribeTable", &core.TableNotFound{Table: "orders-restored"}, new(*core.TableNotFound)},
		{"ReadSettings", &core.Throttled{Operation: "DescribeTimeToLive"}, new(*core.Throttled)},
		{"TagTable", &core.ResourceBusy{Operation: "TagResource"}, new(*core.ResourceBusy)},
		{"EnableTTL", &core.ResourceBusy{Operation: "UpdateTimeToLive"}, new(*core.ResourceBusy)},
		{"SetPITR", &core.BackupsNotYetEnabled{Operation: "UpdateContinuousBackups"}, new(*core.BackupsNotYetEnabled)},
		{"UpdateTable", &core.QuotaExceeded{Operation: "UpdateTable"}, new(*core.QuotaExceeded)},
	} {
		t.Run(tc.op, func(t *testing.T) {
			f := newFinishing(t, fullManifest())
			f.db.addTable(core.Table{Name: "orders-restored"}, nil)
			f.db.setSettings("orders-restored", core.Manifest{BillingMode: core.BillingPayPerRequest})
			f.db.fail[tc.op] = tc.err
			_, err := f.call()
			if !errors.As(err, tc.want) {
				t.Errorf("err = %v; want %T", err, tc.want)
			}
			if _, ok := f.outcome(); ok {
				t.Error("an outcome was written for a call that failed")
			}
		})
	}
	t.Run("a table that fails", func(t *testing.T) {
		f := newFinishing(t, nil)
		f.db.addTable(core.Table{Name: "orders-restored", Status: "INACCESSIBLE_ENCRYPTION_CREDENTIALS"}, nil)
		_, err := f.call()
		var failed *core.ResourceFailed
		if !errors.As(err, &failed) {
			t.Errorf("err = %v, want ResourceFailed", err)
		}
	})
}

// TestRecordRestoreFailure writes a failed table's outcome, named from its
// item, and ends the child with an empty output; Summarize reports it.
func TestRecordRestoreFailure(t *testing.T) {
	db := newCloud().db(dst)
	item := restoreItem(db, nil)
	ledger, _, child := plannedLedger(t, item)
	h := &RecordRestoreFailure{Ledger: ledger, Now: fixedClock(t0)}
	in := RecordRestoreFailureInput{RestoreChild: child}
	in.Error.Error, in.Error.Cause = "RequestRejected", `{"errorMessage":"restore orders-restored: injected","errorType":"RequestRejected"}`
	out, err := h.Handle(context.Background(), in)
	if b, _ := json.Marshal(out); err != nil || string(b) != "{}" {
		t.Fatalf("out = %s, %v", b, err)
	}
	s, err := (&Summarize{Ledger: ledger, Now: fixedClock(t0)}).Handle(context.Background(), SummarizeInput{RunID: restoreRunID, Items: 1, Detailed: true, Results: []TableResult{{}}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Failed != 1 || len(s.Failures) != 1 {
		t.Fatalf("summary = %+v", s)
	}
	f := s.Failures[0]
	if f.Table != "orders" || f.Target != "orders-restored" || f.BackupArn != item.BackupArn || f.Error != "RequestRejected" || !strings.Contains(f.Cause, "injected") {
		t.Errorf("failure = %+v", f)
	}
	t.Run("an item that cannot be read", func(t *testing.T) {
		in := in
		in.Index = 7
		if _, err := h.Handle(context.Background(), in); err == nil {
			t.Error("no error for an item that is not in the ledger")
		}
	})
}

// TestFinishRestoreRecordsTheBackupsSkipped: a table restored from a
// fallback has an outcome naming the backup restored and each planned
// backup passed over, with why.
func TestFinishRestoreRecordsTheBackupsSkipped(t *testing.T) {
	f := newFinishing(t, nil)
	used := addXRBackup(f.db, xrBackup{table: "orders", taken: hoursAgo(5)})
	planned := f.in.Restore.Item
	f.in.Restore.Item.BackupArn, f.in.Restore.Item.BackupCreatedAt = used.BackupArn, used.BackupCreatedAt
	skipped := []SkippedBackup{{BackupArn: planned.BackupArn, BackupCreatedAt: planned.BackupCreatedAt, Reason: "not found"}}
	f.in.Restore.Skipped = skipped
	f.db.addTable(core.Table{Name: "orders-restored", RestoredFrom: used.BackupArn}, nil)

	if out, err := f.call(); err != nil || !reflect.DeepEqual(out, RestoreProgress{}) {
		t.Fatalf("out = %+v, %v; want the restore finished", out, err)
	}

	raw, _, err := f.mem.GetLedger(context.Background(), f.ledger.Table, core.LedgerRun(restoreRunID), core.LedgerOutcomeKey(0, ""))
	if err != nil {
		t.Fatal(err)
	}
	var got TableResult
	var extra struct {
		BackupsSkipped []SkippedBackup `json:"backupsSkipped"`
	}
	if err := cmp.Or(json.Unmarshal(raw, &got), json.Unmarshal(raw, &extra)); err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusSucceeded || got.BackupArn != used.BackupArn || !got.BackupCreatedAt.Equal(used.BackupCreatedAt) ||
		!reflect.DeepEqual(extra.BackupsSkipped, skipped) {
		t.Errorf("outcome = %s; want restored from %s, %s skipped", raw, used.BackupArn, planned.BackupArn)
	}
}
