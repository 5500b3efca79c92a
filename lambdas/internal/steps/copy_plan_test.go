package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// fakeChanges answers each window from evidence by table (unknown when
// absent) and records the windows it was asked about.
type fakeChanges struct {
	evidence map[string]core.ChangeEvidence
	err      error
	asked    []core.ChangeWindow
}

func (f *fakeChanges) Changes(_ context.Context, windows []core.ChangeWindow) ([]core.ChangeEvidence, error) {
	f.asked = append(f.asked, windows...)
	if f.err != nil {
		return nil, f.err
	}
	out := make([]core.ChangeEvidence, len(windows))
	for i, w := range windows {
		out[i] = f.evidence[w.Table]
	}
	return out, nil
}

// One run's decisions end to end over the planner: which tables it asks the
// metrics about, and what it decides for each.
func TestDecideCopies(t *testing.T) {
	now := t0
	copiedAgo := func(d time.Duration) map[string]*core.CopyStatus {
		return map[string]*core.CopyStatus{dst: {DataTime: now.Add(-d), CopySeconds: 600}}
	}
	seen := now.Add(-5 * time.Minute)
	tests := []struct {
		name      string
		candidate CopyCandidate
		evidence  *core.ChangeEvidence
		want      core.DecisionKind
		wantAsked bool
	}{
		{"never copied: copy, no metrics", CopyCandidate{Table: "new"}, nil, core.DecisionCopy, false},
		{"RPO 6h, copied 10 minutes ago: not due, no metrics", CopyCandidate{Table: "fresh", Tags: map[string]string{core.TagRPO: "6h"}, Copies: copiedAgo(10 * time.Minute)},
			nil, core.DecisionNotDue, false},
		{"due and proven unchanged: skipped", CopyCandidate{Table: "idle", Copies: copiedAgo(time.Hour)},
			&core.ChangeEvidence{Known: true, SeenUntil: seen}, core.DecisionUnchanged, true},
		{"created a minute before its copy, then idle: skipped", CopyCandidate{Table: "young", Created: now.Add(-61 * time.Minute), Copies: copiedAgo(time.Hour)},
			&core.ChangeEvidence{Known: true, SeenUntil: seen}, core.DecisionUnchanged, true},
		{"due and written: copy", CopyCandidate{Table: "busy", Copies: copiedAgo(time.Hour)},
			&core.ChangeEvidence{Known: true, Changed: true, SeenUntil: seen}, core.DecisionCopy, true},
		{"due, metrics unknown: copy", CopyCandidate{Table: "dark", Copies: copiedAgo(time.Hour)},
			&core.ChangeEvidence{Reason: "partial data"}, core.DecisionCopy, true},
		{"past MAX_UNCHANGED: copy without asking", CopyCandidate{Table: "old", Copies: copiedAgo(8 * 24 * time.Hour)}, nil, core.DecisionCopy, false},
		{"RPO off by tag", CopyCandidate{Table: "scratch", Tags: map[string]string{core.TagRPO: "off"}}, nil, core.DecisionOff, false},
		{"bad RPO tag: invalid, naming the tag", CopyCandidate{Table: "typo", Tags: map[string]string{core.TagRPO: "hourly"}}, nil, core.DecisionInvalid, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			changes := &fakeChanges{evidence: map[string]core.ChangeEvidence{}}
			if tc.evidence != nil {
				changes.evidence[tc.candidate.Table] = *tc.evidence
			}
			plan, err := DecideCopies(context.Background(), changes, defaultSettings(t, nil), []CopyCandidate{tc.candidate}, nil, now)
			if err != nil {
				t.Fatal(err)
			}
			all := slices.Concat(plan.Admitted, plan.Others)
			if len(all) != 1 || all[0].Kind != tc.want {
				t.Fatalf("decisions = %+v, want one %s", all, tc.want)
			}
			if asked := len(changes.asked) > 0; asked != tc.wantAsked {
				t.Errorf("asked the metrics: %v, want %v (%+v)", asked, tc.wantAsked, changes.asked)
			}
			if tc.wantAsked {
				w := changes.asked[0]
				if created := tc.candidate.Created; !created.IsZero() && !w.Created.IsZero() {
					t.Errorf("window created %v: a table created before its copy's data time was not re-created", w.Created)
				}
				if newest := tc.candidate.Copies[dst].DataTime; !w.From.Equal(core.ChangeWindowFrom(newest)) || !w.To.Equal(now) {
					t.Errorf("window %v..%v, want from %v (the newest copy's data time less the margin) to now", w.From, w.To, core.ChangeWindowFrom(newest))
				}
			}
			d := all[0]
			switch tc.want {
			case core.DecisionUnchanged:
				if !d.CurrentAsOf.Equal(seen) {
					t.Errorf("current as of %v, want what the metrics saw, %v", d.CurrentAsOf, seen)
				}
			case core.DecisionInvalid:
				if !strings.Contains(d.Reason, core.TagRPO) || !strings.Contains(d.Reason, "typo") {
					t.Errorf("reason %q names neither the tag nor the table", d.Reason)
				}
			}
		})
	}
}

