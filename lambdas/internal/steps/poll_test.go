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

// A poll records how long the operation took: it ended within the last
// wait, at the predicted end when that falls within it, else (no
// prediction, or a wrong one) in the middle of it; so that neither the
// detection lag nor the poll's aim creeps into the next prediction. A poll
// before the predicted end waits for it.
func TestPollsFollowThePrediction(t *testing.T) {
	for _, tc := range []struct {
		name          string
		predicted     float64
		waited        int
		elapsed       time.Duration
		wantMeasured  float64
		wantNextWaitS int
	}{
		{"no prediction", 0, 20, 90 * time.Second, 80, 18},
		{"no prediction, wait unknown", 0, 0, 90 * time.Second, 90, 18},
		{"done at the predicted end", 60, 63, 63 * time.Second, 60, 13},
		{"done long after the predicted end", 60, 60, 300 * time.Second, 270, 60},
		{"done long before the predicted end", 600, 630, 630 * time.Second, 600, 126},
		{"before the predicted end", 600, 0, 60 * time.Second, 60, 570},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := PollInput{Region: src, Since: t0.Add(-tc.elapsed), PollLimitMinutes: 60, Predicted: tc.predicted, Waited: tc.waited}
			if got := in.measured(tc.elapsed); got != tc.wantMeasured {
				t.Errorf("measured = %v, want %v", got, tc.wantMeasured)
			}
			out, err := in.next(t0, "backup b", core.BackupStatusCreate, core.DefaultPoll)
			if err != nil || out.WaitSeconds != tc.wantNextWaitS || out.Predicted != tc.predicted {
				t.Errorf("next = %+v, %v; want a wait of %d s and the prediction passed on", out, err, tc.wantNextWaitS)
			}
		})
	}
}
