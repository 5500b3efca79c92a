package steps

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

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

func applyInput(item RestoreItem) ApplySettingsInput {
	return ApplySettingsInput{Region: dst, CatalogTable: catalogName, RestoreItem: item}
}

func TestApplySettingsStepByStep(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	want := fullManifest()
	item := restoreItem(db, want)
	// Restored on demand, as a table restored without the manifest's billing.
	db.addTable(core.Table{Name: "orders-restored", Status: core.TableActive, RestoredFrom: item.BackupArn}, nil)
	db.setSettings("orders-restored", core.Manifest{BillingMode: core.BillingPayPerRequest, TableClass: core.TableClassStandard})
	h := &ApplySettings{Clients: clients[SettingsApplier](cloud)}
	ctx := context.Background()
	call := func(wantApplied []string, wantDone bool, wantWait int) {
		t.Helper()
		before := len(cloud.writeCalls())
		out, err := h.Handle(ctx, applyInput(item))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Applied, wantApplied) || out.Done != wantDone || out.WaitSeconds != wantWait || out.NoManifest {
			t.Fatalf("out = %+v, want applied %v, done %v, wait %d", out, wantApplied, wantDone, wantWait)
		}
		if writes := cloud.writeCalls()[before:]; len(writes) != len(wantApplied) {
			t.Errorf("writes = %v, want one per applied setting %v", writes, wantApplied)
		}
	}

	// Tags, TTL and PITR together, and the first UpdateTable.
	call([]string{"tags", "ttl", "pitr", "billing"}, false, settleWait)
	// While the table is UPDATING nothing is touched.
	call([]string{}, false, settleWait)
	// By the time the update is done, the tags written show.
	db.settleTags()
	db.setStatus("orders-restored", core.TableActive)
	call([]string{"tableClass"}, false, settleWait)
	db.setStatus("orders-restored", core.TableActive)
	call([]string{"stream"}, false, settleWait)
	db.setStatus("orders-restored", core.TableActive)
	call([]string{"deletionProtection"}, false, settleWait)
	db.setStatus("orders-restored", core.TableActive)
	call([]string{}, true, 0)
	// Idempotent: called again, it finds nothing to do.
	call([]string{}, true, 0)

	yes := true
	wantUpdates := []core.TableUpdate{
		{BillingMode: core.BillingProvisioned, ReadCapacity: 20, WriteCapacity: 10, IndexCapacity: map[string]core.Capacity{"by-customer": {Read: 4, Write: 2}}},
		{TableClass: "STANDARD_INFREQUENT_ACCESS"},
		{Stream: &core.StreamSetting{Enabled: true, ViewType: "NEW_AND_OLD_IMAGES"}},
		{DeletionProtection: &yes},
	}
	if !reflect.DeepEqual(db.updates, wantUpdates) {
		t.Errorf("updates = %+v, want %+v", db.updates, wantUpdates)
	}
	got := db.settingsOf("orders-restored")
	if !core.Diff(got, *want).Empty() || !maps.Equal(got.Tags, map[string]string{"team": "payments"}) {
		t.Errorf("settings now %+v, want %+v with only the restorable tags", got, want)
	}
	if got.PITRRecoveryDays != 14 || got.TTLAttribute != "expiresAt" {
		t.Errorf("PITR days %d, TTL attribute %q", got.PITRRecoveryDays, got.TTLAttribute)
	}
	for _, op := range []string{"DeleteTable", "RestoreTable", "DeleteBackup", "PutEntry", "DeleteEntry"} {
		if n := db.count(op); n != 0 {
			t.Errorf("%s called %d times", op, n)
		}
	}
}

