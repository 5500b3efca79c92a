package steps

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func backupInput(runID string, startedAt time.Time) CreateBackupInput {
	return CreateBackupInput{Region: src, Table: "orders", RunID: runID, StartedAt: startedAt, SourceRegion: src, DestinationRegions: []string{dst, dst2}}
}

func TestCreateBackupIsIdempotentPerRun(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	db.addTable(core.Table{Name: "orders"}, nil)
	h := &CreateBackup{Clients: clients[BackupMaker](cloud)}
	ctx := context.Background()

	first, err := h.Handle(ctx, backupInput(run1, t0))
	if err != nil {
		t.Fatal(err)
	}
	if first.Reused || first.BackupArn == "" || first.BackupName != core.BackupName("orders", run1, t0) || first.Status != core.BackupStatusCreate {
		t.Errorf("first = %+v", first)
	}

	// Lambda retries the same step of the same run.
	retry, err := h.Handle(ctx, backupInput(run1, t0))
	if err != nil {
		t.Fatal(err)
	}
	if !retry.Reused || retry.BackupArn != first.BackupArn || retry.BackupName != first.BackupName {
		t.Errorf("retry = %+v, want the first backup %s reused", retry, first.BackupArn)
	}
	if n := db.count("CreateBackup"); n != 1 {
		t.Fatalf("CreateBackup called %d times after a retry, want 1", n)
	}

	// The next run makes its own backup.
	next, err := h.Handle(ctx, backupInput(run2, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if next.Reused || next.BackupArn == first.BackupArn {
		t.Errorf("next run = %+v, want a new backup", next)
	}
	// So does a run that started in the same second.
	same, err := h.Handle(ctx, backupInput("run-3", t0))
	if err != nil {
		t.Fatal(err)
	}
	if same.Reused || same.BackupArn == first.BackupArn || same.BackupName == first.BackupName {
		t.Errorf("run started in the same second = %+v, want a new backup", same)
	}
	if n := db.count("CreateBackup"); n != 3 {
		t.Errorf("CreateBackup called %d times, want 3", n)
	}
}

func TestCreateBackupRetriesAfterDeletedBackup(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	db.addTable(core.Table{Name: "orders"}, nil)
	gone := db.addBackup("orders", core.BackupInfo{Name: core.BackupName("orders", run1, t0), Status: core.BackupStatusDeleted, Created: t0})
	h := &CreateBackup{Clients: clients[BackupMaker](cloud)}

	out, err := h.Handle(context.Background(), backupInput(run1, t0))

	if err != nil || out.Reused || out.BackupArn == gone.Arn || db.count("CreateBackup") != 1 {
		t.Errorf("out = %+v, err = %v; want a new backup in place of the deleted one", out, err)
	}
}

func TestCreateBackupOfTemporaryTableIsNamedAfterSource(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	temp := core.TempTableName(src, "orders")
	db.addTable(core.Table{Name: temp}, nil)
	h := &CreateBackup{Clients: clients[BackupMaker](cloud)}
	in := CreateBackupInput{Region: dst, Table: temp, SourceTable: "orders", RunID: run1, StartedAt: t0}

	out, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.BackupName != core.BackupName("orders", run1, t0) || db.count("CreateBackup "+temp) != 1 {
		t.Errorf("out = %+v, calls = %v", out, db.calls)
	}
	again, err := h.Handle(context.Background(), in)
	if err != nil || !again.Reused || again.BackupArn != out.BackupArn {
		t.Errorf("retry = %+v, err = %v", again, err)
	}
}

func TestCreateBackupChecksNoOtherRunIsInProgress(t *testing.T) {
	temp := core.TempTableName(src, "orders")
	arn := sourceBackupArn("orders", "01748779200000-aaaaaaaa")
	tagsOf := func(runID string) map[string]string { return core.OwnerTags(runID, t0, src, "orders", arn) }
	tests := []struct {
		name    string
		setup   func(c *fakeCloud)
		wantRun string // the run reported in TableInProgressElsewhere
		wantIn  string // the region reported
		wantErr bool
		busy    bool // ResourceBusy (retried) instead of a skip
		failed  bool // TemporaryTableLeftBehind: not swept
	}{
		{name: "no temporary table anywhere", setup: func(c *fakeCloud) {}},
		{
			name:  "temporary table of this run (a retry after restore)",
			setup: func(c *fakeCloud) { c.db(dst).addTable(core.Table{Name: temp}, tagsOf(run1)) },
		},
		{
			name:    "temporary table of another run in the first destination",
			setup:   func(c *fakeCloud) { c.db(dst).addTable(core.Table{Name: temp}, tagsOf(run2)) },
			wantErr: true, wantRun: run2, wantIn: dst,
		},
		{
			name:    "temporary table of another run in the second destination",
			setup:   func(c *fakeCloud) { c.db(dst2).addTable(core.Table{Name: temp}, tagsOf(run2)) },
			wantErr: true, wantRun: run2, wantIn: dst2,
		},
		{
			name:    "untagged temporary table (another run's restore before tagging)",
			setup:   func(c *fakeCloud) { c.db(dst).addTable(core.Table{Name: temp, Status: core.TableCreating}, nil) },
			wantErr: true, wantRun: "", wantIn: dst,
		},
		{
			name: "temporary table being deleted (swept or cleaned up): wait for it",
			setup: func(c *fakeCloud) {
				c.db(dst).addTable(core.Table{Name: temp, Status: core.TableDeleting}, tagsOf(run2))
			},
			wantErr: true, busy: true,
		},
		{
			name: "another run's temporary table older than the sweep bound: a failure, not a skip",
			setup: func(c *fakeCloud) {
				c.db(dst).addTable(core.Table{Name: temp, Created: t0.Add(-40 * time.Hour)}, tagsOf(run2))
			},
			wantErr: true, failed: true,
		},
		{
			name: "other tables in the destination do not matter",
			setup: func(c *fakeCloud) {
				c.db(dst).addTable(core.Table{Name: "orders"}, nil)
				c.db(dst).addTable(core.Table{Name: core.TempTableName("us-west-2", "orders")}, tagsOf(run2))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			cloud.db(src).addTable(core.Table{Name: "orders"}, nil)
			tc.setup(cloud)
			h := &CreateBackup{Clients: clients[BackupMaker](cloud), Now: fixedClock(t0)}
			in := backupInput(run1, t0)
			in.SweepAfterHours = 36

			out, err := h.Handle(context.Background(), in)

			if !tc.wantErr {
				if err != nil || out.BackupArn == "" {
					t.Fatalf("out = %+v, err = %v; want a backup", out, err)
				}
				return
			}
			if n := cloud.totalCalls("CreateBackup"); n != 0 {
				t.Errorf("CreateBackup called %d times while another run works on the table", n)
			}
			if tc.busy {
				var wait *core.ResourceBusy
				if !errors.As(err, &wait) {
					t.Fatalf("err = %v, want ResourceBusy", err)
				}
				return
			}
			if tc.failed {
				var stale *core.TemporaryTableLeftBehind
				if !errors.As(err, &stale) {
					t.Fatalf("err = %v, want TemporaryTableLeftBehind", err)
				}
				return
			}
			var busy *core.TableInProgressElsewhere
			if !errors.As(err, &busy) {
				t.Fatalf("err = %v, want TableInProgressElsewhere", err)
			}
			if busy.Table != "orders" || busy.Region != tc.wantIn || busy.RunID != tc.wantRun {
				t.Errorf("err = %+v, want table orders, region %s, run %q", busy, tc.wantIn, tc.wantRun)
			}
		})
	}
}

func TestCreateBackupRefusesBadInputBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name      string
		in        func(in *CreateBackupInput)
		wantField string
	}{
		{"bad region", func(in *CreateBackupInput) { in.Region = "mars-1" }, "region"},
		{"bad table", func(in *CreateBackupInput) { in.Table = "no spaces allowed" }, "table"},
		{"missing run id", func(in *CreateBackupInput) { in.RunID = "" }, "runId"},
		{"missing start time", func(in *CreateBackupInput) { in.StartedAt = time.Time{} }, "startedAt"},
		{"destinations without source region", func(in *CreateBackupInput) { in.SourceRegion = "" }, "sourceRegion"},
		{"bad destination", func(in *CreateBackupInput) { in.DestinationRegions = []string{"mars-1"} }, "destinationRegions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			cloud.db(src).addTable(core.Table{Name: "orders"}, nil)
			in := backupInput(run1, t0)
			tc.in(&in)
			h := &CreateBackup{Clients: clients[BackupMaker](cloud)}

			_, err := h.Handle(context.Background(), in)

			var invalid *core.InvalidInput
			if !errors.As(err, &invalid) || invalid.Field != tc.wantField {
				t.Fatalf("err = %v, want InvalidInput for %s", err, tc.wantField)
			}
			if calls := cloud.allCalls(); len(calls) != 0 {
				t.Errorf("calls made before refusing: %v", calls)
			}
		})
	}
}

