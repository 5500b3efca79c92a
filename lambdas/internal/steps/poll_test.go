package steps

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

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
