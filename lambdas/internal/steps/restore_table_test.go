package steps

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

const kmsAlias = "alias/backup-key"

func restoreInput(runID string) RestoreTemporaryTableInput {
	return RestoreTemporaryTableInput{
		Region: dst, SourceRegion: src, SourceTable: "orders", BackupArn: restoreArn,
		RunID: runID, StartedAt: t0.Add(-10 * time.Minute), KMSKeyID: kmsAlias,
	}
}

// TestRestoreTableUsesTemporaryNameKeyAndTags: the restore names the tags
// the table poll applies, and applies none itself: the new table is
// CREATING, and TagResource answers ResourceNotFound for a table that is not
// ACTIVE (the fake does, as the TagResource reference documents).
func TestRestoreTableUsesTemporaryNameKeyAndTags(t *testing.T) {
	for _, key := range []string{kmsAlias, ""} {
		t.Run("key "+key, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			// A real table of the source's name in the destination must not
			// be touched.
			db.addTable(core.Table{Name: "orders"}, map[string]string{"team": "payments"})
			h := &RestoreTemporaryTable{Clients: clients[TemporaryTableRestorer](cloud), Now: fixedClock(t0)}
			in := restoreInput(run1)
			in.KMSKeyID = key

			out, err := h.Handle(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}

			temp := core.TempTableName(src, "orders")
			if len(db.restores) != 1 {
				t.Fatalf("restores = %v, want one", db.restores)
			}
			want := core.RestoreRequest{BackupArn: restoreArn, TargetTable: temp, PayPerRequest: true, SSE: &core.SSE{KMSKeyID: key}}
			if !reflect.DeepEqual(db.restores[0], want) {
				t.Errorf("restore request = %+v, want %+v", db.restores[0], want)
			}
			wantTags := map[string]string{
				core.TagOwner:        core.OwnerValue,
				core.TagRunID:        run1,
				core.TagStartedAt:    "2025-06-01T11:50:00Z",
				core.TagSourceTable:  "orders",
				core.TagSourceRegion: src,
				core.TagSourceBackup: "01748779200000-aaaaaaaa",
			}
			if !maps.Equal(out.Tags, wantTags) {
				t.Errorf("output tags = %v, want %v", out.Tags, wantTags)
			}
			if n, tags := db.count("TagTable"), db.tagsOf(temp); n != 0 || len(tags) != 0 {
				t.Errorf("TagTable called %d times, table tags %v: a CREATING table is tagged by the poll, once ACTIVE", n, tags)
			}
			if out.Table != temp || out.TableArn == "" || out.Status != core.TableCreating || !out.Since.Equal(t0) || out.Resumed {
				t.Errorf("out = %+v", out)
			}
			if got := db.tagsOf("orders"); !maps.Equal(got, map[string]string{"team": "payments"}) {
				t.Errorf("the real table's tags changed to %v", got)
			}
		})
	}
}