func TestCreateBackupErrorsKeepTheirType(t *testing.T) {
	tests := []struct {
		op      string
		err     error
		wantErr any
	}{
		{"ListBackups", &core.Throttled{Operation: "ListBackups"}, new(*core.Throttled)},
		{"CreateBackup", &core.QuotaExceeded{Operation: "CreateBackup"}, new(*core.QuotaExceeded)},
		{"CreateBackup", &core.TableNotFound{Table: "orders"}, new(*core.TableNotFound)},
		{"DescribeTable", &core.Throttled{Operation: "DescribeTable"}, new(*core.Throttled)},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			cloud := newCloud()
			cloud.db(src).addTable(core.Table{Name: "orders"}, nil)
			cloud.db(src).fail[tc.op] = tc.err
			cloud.db(dst).fail[tc.op] = tc.err
			h := &CreateBackup{Clients: clients[BackupMaker](cloud)}

			_, err := h.Handle(context.Background(), backupInput(run1, t0))

			checkErr(t, err, tc.wantErr)
		})
	}
}

// A backup run's child names its table by the index of its item record in
// the run ledger; an index the run has no item for changes nothing.
func TestCreateBackupOfALedgerItem(t *testing.T) {
	cloud := newCloud()
	cloud.db(src).addTable(core.Table{Name: "orders"}, nil)
	ledger := newMemLedger()
	r, _ := record(core.LedgerItemKey(3), CopyItem{Table: "orders"})
	_ = ledger.PutLedger(t.Context(), "", core.LedgerRun(run1), []core.LedgerRecord{r}, t0)
	h := &CreateBackup{Clients: clients[BackupMaker](cloud), Settings: clients[SettingsReader](cloud), Ledger: Ledger{Table: "ledger", DB: ledger}, Now: fixedClock(t0)}
	in := backupInput(run1, t0)
	in.Table, in.Index = "", new(int)
	*in.Index = 3
	out, err := h.Handle(t.Context(), in)
	if err != nil || out.Table != "orders" || out.BackupName != core.BackupName("orders", run1, t0) {
		t.Fatalf("out = %+v, %v; want a backup of orders", out, err)
	}
	*in.Index = 4
	_, err = h.Handle(t.Context(), in)
	checkErr(t, err, new(*core.InvalidInput))
	if n := cloud.db(src).count("CreateBackup"); n != 1 {
		t.Errorf("CreateBackup called %d times, want 1", n)
	}
}

