package steps

import (
	"context"
	"slices"
	"strings"
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

// The summary names the tables over their RPO after the run (a copy that
// succeeded no longer is) and the unattainable ones, and a run writes its
// metric lines.
func TestSummarizeNamesTheRPOProblems(t *testing.T) {
	ctx := context.Background()
	db := newMemLedger()
	l := Ledger{Table: "ledger", DB: db}
	hour := core.Period(time.Hour)
	rpo := func(table string, kind core.DecisionKind, over, unattainable bool) Decision {
		d := core.Decision{Table: table, Destination: dst, Kind: kind, RPO: hour, AgeSeconds: 7200, OverRPO: over, Unattainable: unattainable}
		return Decision{Table: table, Region: dst, Decision: string(kind), RPO: &d}
	}
	plan := []Decision{
		rpo("copied", core.DecisionCopy, true, false),
		rpo("waiting", core.DecisionDeferred, true, false),
		rpo("huge", core.DecisionCopy, true, true),
		rpo("idle", core.DecisionUnchanged, false, false),
	}
	r, _ := record(core.LedgerDecidedKey(0), map[string][]Decision{"decisions": plan})
	items := []string{"copied", "huge"}
	for i, table := range items {
		ir, _ := record(core.LedgerItemKey(i), map[string]string{"table": table})
		if err := l.put(ctx, run1, t0, r, ir); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.RecordOutcome(ctx, run1, 0, dst, map[string]any{"table": "copied", "region": dst, "status": StatusSucceeded}, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordOutcome(ctx, run1, 0, "", TableResult{Table: "copied", Bytes: 1 << 30}, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordOutcome(ctx, run1, 1, dst, map[string]any{"table": "huge", "region": dst, "status": StatusFailed, "error": "PollTimedOut"}, t0); err != nil {
		t.Fatal(err)
	}
	var metrics strings.Builder
	s := defaultSettings(t, nil)
	h := &Summarize{Now: fixedClock(t0.Add(30 * time.Minute)), Ledger: l, Metrics: &metrics}
	out, err := h.Handle(ctx, SummarizeInput{RunID: run1, StartedAt: t0, Items: 2, Settings: &s, Decided: map[string]int{"copy": 2, "deferred": 1, "unchanged": 1}})
	if err != nil {
		t.Fatal(err)
	}
	names := func(ds []Decision) (n []string) {
		for _, d := range ds {
			n = append(n, d.Table)
		}
		return n
	}
	if got := names(out.OverRPO); !slices.Equal(got, []string{"waiting", "huge"}) {
		t.Errorf("over RPO = %v, want waiting and huge (copied is current now)", got)
	}
	if got := names(out.Unattainable); !slices.Equal(got, []string{"huge"}) {
		t.Errorf("unattainable = %v, want huge", got)
	}
	if lines := strings.Count(metrics.String(), "\n"); lines != 2 || !strings.Contains(metrics.String(), `"TablesOverRPO":2`) {
		t.Errorf("metric lines:\n%s\nwant one for %s (2 over RPO) and the heartbeat", metrics.String(), dst)
	}
}
