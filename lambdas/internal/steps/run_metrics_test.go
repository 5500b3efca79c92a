package steps

import (
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// Every decision counts once in its destination's metrics; ages and the
// RPO verdict follow the copy when it succeeded and the plan otherwise.
func TestRunMetrics(t *testing.T) {
	now := t0
	hour := core.Period(time.Hour)
	const other = "ap-south-1"
	decisions := []core.Decision{
		{Table: "copied", Destination: dst, Kind: core.DecisionCopy, RPO: hour, AgeSeconds: 7200, OverRPO: true},
		{Table: "failed", Destination: dst, Kind: core.DecisionCopy, RPO: hour, AgeSeconds: 5400, OverRPO: true},
		{Table: "idle", Destination: dst, Kind: core.DecisionUnchanged, RPO: hour, AgeSeconds: 300},
		{Table: "fresh", Destination: dst, Kind: core.DecisionNotDue, RPO: core.Period(6 * time.Hour), AgeSeconds: 600},
		{Table: "waiting", Destination: dst, Kind: core.DecisionDeferred, RPO: hour, AgeSeconds: 4000, OverRPO: true, Unattainable: true},
		{Table: "scratch", Destination: dst, Kind: core.DecisionOff, AgeSeconds: 999999},
		{Table: "typo", Destination: dst, Kind: core.DecisionInvalid},
		{Table: "copied", Destination: other, Kind: core.DecisionNotDue, RPO: hour, AgeSeconds: 60},
	}
	outcomes := map[CopyKey]CopyOutcome{
		{"copied", dst}: {Succeeded: true, Bytes: 2 << 30, DataTime: now.Add(-20 * time.Minute)},
		{"failed", dst}: {Succeeded: false},
	}
	got := RunMetrics([]string{dst, other}, decisions, outcomes, now)
	want := core.DestinationMetrics{
		Region: dst, TablesOverRPO: 2, WorstRPOAgeSeconds: 5400, Copied: 1, Unchanged: 1, NotDue: 1, Deferred: 1,
		Off: 1, Failed: 2, Unattainable: 1, GBCopied: 2, RunCostUSD: 2 * (core.RestorePerGB + core.TransferPerGB),
	}
	if got[0] != want {
		t.Errorf("%s: got %+v\nwant %+v", dst, got[0], want)
	}
	if got[1] != (core.DestinationMetrics{Region: other, NotDue: 1, WorstRPOAgeSeconds: 60}) {
		t.Errorf("%s: got %+v", other, got[1])
	}
}
