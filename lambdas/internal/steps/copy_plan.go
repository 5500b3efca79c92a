package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// ChangeReader is the part of CloudWatch the copy planner needs: what the
// source tables' DynamoDB metrics show about writes in each window, one
// evidence per window, in order. A window it cannot read comes back
// unknown (core.ChangeEvidence.Known false), never as an error; only the
// context's end is one.
type ChangeReader interface {
	Changes(ctx context.Context, windows []core.ChangeWindow) ([]core.ChangeEvidence, error)
}

// CopyCandidate is one listed source table and, per destination region,
// what that destination's catalog knows of its copies.
type CopyCandidate struct {
	Table     string
	Tags      map[string]string
	SizeBytes int64
	// Created and HasReplicas decide whether the metrics can prove the
	// table unchanged at all (see core.ChangeWindow).
	Created     time.Time
	HasReplicas bool
	// Copies is by destination region; a region without one has no copy.
	Copies map[string]*core.CopyStatus
}

// Decided is a run's decisions: the copies admitted, in the order the Map
// should start them, and every other decision, with the Map's concurrency.
type Decided struct {
	Admitted    []core.Decision
	Others      []core.Decision
	Concurrency int
}

// DecideCopies decides, for every candidate and destination, whether this run
// copies it (core.Decide), reading the metrics only where they can change
// the decision (a due table that has a copy), and admits the copies within
// the restore slots each destination has free: RestoreSlots less inFlight,
// the restores already running there (core.Admit). Without a ChangeReader
// every due table counts as changed.
func DecideCopies(ctx context.Context, changes ChangeReader, s core.Settings, candidates []CopyCandidate, inFlight map[string]int, now time.Time) (Decided, error) {
	policy := core.PolicyFromSettings(s)
	var (
		decisions []core.Decision
		pending   []core.Candidate    // due tables whose metrics decide
		windows   []core.ChangeWindow // pending's metrics windows
		at        []int               // pending's index in decisions
	)
	for _, t := range candidates {
		rpo, _, rpoErr := core.ResolveRPO(t.Table, t.Tags, s.RPOByName, s.RPO)
		for _, dest := range s.DestinationRegions {
			if rpoErr != nil {
				decisions = append(decisions, core.InvalidDecision(t.Table, dest, rpoErr))
				continue
			}
			c := core.Candidate{Table: t.Table, Destination: dest, RPO: rpo, SizeBytes: t.SizeBytes,
				Evidence: core.ChangeEvidence{Reason: "the metrics were not read"}}
			if copied := t.Copies[dest]; copied != nil {
				c.NewestData, c.CurrentAsOf = copied.DataTime, copied.CurrentAsOf
				c.History, c.LastCopySeconds = copied.Phases, copied.CopySeconds
			}
			if changes != nil && metricsDecide(c, policy, now) {
				pending = append(pending, c)
				// A table created before the copy's data time is the table
				// the copy was taken from; one created since was re-created.
				created := t.Created
				if !created.After(c.NewestData) {
					created = time.Time{}
				}
				windows = append(windows, core.ChangeWindow{
					Table: t.Table, From: core.ChangeWindowFrom(c.NewestData), To: now,
					Created: created, HasReplicas: t.HasReplicas,
				})
				at = append(at, len(decisions))
			}
			decisions = append(decisions, core.Decide(c, policy, now))
		}
	}
	if len(windows) > 0 {
		evidence, err := changes.Changes(ctx, windows)
		if err != nil {
			return Decided{}, fmt.Errorf("read the metrics of %d tables: %w", len(windows), err)
		}
		if len(evidence) != len(windows) {
			return Decided{}, fmt.Errorf("read the metrics of %d tables: got %d answers", len(windows), len(evidence))
		}
		for i, c := range pending {
			c.Evidence = evidence[i]
			decisions[at[i]] = core.Decide(c, policy, now)
		}
	}
	// One Map runs every copy at one concurrency: the fewest free slots
	// among the destinations with copies to admit (one without a free slot
	// admits none). Each destination is budgeted at that concurrency, so
	// that what is admitted can finish before the next run.
	free := map[string]int{}
	for _, dest := range s.DestinationRegions {
		free[dest] = max(s.RestoreSlots-inFlight[dest], 0)
	}
	concurrency := s.MaxConcurrency
	for _, d := range decisions {
		if d.Kind == core.DecisionCopy && free[d.Destination] > 0 {
			concurrency = min(concurrency, free[d.Destination])
		}
	}
	slots := map[string]int{}
	for dest, n := range free {
		slots[dest] = min(n, concurrency)
	}
	admitted, others := core.Admit(decisions, slots, policy.Interval)
	return Decided{Admitted: admitted, Others: others, Concurrency: core.MapConcurrency(admitted, slots, s.MaxConcurrency)}, nil
}

// metricsDecide reports whether c's decision turns on the metrics: it is a
// copy without evidence and would be a skip if the metrics proved the table
// unchanged until now. Asking core.Decide keeps its rules in one place.
func metricsDecide(c core.Candidate, p core.Policy, now time.Time) bool {
	if core.Decide(c, p, now).Kind != core.DecisionCopy {
		return false
	}
	c.Evidence = core.ChangeEvidence{Known: true, SeenUntil: now}
	return core.Decide(c, p, now).Kind == core.DecisionUnchanged
}