func TestRestoreTableWhenTemporaryNameIsTaken(t *testing.T) {
	temp := core.TempTableName(src, "orders")
	otherArn := sourceBackupArn("orders", "01748700000000-bbbbbbbb")
	tests := []struct {
		name        string
		table       core.Table
		tags        map[string]string
		wantErr     any
		wantResumed bool
	}{
		{
			name:    "another run's temporary table",
			table:   core.Table{Name: temp, Status: core.TableActive, RestoredFrom: otherArn},
			tags:    core.OwnerTags(run2, t0.Add(-time.Hour), src, "orders", otherArn),
			wantErr: new(*core.TableInProgressElsewhere),
		},
		{
			name:    "the previous temporary table is still being deleted",
			table:   core.Table{Name: temp, Status: core.TableDeleting, RestoredFrom: otherArn},
			tags:    core.OwnerTags(run2, t0.Add(-time.Hour), src, "orders", otherArn),
			wantErr: new(*core.ResourceBusy),
		},
		{
			// Another run's restore of the same source, not yet tagged.
			name:    "a table without tags restored from another backup of the same source",
			table:   core.Table{Name: temp, Status: core.TableCreating, RestoredFrom: otherArn},
			wantErr: new(*core.TableInProgressElsewhere),
		},
		{
			name:    "a table without tags restored from a backup of another table",
			table:   core.Table{Name: temp, Status: core.TableActive, RestoredFrom: sourceBackupArn("customers", "01748700000000-cccccccc")},
			wantErr: new(*core.TableNotOwned),
		},
		{
			name:    "a table without tags that was not restored at all",
			table:   core.Table{Name: temp, Status: core.TableActive},
			tags:    map[string]string{"team": "payments"},
			wantErr: new(*core.TableNotOwned),
		},
		{
			name:    "owner tag but other source-table tags",
			table:   core.Table{Name: temp, Status: core.TableActive, RestoredFrom: restoreArn},
			tags:    core.OwnerTags(run1, t0, src, "payments", restoreArn),
			wantErr: new(*core.TableNotOwned),
		},
		{
			name:    "this run's tags but restored from another backup",
			table:   core.Table{Name: temp, Status: core.TableActive, RestoredFrom: otherArn},
			tags:    core.OwnerTags(run1, t0, src, "orders", restoreArn),
			wantErr: new(*core.TableNotOwned),
		},
		{
			name:        "this run's table, active and tagged (a retry)",
			table:       core.Table{Name: temp, Status: core.TableActive, RestoredFrom: restoreArn},
			tags:        core.OwnerTags(run1, t0.Add(-10*time.Minute), src, "orders", restoreArn),
			wantResumed: true,
		},
		{
			// Its tags cannot be read while it is CREATING (ResourceNotFound).
			name:        "this run's table, still being created (a retry)",
			table:       core.Table{Name: temp, Status: core.TableCreating, RestoredFrom: restoreArn},
			wantResumed: true,
		},
		{
			name:        "this run's table, active but not yet tagged (a retry)",
			table:       core.Table{Name: temp, Status: core.TableActive, RestoredFrom: restoreArn},
			wantResumed: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			db.addTable(tc.table, tc.tags)
			h := &RestoreTemporaryTable{Clients: clients[TemporaryTableRestorer](cloud), Now: fixedClock(t0)}

			out, err := h.Handle(context.Background(), restoreInput(run1))

			checkErr(t, err, tc.wantErr)
			if tc.wantErr != nil {
				if n := db.count("TagTable"); n != 0 {
					t.Errorf("TagTable called %d times on a table of someone else", n)
				}
				if !maps.Equal(db.tagsOf(temp), tc.tags) && !(len(tc.tags) == 0 && len(db.tagsOf(temp)) == 0) {
					t.Errorf("tags changed from %v to %v", tc.tags, db.tagsOf(temp))
				}
				return
			}
			if !out.Resumed || out.Table != temp || out.Status != tc.table.Status {
				t.Errorf("out = %+v, want the restore resumed", out)
			}
			if n := db.count("TagTable"); n != 0 {
				t.Errorf("TagTable called %d times; the poll tags", n)
			}
			if n := db.count("RestoreTable"); n != 1 {
				t.Errorf("RestoreTable called %d times", n)
			}
		})
	}
}