// Admission: only the free slots (RESTORE_SLOTS less the restores in
// flight) are used, the most indebted tables first, as much copy time as
// they can finish before the next run; the Map's concurrency follows.
func TestDecideCopiesAdmitsWithinTheFreeSlots(t *testing.T) {
	now := t0
	var candidates []CopyCandidate
	for i, age := range []time.Duration{2 * time.Hour, 5 * time.Hour, 3 * time.Hour} {
		candidates = append(candidates, CopyCandidate{Table: string(rune('a' + i)),
			Copies: map[string]*core.CopyStatus{dst: {DataTime: now.Add(-age), CopySeconds: 3000}}})
	}
	s := defaultSettings(t, map[string]string{core.EnvRestoreSlots: "3"})
	plan, err := DecideCopies(context.Background(), nil, s, candidates, map[string]int{dst: 1}, now)
	if err != nil {
		t.Fatal(err)
	}
	var admitted []string
	for _, d := range plan.Admitted {
		admitted = append(admitted, d.Table)
	}
	slices.Sort(admitted)
	if !slices.Equal(admitted, []string{"b", "c"}) || plan.Concurrency != 2 {
		t.Errorf("admitted %v with concurrency %d, want [b c] (the two oldest) with 2", admitted, plan.Concurrency)
	}
	if len(plan.Others) != 1 || plan.Others[0].Table != "a" || plan.Others[0].Kind != core.DecisionDeferred {
		t.Errorf("others = %+v, want a deferred", plan.Others)
	}
}

// Two destinations, one nearly full: the Map runs at the fewer free slots,
// so each destination admits only what that concurrency can finish before
// the next run, not what its own free slots could.
func TestDecideCopiesBudgetsAtTheMapsConcurrency(t *testing.T) {
	now := t0
	const busy = "ap-south-1"
	var candidates []CopyCandidate
	for i := range 10 {
		state := &core.CopyStatus{DataTime: now.Add(-2 * time.Hour), CopySeconds: 1800}
		candidates = append(candidates, CopyCandidate{Table: fmt.Sprintf("t%d", i), Copies: map[string]*core.CopyStatus{dst: state, busy: state}})
	}
	s := defaultSettings(t, map[string]string{"DESTINATION_REGIONS": dst + "," + busy})
	plan, err := DecideCopies(context.Background(), nil, s, candidates, map[string]int{busy: s.RestoreSlots - 1}, now)
	if err != nil {
		t.Fatal(err)
	}
	perDest := map[string]int{}
	for _, d := range plan.Admitted {
		perDest[d.Destination]++
	}
	// One slot, a 30-minute copy, an hour between runs: two copies each.
	if plan.Concurrency != 1 || perDest[dst] != 2 || perDest[busy] != 2 {
		t.Errorf("concurrency %d, admitted %v; want 1, two copies into each destination", plan.Concurrency, perDest)
	}
}

// A metrics read that ends with the context fails the plan; nothing is
// decided on half an answer.
func TestDecideCopiesStopsWhenTheMetricsCannotBeRead(t *testing.T) {
	changes := &fakeChanges{err: context.DeadlineExceeded}
	c := CopyCandidate{Table: "idle", Copies: map[string]*core.CopyStatus{dst: {DataTime: t0.Add(-time.Hour)}}}
	if _, err := DecideCopies(context.Background(), changes, defaultSettings(t, nil), []CopyCandidate{c}, nil, t0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
}
