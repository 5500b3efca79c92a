package steps

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestDescribeBackup(t *testing.T) {
	since := t0.Add(-10 * time.Minute)
	tests := []struct {
		name    string
		status  string // "" means no such backup
		now     time.Time
		limit   int
		want    PollOutput
		wantErr any
	}{
		{name: "available", status: core.BackupStatusAvail, now: t0, limit: 60,
			want: PollOutput{Status: core.BackupStatusAvail, Ready: true, ElapsedSeconds: 600, SizeBytes: 1 << 20}},
		{name: "creating", status: core.BackupStatusCreate, now: t0, limit: 60,
			want: PollOutput{Status: core.BackupStatusCreate, WaitSeconds: 120, ElapsedSeconds: 600}},
		{name: "creating, just started", status: core.BackupStatusCreate, now: since, limit: 60,
			want: PollOutput{Status: core.BackupStatusCreate, WaitSeconds: 10}},
		{name: "creating, wait capped at the limit", status: core.BackupStatusCreate, now: since.Add(59*time.Minute + 30*time.Second), limit: 60,
			want: PollOutput{Status: core.BackupStatusCreate, WaitSeconds: 31, ElapsedSeconds: 3570}},
		{name: "creating past the limit", status: core.BackupStatusCreate, now: since.Add(61 * time.Minute), limit: 60, wantErr: new(*core.PollTimedOut)},
		{name: "deleted while creating", status: core.BackupStatusDeleted, now: t0, limit: 60, wantErr: new(*core.ResourceFailed)},
		{name: "unknown status", status: "BROKEN", now: t0, limit: 60, wantErr: new(*core.ResourceFailed)},
		{name: "no such backup", now: t0, limit: 60, wantErr: new(*core.BackupNotFound)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			arn := sourceBackupArn("orders", "01748779200000-aaaaaaaa")
			if tc.status != "" {
				arn = db.addBackup("orders", core.BackupInfo{Name: "b", Status: tc.status, Created: since, SizeBytes: 1 << 20}).Arn
			}
			h := &DescribeBackup{Clients: clients[BackupDescriber](cloud), Schedule: core.DefaultPoll, Now: fixedClock(tc.now)}

			got, err := h.Handle(context.Background(), DescribeBackupInput{PollInput: PollInput{Region: src, Since: since, PollLimitMinutes: tc.limit}, BackupArn: arn})

			if tc.wantErr != nil {
				if !errors.As(err, tc.wantErr) {
					t.Fatalf("err = %v, want %T", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestPollTimedOutCarriesTheFigures(t *testing.T) {
	cloud := newCloud()
	arn := cloud.db(src).addBackup("orders", core.BackupInfo{Name: "b", Status: core.BackupStatusCreate}).Arn
	h := &DescribeBackup{Clients: clients[BackupDescriber](cloud), Schedule: core.DefaultPoll, Now: fixedClock(t0)}

	_, err := h.Handle(context.Background(), DescribeBackupInput{PollInput: PollInput{Region: src, Since: t0.Add(-3 * time.Hour), PollLimitMinutes: 120}, BackupArn: arn})

	var timedOut *core.PollTimedOut
	if !errors.As(err, &timedOut) {
		t.Fatalf("err = %v", err)
	}
	if timedOut.Elapsed != 3*time.Hour || timedOut.Limit != 2*time.Hour || timedOut.Status != core.BackupStatusCreate || timedOut.Region != src {
		t.Errorf("PollTimedOut = %+v", timedOut)
	}
}

func TestPollRefusesBadInputBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name  string
		in    PollInput
		field string
	}{
		{"bad region", PollInput{Region: "mars-1", Since: t0, PollLimitMinutes: 60}, "region"},
		{"no since", PollInput{Region: src, PollLimitMinutes: 60}, "since"},
		{"no limit", PollInput{Region: src, Since: t0}, "pollLimitMinutes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			b := &DescribeBackup{Clients: clients[BackupDescriber](cloud), Schedule: core.DefaultPoll, Now: fixedClock(t0)}
			tb := &DescribeTable{Clients: clients[TableDescriber](cloud), Schedule: core.DefaultPoll, Now: fixedClock(t0)}

			_, err1 := b.Handle(context.Background(), DescribeBackupInput{PollInput: tc.in, BackupArn: "arn"})
			_, err2 := tb.Handle(context.Background(), DescribeTableInput{PollInput: tc.in, Table: "orders"})

			for _, err := range []error{err1, err2} {
				var invalid *core.InvalidInput
				if !errors.As(err, &invalid) || invalid.Field != tc.field {
					t.Errorf("err = %v, want InvalidInput for %s", err, tc.field)
				}
			}
			if calls := cloud.allCalls(); len(calls) != 0 {
				t.Errorf("calls = %v", calls)
			}
		})
	}
}

func TestDescribeTable(t *testing.T) {
	since := t0.Add(-20 * time.Minute)
	temp := core.TempTableName(src, "orders")
	tests := []struct {
		name    string
		status  string // "" means no such table
		now     time.Time
		want    PollOutput
		wantErr any
	}{
		{name: "active", status: core.TableActive, now: t0,
			want: PollOutput{Status: core.TableActive, Ready: true, ElapsedSeconds: 1200, SizeBytes: 4096, ItemCount: 7}},
		{name: "creating", status: core.TableCreating, now: t0,
			want: PollOutput{Status: core.TableCreating, WaitSeconds: 240, ElapsedSeconds: 1200}},
		{name: "creating for hours", status: core.TableCreating, now: since.Add(5 * time.Hour),
			want: PollOutput{Status: core.TableCreating, WaitSeconds: 300, ElapsedSeconds: 18000}},
		{name: "creating past the limit", status: core.TableCreating, now: since.Add(13 * time.Hour), wantErr: new(*core.PollTimedOut)},
		{name: "deleting", status: core.TableDeleting, now: t0, wantErr: new(*core.ResourceFailed)},
		{name: "no such table", now: t0, wantErr: new(*core.TableNotFound)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			if tc.status != "" {
				cloud.db(dst).addTable(core.Table{Name: temp, Status: tc.status, SizeBytes: 4096, ItemCount: 7}, nil)
			}
			h := &DescribeTable{Clients: clients[TableDescriber](cloud), Schedule: core.DefaultPoll, Now: fixedClock(tc.now)}

			got, err := h.Handle(context.Background(), DescribeTableInput{PollInput: PollInput{Region: dst, Since: since, PollLimitMinutes: 12 * 60}, Table: temp})

			if tc.wantErr != nil {
				if !errors.As(err, tc.wantErr) {
					t.Fatalf("err = %v, want %T", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestDescribeTableNeverMarksAnotherTableAsOwned: the poll applies the
// ownership tags only to the table this run restored. Tagging any other
// table would make it look like the tool's, and so deletable.
func TestDescribeTableNeverMarksAnotherTableAsOwned(t *testing.T) {
	temp := core.TempTableName(src, "orders")
	otherArn := sourceBackupArn("orders", "01748700000000-bbbbbbbb")
	want := core.OwnerTags(run1, t0, src, "orders", restoreArn)
	tests := []struct {
		name  string
		table core.Table
		tags  map[string]string
	}{
		{"another run's table, restored from its own backup", core.Table{Name: temp, RestoredFrom: otherArn}, core.OwnerTags(run2, t0, src, "orders", otherArn)},
		{"an untagged table restored from another backup", core.Table{Name: temp, RestoredFrom: otherArn}, nil},
		{"a table that was not restored at all", core.Table{Name: temp}, map[string]string{"team": "payments"}},
		{"restored from this backup but tagged by another run", core.Table{Name: temp, RestoredFrom: restoreArn}, core.OwnerTags(run2, t0, src, "orders", restoreArn)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			db.addTable(tc.table, tc.tags)
			h := &DescribeTable{Clients: clients[TableDescriber](cloud), Schedule: core.DefaultPoll, Now: fixedClock(t0)}

			_, err := h.Handle(context.Background(), DescribeTableInput{PollInput: PollInput{Region: dst, Since: t0, PollLimitMinutes: 60}, Table: temp, Tags: want})

			var notOwned *core.TableNotOwned
			if !errors.As(err, &notOwned) {
				t.Errorf("err = %v, want TableNotOwned", err)
			}
			if n := db.count("TagTable"); n != 0 {
				t.Errorf("TagTable called %d times", n)
			}
			if got := db.tagsOf(temp); !maps.Equal(got, tc.tags) && len(got)+len(tc.tags) > 0 {
				t.Errorf("tags changed from %v to %v", tc.tags, got)
			}
		})
	}
}
