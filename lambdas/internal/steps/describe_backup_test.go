package steps

import (
	"context"
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
			want: PollOutput{Status: core.BackupStatusAvail, Ready: true, ElapsedSeconds: 600, MeasuredSeconds: 600, SizeBytes: 1 << 20}},
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

			checkErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
		})
	}
}