// TestApplySettingsCarriesWhatWasApplied follows the state machine's loop,
// which gives each call the previous call's Applied: the last call, whose
// output goes into the restore's report, lists every setting reapplied.
func TestApplySettingsCarriesWhatWasApplied(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	item := restoreItem(db, fullManifest())
	db.addTable(core.Table{Name: "orders-restored", Status: core.TableActive, RestoredFrom: item.BackupArn}, nil)
	db.setSettings("orders-restored", core.Manifest{BillingMode: core.BillingPayPerRequest, TableClass: core.TableClassStandard})
	h := &ApplySettings{Clients: clients[SettingsApplier](cloud)}
	in := applyInput(item)
	in.Applied = []string{} // the state machine starts with none
	var out ApplySettingsOutput
	for calls := 0; !out.Done; calls++ {
		if calls == 10 {
			t.Fatalf("not done after %d calls: %+v", calls, out)
		}
		var err error
		if out, err = h.Handle(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		db.setStatus("orders-restored", core.TableActive) // the update settles
		in.Applied = out.Applied
	}
	want := []string{"tags", "ttl", "pitr", "billing", "tableClass", "stream", "deletionProtection"}
	if !slices.Equal(out.Applied, want) {
		t.Errorf("last call reports applied %v, want every setting %v", out.Applied, want)
	}
}

// TestApplySettingsAfterStartRestore follows a restore through: the table
// comes back with the backup's on-demand billing, and ApplySettings sets
// the source's provisioned billing with the other settings.
func TestApplySettingsAfterStartRestore(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	m := &core.Manifest{BillingMode: core.BillingProvisioned, ReadCapacity: 7, WriteCapacity: 3, TableClass: core.TableClassStandard, TTLEnabled: true, TTLAttribute: "ttl"}
	item := restoreItem(db, m)
	ctx := context.Background()
	if _, err := (&StartRestore{Clients: clients[TargetRestorer](cloud), Now: fixedClock(t0)}).Handle(ctx, startInput(item)); err != nil {
		t.Fatal(err)
	}
	db.setSettings("orders-restored", core.Manifest{BillingMode: core.BillingPayPerRequest, TableClass: core.TableClassStandard})
	h := &ApplySettings{Clients: clients[SettingsApplier](cloud)}
	out, err := h.Handle(ctx, applyInput(item))
	if err != nil || out.Done || out.WaitSeconds != settleWait || len(out.Applied) != 0 {
		t.Fatalf("while CREATING: out = %+v, %v; want to wait", out, err)
	}
	db.setStatus("orders-restored", core.TableActive)
	out, err = h.Handle(ctx, applyInput(item))
	if err != nil || out.Done || !slices.Equal(out.Applied, []string{"ttl", "billing"}) {
		t.Errorf("out = %+v, %v; want TTL and billing applied, then a wait", out, err)
	}
	db.setStatus("orders-restored", core.TableActive)
	if out, err = h.Handle(ctx, applyInput(item)); err != nil || !out.Done {
		t.Errorf("out = %+v, %v; want done", out, err)
	}
	want := []core.TableUpdate{{BillingMode: core.BillingProvisioned, ReadCapacity: 7, WriteCapacity: 3}}
	if !reflect.DeepEqual(db.updates, want) {
		t.Errorf("updates = %+v, want %+v", db.updates, want)
	}
}

func TestApplySettingsWithoutManifest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		catalog bool
	}{{"no catalog entry", true}, {"no catalog", false}} {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			item := restoreItem(db, nil)
			item.FoundBy = "backup-name"
			if tc.catalog {
				db.addCatalog(catalogName)
			}
			db.addTable(core.Table{Name: "orders-restored", RestoredFrom: item.BackupArn}, nil)
			h := &ApplySettings{Clients: clients[SettingsApplier](cloud)}
			out, err := h.Handle(context.Background(), applyInput(item))
			if err != nil || !out.Done || !out.NoManifest || out.WaitSeconds != 0 || len(out.Applied) != 0 || out.Applied == nil {
				t.Errorf("out = %+v, %v; want done, no manifest", out, err)
			}
			if calls := cloud.allCalls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "GetEntry ") {
				t.Errorf("calls = %v, want only the catalog lookup", calls)
			}
		})
	}
}

func TestApplySettingsNothingToDo(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	want := fullManifest()
	item := restoreItem(db, want)
	db.addTable(core.Table{Name: "orders-restored"}, map[string]string{"team": "payments", "extra": "kept"})
	have := *want
	have.Tags = nil
	db.setSettings("orders-restored", have)
	h := &ApplySettings{Clients: clients[SettingsApplier](cloud)}
	out, err := h.Handle(context.Background(), applyInput(item))
	if err != nil || !out.Done || len(out.Applied) != 0 || out.WaitSeconds != 0 {
		t.Errorf("out = %+v, %v; want done with nothing applied", out, err)
	}
	if writes := cloud.writeCalls(); len(writes) != 0 {
		t.Errorf("writes = %v", writes)
	}
}

func TestApplySettingsErrors(t *testing.T) {
	t.Run("bad region", func(t *testing.T) {
		cloud := newCloud()
		_, err := (&ApplySettings{Clients: clients[SettingsApplier](cloud)}).Handle(context.Background(), ApplySettingsInput{Region: "x"})
		var bad *core.InvalidInput
		if !errors.As(err, &bad) || len(cloud.allCalls()) != 0 {
			t.Errorf("err = %v, calls %v", err, cloud.allCalls())
		}
	})
	for _, tc := range []struct {
		op   string
		err  error
		want any
	}{
		{"GetEntry", &core.Throttled{Operation: "GetItem"}, new(*core.Throttled)},
		{"DescribeTable", &core.TableNotFound{Table: "orders-restored"}, new(*core.TableNotFound)},
		{"ReadSettings", &core.Throttled{Operation: "DescribeTimeToLive"}, new(*core.Throttled)},
		{"TagTable", &core.ResourceBusy{Operation: "TagResource"}, new(*core.ResourceBusy)},
		{"EnableTTL", &core.ResourceBusy{Operation: "UpdateTimeToLive"}, new(*core.ResourceBusy)},
		{"SetPITR", &core.Throttled{Operation: "UpdateContinuousBackups"}, new(*core.Throttled)},
		{"UpdateTable", &core.QuotaExceeded{Operation: "UpdateTable"}, new(*core.QuotaExceeded)},
	} {
		t.Run(tc.op, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			item := restoreItem(db, fullManifest())
			db.addTable(core.Table{Name: "orders-restored"}, nil)
			db.setSettings("orders-restored", core.Manifest{BillingMode: core.BillingPayPerRequest})
			db.fail[tc.op] = tc.err
			out, err := (&ApplySettings{Clients: clients[SettingsApplier](cloud)}).Handle(context.Background(), applyInput(item))
			if !errors.As(err, tc.want) || out.Done {
				t.Errorf("out = %+v, err = %v; want %T and not done", out, err, tc.want)
			}
		})
	}
}