// TestRestoreTableTagsLater follows a temporary table from its restore to
// its deletion, in a DynamoDB as strict as AWS: no tags on a table that is
// not ACTIVE, tags visible to ListTagsOfResource only after a while, and
// continuous backups not enabled for a while after the restore. The restore
// does not tag; the poll tags once ACTIVE and reports ready only once the
// table's backups are enabled; the table is then recognised as the tool's.
func TestRestoreTableTagsLater(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	ctx := context.Background()
	restore := &RestoreTemporaryTable{Clients: clients[TemporaryTableRestorer](cloud), Now: fixedClock(t0)}

	out, err := restore.Handle(ctx, restoreInput(run1))
	if err != nil {
		t.Fatalf("restore: %v", err)
	}

	// While the table is still being created, the poll only waits.
	poll := &DescribeTable{Clients: clients[TableDescriber](cloud), Schedule: core.DefaultPoll, Now: fixedClock(t0.Add(time.Minute))}
	in := DescribeTableInput{PollInput: PollInput{Region: dst, Since: out.Since, PollLimitMinutes: 60}, Table: out.Table, Tags: out.Tags}
	p, err := poll.Handle(ctx, in)
	if err != nil || p.Ready || p.Status != core.TableCreating {
		t.Fatalf("poll while creating = %+v, %v", p, err)
	}
	if n := db.count("TagTable"); n != 0 {
		t.Errorf("TagTable called %d times on a CREATING table", n)
	}

	// Once ACTIVE, the poll applies the tags and reports the table ready.
	db.setStatus(out.Table, core.TableActive)
	p, err = poll.Handle(ctx, in)
	if err != nil || !p.Ready {
		t.Fatalf("poll when active = %+v, %v", p, err)
	}
	if !maps.Equal(db.tagsOf(out.Table), out.Tags) {
		t.Errorf("tags = %v, want %v", db.tagsOf(out.Table), out.Tags)
	}

	// Its backup answers BackupsNotYetEnabled, which the state machine
	// retries, until DynamoDB has enabled backups for it.
	backup := &CreateBackup{Clients: clients[BackupMaker](cloud), Now: fixedClock(t0)}
	bin := CreateBackupInput{Region: dst, Table: out.Table, SourceTable: "orders", RunID: "run-1", StartedAt: t0}
	if _, err := backup.Handle(ctx, bin); !errors.As(err, new(*core.BackupsNotYetEnabled)) {
		t.Fatalf("backup before backups are enabled: %v, want BackupsNotYetEnabled", err)
	}
	db.enableBackups(out.Table)
	if _, err := backup.Handle(ctx, bin); err != nil {
		t.Fatalf("backup once enabled: %v", err)
	}
	// The tags written may not show yet: a poll writes them again, never
	// relies on them.
	if p, err = poll.Handle(ctx, in); err != nil || !p.Ready {
		t.Fatalf("poll again = %+v, %v", p, err)
	}
	// Once the tags show, a poll finds nothing missing.
	db.settleTags()
	tagCalls := db.count("TagTable")
	if _, err := poll.Handle(ctx, in); err != nil || db.count("TagTable") != tagCalls {
		t.Errorf("poll after the tags show: err %v, TagTable calls %d -> %d", err, tagCalls, db.count("TagTable"))
	}

	// Now the cleanup step accepts it as the tool's own.
	del := &DeleteTable{Clients: clients[TableDeleter](cloud)}
	d, err := del.Handle(ctx, DeleteTableInput{Region: dst, Table: out.Table, BackupArn: restoreArn})
	if err != nil || !d.Deleted {
		t.Errorf("delete = %+v, %v", d, err)
	}
}

func TestRestoreTableErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      func(in *RestoreTemporaryTableInput)
		fail    map[string]error
		wantErr any
		calls   int
	}{
		{name: "bad destination", in: func(in *RestoreTemporaryTableInput) { in.Region = "mars-1" }, wantErr: new(*core.InvalidInput)},
		{name: "bad source region", in: func(in *RestoreTemporaryTableInput) { in.SourceRegion = "earth" }, wantErr: new(*core.InvalidInput)},
		{name: "bad source table", in: func(in *RestoreTemporaryTableInput) { in.SourceTable = "a/b" }, wantErr: new(*core.InvalidInput)},
		{name: "not a backup ARN", in: func(in *RestoreTemporaryTableInput) { in.BackupArn = "backup-1" }, wantErr: new(*core.InvalidInput)},
		{name: "missing run", in: func(in *RestoreTemporaryTableInput) { in.RunID = "" }, wantErr: new(*core.InvalidInput)},
		{name: "restore quota", fail: map[string]error{"RestoreTable": &core.QuotaExceeded{Operation: "RestoreTableFromBackup"}}, wantErr: new(*core.QuotaExceeded), calls: 1},
		{name: "backup gone", fail: map[string]error{"RestoreTable": &core.BackupNotFound{BackupArn: restoreArn}}, wantErr: new(*core.BackupNotFound), calls: 1},
		{name: "restore denied", fail: map[string]error{"RestoreTable": &core.AccessDenied{Operation: "RestoreTableFromBackup"}}, wantErr: new(*core.AccessDenied), calls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			maps.Copy(cloud.db(dst).fail, tc.fail)
			in := restoreInput(run1)
			if tc.in != nil {
				tc.in(&in)
			}
			h := &RestoreTemporaryTable{Clients: clients[TemporaryTableRestorer](cloud), Now: fixedClock(t0)}

			_, err := h.Handle(context.Background(), in)

			checkErr(t, err, tc.wantErr)
			if n := len(cloud.allCalls()); n != tc.calls {
				t.Errorf("%d calls (%v), want %d", n, cloud.allCalls(), tc.calls)
			}
		})
	}
}
