package steps

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

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
			want: PollOutput{Status: core.TableActive, Ready: true, ElapsedSeconds: 1200, MeasuredSeconds: 1200, SizeBytes: 4096, ItemCount: 7, ItemCountNote: core.ApproxItemCountNote(t0)}},
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

			checkErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("got %+v; want %+v", got, tc.want)
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

// The backup run's table poll starts the destination backup as soon as the
// temporary table is ACTIVE and tagged, once per run however often it is
// retried, and aims the first wait for the backup at its predicted end.
func TestPollTemporaryTable(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	temp, tags := ownedTemp("orders", restoreArn, run1)
	temp.Status, temp.SizeBytes = core.TableCreating, 4096
	db.addTable(temp, nil)
	h := &PollTemporaryTable{Clients: clients[TemporaryTablePoller](cloud), Now: fixedClock(t0)}
	in := PollTemporaryTableInput{
		DescribeTableInput: DescribeTableInput{PollInput: PollInput{Region: dst, Since: t0.Add(-time.Minute), PollLimitMinutes: 60}, Table: temp.Name, Tags: tags},
		SourceTable:        "orders", RunID: run1, StartedAt: t0.Add(-time.Hour),
		BackupHistory: core.PhaseHistory{Seconds: 100, SizeBytes: 2048},
	}
	out, err := h.Handle(t.Context(), in)
	if err != nil || out.Ready || out.Finish != nil || cloud.totalCalls("CreateBackup") != 0 {
		t.Fatalf("while CREATING: %+v, %v; want a poll only", out, err)
	}
	db.setStatus(temp.Name, core.TableActive)
	db.enableBackups(temp.Name)
	for range 2 { // a retried invocation finds the backup it made
		if out, err = h.Handle(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	if !out.Ready || out.BackupArn == "" || out.BackupName != core.BackupName("orders", run1, in.StartedAt) || cloud.totalCalls("CreateBackup") != 1 {
		t.Errorf("once ACTIVE: %+v, %d CreateBackup calls; want one backup", out, cloud.totalCalls("CreateBackup"))
	}
	// 100 s for 2048 bytes then, 4096 now: 200 s predicted, waited 210 s.
	if out.Finish == nil || out.Finish.Predicted != 200 || out.Finish.WaitSeconds != 210 {
		t.Errorf("finish = %+v, want 200 s predicted and a first wait of 210 s", out.Finish)
	}
	if got := db.tagsOf(temp.Name); got[core.TagRunID] != run1 {
		t.Errorf("tags = %v, want the run's", got)
	}
}