// The first wait for a source backup aims at its predicted end, from the
// last measured duration scaled by the table's size; without history it is
// today's schedule.
func TestCreateBackupAimsTheFirstWait(t *testing.T) {
	for _, tc := range []struct {
		name     string
		history  core.PhaseHistory
		wantWait int
	}{
		{"no history", core.PhaseHistory{}, int(core.DefaultPoll.Min.Seconds())},
		{"same size", core.PhaseHistory{Seconds: 200, SizeBytes: 1000}, 210},
		{"twice the size", core.PhaseHistory{Seconds: 200, SizeBytes: 500}, 420},
		{"past the poll limit", core.PhaseHistory{Seconds: 7200, SizeBytes: 1000}, 3601},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			cloud.db(src).addTable(core.Table{Name: "orders"}, nil)
			ledger := newMemLedger()
			r, _ := record(core.LedgerItemKey(0), CopyItem{Table: "orders", SizeBytes: 1000, SourceBackup: tc.history, Copies: []CopyPlan{{Region: dst}}})
			_ = ledger.PutLedger(t.Context(), "", core.LedgerRun(run1), []core.LedgerRecord{r}, t0)
			h := &CreateBackup{Clients: clients[BackupMaker](cloud), Settings: clients[SettingsReader](cloud), Ledger: Ledger{Table: "ledger", DB: ledger}, Now: fixedClock(t0)}
			in := backupInput(run1, t0)
			in.Table, in.Index, in.PollLimitMinutes = "", new(int), 60
			out, err := h.Handle(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Poll == nil || out.Poll.WaitSeconds != tc.wantWait || out.Manifest == nil || len(out.Copies) != 1 {
				t.Errorf("out = %+v (poll %+v), want a first wait of %d s, the manifest and the copies", out, out.Poll, tc.wantWait)
			}
		})
	}
}
