package core_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

var decideNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

var hourly = core.Policy{Interval: time.Hour, MaxUnchanged: 7 * 24 * time.Hour}

// measured is a history whose phases add up to copy.
func measured(copy time.Duration, size int64) map[core.Phase]core.PhaseHistory {
	s := copy.Seconds()
	return map[core.Phase]core.PhaseHistory{
		core.PhaseSourceBackup:      {Seconds: s * 0.1, SizeBytes: size},
		core.PhaseRestore:           {Seconds: s * 0.8, SizeBytes: size},
		core.PhaseDestinationBackup: {Seconds: s * 0.1, SizeBytes: size},
	}
}

func candidate(rpo time.Duration, newestAgo time.Duration, copy time.Duration, ev core.ChangeEvidence) core.Candidate {
	c := core.Candidate{Table: "orders", Destination: "eu-west-1", RPO: core.Period(rpo), SizeBytes: 1 << 30, Evidence: ev}
	if newestAgo >= 0 {
		c.NewestData = decideNow.Add(-newestAgo)
	}
	if copy > 0 {
		c.History = measured(copy, 1<<30)
	}
	return c
}

var (
	changed   = core.ChangeEvidence{Known: true, Changed: true, SeenUntil: decideNow.Add(-5 * time.Minute), Reason: "ConsumedWriteCapacityUnits 12"}
	unchanged = core.ChangeEvidence{Known: true, SeenUntil: decideNow.Add(-5 * time.Minute)}
	unknown   = core.ChangeEvidence{Reason: "GetMetricData PartialData"}
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		c      core.Candidate
		policy core.Policy
		kind   core.DecisionKind
		reason string // a phrase of the reason
		check  func(t *testing.T, d core.Decision)
	}{
		{
			name: "off", c: candidate(0, 30*24*time.Hour, 20*time.Minute, changed),
			kind: core.DecisionOff, reason: "RPO is off",
			check: func(t *testing.T, d core.Decision) {
				if d.OverRPO {
					t.Error("an off table counts as over its RPO")
				}
			},
		},
		{
			name: "no copy yet", c: candidate(time.Hour, -1, 0, unchanged),
			kind: core.DecisionCopy, reason: "no copy in eu-west-1 yet",
			check: func(t *testing.T, d core.Decision) {
				if !d.OverRPO || d.Debt != core.NoCopyDebt || d.Measured || d.PredictedSeconds != core.UnmeasuredCopySeconds {
					t.Errorf("decision %+v: want over RPO, NoCopyDebt, unmeasured", d)
				}
			},
		},
		{
			name: "not due: a later run can finish a copy within the RPO", c: candidate(24*time.Hour, 2*time.Hour, 20*time.Minute, changed),
			kind: core.DecisionNotDue, reason: "stays within the RPO 1d until 2025-06-02T10:00:00Z",
			check: func(t *testing.T, d core.Decision) {
				if d.AgeSeconds != 7200 || d.Debt != 2.0/24 || d.OverRPO {
					t.Errorf("age %v debt %v over %v", d.AgeSeconds, d.Debt, d.OverRPO)
				}
			},
		},
		// RPO 6h, copy 20 min, margin 5 min + 2 min: the next run finishes
		// a copy 1h27m from now. With data 4h32m old, the RPO runs out
		// 1h28m from now: not due. At 4h34m, 1h26m: due.
		{
			name: "not due just before the bound", c: candidate(6*time.Hour, 4*time.Hour+32*time.Minute, 20*time.Minute, changed),
			kind: core.DecisionNotDue, reason: "a later run can finish a copy (predicted 20m0s)",
		},
		{
			name: "due just after the bound", c: candidate(6*time.Hour, 4*time.Hour+34*time.Minute, 20*time.Minute, changed),
			kind: core.DecisionCopy, reason: "due and written since the newest copy's data time 2025-06-01T07:26:00Z (ConsumedWriteCapacityUnits 12)",
		},
		{
			name: "due, metrics unknown: copy", c: candidate(time.Hour, time.Hour, 20*time.Minute, unknown),
			kind: core.DecisionCopy, reason: "could not prove the table unchanged (GetMetricData PartialData), so it counts as changed",
		},
		{
			name: "due, no evidence at all: copy", c: candidate(time.Hour, time.Hour, 20*time.Minute, core.ChangeEvidence{}),
			kind: core.DecisionCopy, reason: "could not prove the table unchanged (no evidence)",
		},
		{
			name: "due, metrics not yet past the copy's data time: copy", c: candidate(time.Hour, 3*time.Minute, 20*time.Minute, unchanged),
			kind: core.DecisionCopy, reason: "the metrics see only up to 2025-06-01T11:55:00Z, not past the newest copy's data time 2025-06-01T11:57:00Z",
		},
		{
			name: "due, proven unchanged: skip, current as of what the metrics see", c: candidate(time.Hour, 3*time.Hour, 20*time.Minute, unchanged),
			kind: core.DecisionUnchanged, reason: "no write from 2025-06-01T08:59:00Z to 2025-06-01T11:55:00Z",
			check: func(t *testing.T, d core.Decision) {
				if !d.CurrentAsOf.Equal(unchanged.SeenUntil) || d.AgeSeconds != 300 || d.OverRPO {
					t.Errorf("current as of %s, age %v, over %v; want %s, 300, false", d.CurrentAsOf, d.AgeSeconds, d.OverRPO, unchanged.SeenUntil)
				}
			},
		},
		{
			name: "a skip's current-as-of counts for the RPO", policy: hourly,
			c: func() core.Candidate {
				c := candidate(6*time.Hour, 10*time.Hour, 20*time.Minute, changed)
				c.CurrentAsOf = decideNow.Add(-30 * time.Minute)
				return c
			}(),
			kind: core.DecisionNotDue, reason: "data current as of 2025-06-01T11:30:00Z (30m0s ago)",
			check: func(t *testing.T, d core.Decision) {
				if d.AgeSeconds != 1800 || !d.NewestData.Equal(decideNow.Add(-10*time.Hour)) {
					t.Errorf("age %v newest %s", d.AgeSeconds, d.NewestData)
				}
			},
		},
		{
			// The region's metrics stopped 3 hours ago (a gap): the proof
			// ends there, past the RPO, and a skip would repeat every run.
			name: "due, proven unchanged only until a gap past the RPO: copy",
			c:    candidate(time.Hour, 5*time.Hour, 20*time.Minute, core.ChangeEvidence{Known: true, SeenUntil: decideNow.Add(-3 * time.Hour)}),
			kind: core.DecisionCopy, reason: "prove no write only until 2025-06-01T09:00:00Z, 3h0m0s ago, past the RPO 1h",
		},
		{
			name: "MAX_UNCHANGED forces a copy of an unchanged table", c: candidate(time.Hour, 7*24*time.Hour-80*time.Minute, 20*time.Minute, unchanged),
			kind: core.DecisionCopy, reason: "MAX_UNCHANGED is 7d, and a later run could not finish a copy within it",
		},
		{
			name: "MAX_UNCHANGED forces a copy even when not due", c: candidate(30*24*time.Hour, 7*24*time.Hour, 20*time.Minute, unchanged),
			kind: core.DecisionCopy, reason: "MAX_UNCHANGED",
		},
		{
			name: "unchanged a while before MAX_UNCHANGED", c: candidate(time.Hour, 7*24*time.Hour-90*time.Minute, 20*time.Minute, unchanged),
			kind: core.DecisionUnchanged, reason: "the newest copy is current as of",
		},
		{
			name: "unattainable: copied when due, with the smallest RPO it can have", c: candidate(time.Hour, 2*time.Hour, 90*time.Minute, changed),
			kind: core.DecisionCopy, reason: "unattainable: a copy takes 1h30m0s, at least the RPO 1h; the smallest RPO it can have is 3h",
			check: func(t *testing.T, d core.Decision) {
				if !d.Unattainable || d.MinRPO != core.Period(3*time.Hour) || !d.OverRPO {
					t.Errorf("unattainable %v min RPO %s over %v", d.Unattainable, d.MinRPO, d.OverRPO)
				}
			},
		},
		{
			name: "unattainable but not due", c: candidate(6*time.Hour, time.Hour, 7*time.Hour, changed), policy: core.Policy{Interval: time.Hour, MaxUnchanged: 7 * 24 * time.Hour},
			kind: core.DecisionCopy, reason: "unattainable: a copy takes 7h0m0s",
		},
		{
			name: "an unmeasured table is never unattainable", c: candidate(time.Minute, 2*time.Hour, 0, changed),
			kind: core.DecisionCopy,
			check: func(t *testing.T, d core.Decision) {
				if d.Unattainable {
					t.Error("unattainable without a measurement")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			if p == (core.Policy{}) {
				p = hourly
			}
			d := core.Decide(tc.c, p, decideNow)
			if d.Kind != tc.kind || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("Decide = %s: %q\nwant %s saying %q", d.Kind, d.Reason, tc.kind, tc.reason)
			}
			if d.Table != tc.c.Table || d.Destination != tc.c.Destination || d.RPO != tc.c.RPO {
				t.Errorf("decision names %s/%s/%s", d.Table, d.Destination, d.RPO)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestChangeWindowFrom(t *testing.T) {
	if got := core.ChangeWindowFrom(decideNow); !got.Equal(decideNow.Add(-time.Minute)) {
		t.Errorf("ChangeWindowFrom = %s, want a minute before the data time", got)
	}
}

func TestPredictCopySeconds(t *testing.T) {
	h := measured(time.Hour, 1<<30)
	tests := []struct {
		name    string
		history map[core.Phase]core.PhaseHistory
		last    float64
		size    int64
		want    float64
		ok      bool
	}{
		{"none", nil, 0, 1 << 30, core.UnmeasuredCopySeconds, false},
		{"phases", h, 0, 1 << 30, 3600, true},
		{"phases, twice the size", h, 0, 2 << 30, 7200, true},
		{"last total scaled as its phases", h, 4000, 2 << 30, 8000, true},
		{"last total only", nil, 4000, 2 << 30, 4000, true},
	}
	for _, tc := range tests {
		got, ok := core.PredictCopySeconds(tc.history, tc.last, tc.size)
		if ok != tc.ok || got < tc.want-1e-6 || got > tc.want+1e-6 {
			t.Errorf("%s: PredictCopySeconds = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func copyDecision(table string, debt, predicted float64) core.Decision {
	return core.Decision{Table: table, Destination: "eu-west-1", Kind: core.DecisionCopy, Debt: debt, PredictedSeconds: predicted}
}

func tables(ds []core.Decision) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Table)
	}
	return out
}

func TestAdmit(t *testing.T) {
	in := []core.Decision{
		copyDecision("a", 1.0, 600),
		{Table: "skip", Destination: "eu-west-1", Kind: core.DecisionUnchanged},
		copyDecision("b", 3.0, 3000),
		copyDecision("c", 2.0, 600),
		copyDecision("d", 1.5, 3000),
		copyDecision("e", 0.5, 600),
		copyDecision("f", 0.2, 600),
	}
	// Two slots for an hour: 7200 s. By debt: b 3000, c 600 (the first two,
	// admitted whatever their size), d 3000 (6600), a 600 (7200), e would
	// make 7800: deferred, and so is f.
	admitted, rest := core.Admit(in, map[string]int{"eu-west-1": 2}, time.Hour)
	if got, want := tables(admitted), []string{"b", "d", "c", "a"}; !slices.Equal(got, want) {
		t.Errorf("admitted %v, want %v (longest first, then by debt)", got, want)
	}
	if got, want := tables(rest), []string{"skip", "e", "f"}; !slices.Equal(got, want) {
		t.Errorf("rest %v, want %v", got, want)
	}
	for _, d := range rest[1:] {
		if d.Kind != core.DecisionDeferred || !strings.Contains(d.Reason, "no restore slot in eu-west-1 this run (2 free; 4 copies admitted") {
			t.Errorf("%s: %s %q", d.Table, d.Kind, d.Reason)
		}
	}
	if rest[0].Kind != core.DecisionUnchanged {
		t.Errorf("Admit changed a non-copy decision: %+v", rest[0])
	}
	if in[4].Kind != core.DecisionCopy {
		t.Error("Admit changed its input")
	}

	// At least `slots` copies are admitted, however long.
	admitted, _ = core.Admit([]core.Decision{copyDecision("x", 1, 9000), copyDecision("y", 2, 9000), copyDecision("z", 0.5, 10)}, map[string]int{"eu-west-1": 2}, time.Hour)
	if got := tables(admitted); !slices.Equal(got, []string{"y", "x"}) {
		t.Errorf("admitted %v, want the two most indebted", got)
	}
	// No free slot: nothing is admitted.
	admitted, rest = core.Admit([]core.Decision{copyDecision("x", 1, 10)}, map[string]int{"eu-west-1": 0}, time.Hour)
	if len(admitted) != 0 || rest[0].Kind != core.DecisionDeferred {
		t.Errorf("with no slot: admitted %v, rest %+v", tables(admitted), rest)
	}
	// Destinations have their own slots.
	two := []core.Decision{copyDecision("x", 1, 10), copyDecision("y", 2, 10)}
	two[1].Destination = "us-west-2"
	admitted, _ = core.Admit(two, map[string]int{"eu-west-1": 1, "us-west-2": 1}, time.Minute)
	if len(admitted) != 2 {
		t.Errorf("one slot in each of two destinations admitted %v", tables(admitted))
	}
}

// TestDeferredGoFirstNextRun runs Decide and Admit over consecutive runs
// with one slot and three tables written every hour, each copy taking 50
// minutes: a deferred table has older data next run, so it goes before the
// one just copied, and every table gets its turn.
func TestDeferredGoFirstNextRun(t *testing.T) {
	newest := map[string]time.Time{
		"a": decideNow.Add(-60 * time.Minute),
		"b": decideNow.Add(-65 * time.Minute),
		"c": decideNow.Add(-70 * time.Minute),
	}
	var order []string
	for run := range 6 {
		now := decideNow.Add(time.Duration(run) * time.Hour)
		var ds []core.Decision
		for _, table := range []string{"a", "b", "c"} {
			c := candidate(time.Hour, 0, 50*time.Minute, changed)
			c.Table, c.NewestData = table, newest[table]
			ds = append(ds, core.Decide(c, hourly, now))
		}
		admitted, rest := core.Admit(ds, map[string]int{"eu-west-1": 1}, time.Hour)
		if len(admitted) != 1 || len(rest) != 2 {
			t.Fatalf("run %d: admitted %v", run, tables(admitted))
		}
		for _, d := range rest {
			if d.Kind != core.DecisionDeferred || d.Debt >= admitted[0].Debt {
				t.Fatalf("run %d: %s %s with debt %v, admitted %s with debt %v", run, d.Table, d.Kind, d.Debt, admitted[0].Table, admitted[0].Debt)
			}
		}
		order = append(order, admitted[0].Table)
		newest[admitted[0].Table] = now
	}
	if want := []string{"c", "b", "a", "c", "b", "a"}; !slices.Equal(order, want) {
		t.Errorf("copied in order %v, want %v", order, want)
	}
}

func TestMakespanBound(t *testing.T) {
	tests := []struct {
		copies []float64
		slots  int
		want   float64
	}{
		{nil, 4, 0},
		{[]float64{30, 10, 10, 10}, 2, 30},
		{[]float64{30, 10, 10, 10}, 4, 30},
		{[]float64{10, 10, 10, 10, 10, 10}, 2, 30},
		{[]float64{10}, 0, 0},
	}
	for _, tc := range tests {
		if got := core.MakespanBound(tc.copies, tc.slots); got != tc.want {
			t.Errorf("MakespanBound(%v, %d) = %v, want %v", tc.copies, tc.slots, got, tc.want)
		}
	}
}

func TestMapConcurrency(t *testing.T) {
	admitted := []core.Decision{copyDecision("x", 1, 10), copyDecision("y", 1, 10)}
	admitted[1].Destination = "us-west-2"
	slots := map[string]int{"eu-west-1": 5, "us-west-2": 3, "ap-south-1": 1}
	tests := []struct {
		admitted []core.Decision
		max      int
		want     int
	}{
		{admitted, 1000, 3},
		{admitted, 2, 2},
		{admitted[:1], 1000, 5},
		{[]core.Decision{{Destination: "sa-east-1"}}, 1000, 1}, // never 0: that is no limit at all
	}
	for _, tc := range tests {
		if got := core.MapConcurrency(tc.admitted, slots, tc.max); got != tc.want {
			t.Errorf("MapConcurrency(%v, max %d) = %d, want %d", tables(tc.admitted), tc.max, got, tc.want)
		}
	}
}

func TestScheduleInterval(t *testing.T) {
	for _, tc := range []struct {
		runs float64
		want time.Duration
	}{{24, time.Hour}, {96, 15 * time.Minute}, {1, 24 * time.Hour}, {0, 24 * time.Hour}} {
		if got := (core.Settings{RunsPerDay: tc.runs}).ScheduleInterval(); got != tc.want {
			t.Errorf("ScheduleInterval at %v runs a day = %s, want %s", tc.runs, got, tc.want)
		}
	}
}
