package core

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DecisionKind is what a run does with one table and destination.
type DecisionKind string

// The decisions. Copy is "due and changed"; before admission it means
// "wants a copy", and Admit turns the copies that get no restore slot into
// Deferred. Invalid is a table whose RPO tag is not an RPO: it fails.
const (
	DecisionCopy      DecisionKind = "copy"
	DecisionUnchanged DecisionKind = "unchanged"
	DecisionNotDue    DecisionKind = "notDue"
	DecisionDeferred  DecisionKind = "deferred"
	DecisionOff       DecisionKind = "off"
	DecisionInvalid   DecisionKind = "invalid"
)

// BackupConsistencyMargin is how far before its request time a backup may
// miss writes: a backup requested at 14:25:00 holds every write committed
// up to 14:24:00 and may or may not hold those made between 14:24:00 and
// 14:26:00 (Amazon DynamoDB API Reference, CreateBackup,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateBackup.html).
// Writes in that minute count as changes since the copy.
const BackupConsistencyMargin = time.Minute

// ChangeWindowFrom is where the metrics must start proving "no write" for
// a table whose newest copy's data time is newestData.
func ChangeWindowFrom(newestData time.Time) time.Time {
	return newestData.Add(-BackupConsistencyMargin)
}

// ChangeEvidence is what the source table's CloudWatch metrics show about
// writes from ChangeWindowFrom(newest data time) on.
type ChangeEvidence struct {
	// Known is false when the metrics could not prove anything (missing,
	// partial or failed): that counts as changed.
	Known   bool
	Changed bool
	// SeenUntil is how far the metrics see: with Known and not Changed,
	// the newest copy is proven current up to it.
	SeenUntil time.Time
	Reason    string
}

// ChangeWindow is a source table and the span [From, To) in which its
// metrics must show no write for a skip. A table created at or after From
// (restored, imported or re-created) changed without writes, and the
// writes replicated into a global table's replica may not show in its
// metrics: neither can be proven unchanged.
type ChangeWindow struct {
	Table       string
	From, To    time.Time
	Created     time.Time
	HasReplicas bool
}

// Candidate is one source table and one destination, as a run sees them.
type Candidate struct {
	Table       string
	Destination string
	RPO         Period // from ResolveRPO; RPOOff: never copied
	SizeBytes   int64
	// NewestData is the data time (source backup creation) of the newest
	// copy in Destination; zero: no copy yet.
	NewestData time.Time
	// CurrentAsOf is how far a skip proved that copy current; zero or
	// before NewestData: NewestData.
	CurrentAsOf time.Time
	// History holds the last measured duration of each phase, and
	// LastCopySeconds the last copy's total, start to finish (0: none).
	History         map[Phase]PhaseHistory
	LastCopySeconds float64
	Evidence        ChangeEvidence
}

// Policy holds the settings a decision needs besides the table's RPO.
type Policy struct {
	// Interval is the time between scheduled runs: the next chance to copy.
	Interval     time.Duration
	MaxUnchanged time.Duration
}

// PolicyFromSettings builds the decision policy of a run.
func PolicyFromSettings(s Settings) Policy {
	return Policy{Interval: s.ScheduleInterval(), MaxUnchanged: s.MaxUnchanged.Duration()}
}

// ScheduleInterval is the time between scheduled runs, from RunsPerDay; a
// deployment without a schedule (0 runs a day) is taken to run daily.
func (s Settings) ScheduleInterval() time.Duration {
	if s.RunsPerDay <= 0 {
		return 24 * time.Hour
	}
	return time.Duration(float64(24*time.Hour) / s.RunsPerDay)
}

// Decision is what a run does with one table and destination, and why.
type Decision struct {
	Table       string       `json:"table"`
	Destination string       `json:"destination"`
	Kind        DecisionKind `json:"decision"`
	Reason      string       `json:"reason"`
	RPO         Period       `json:"rpo"`
	NewestData  time.Time    `json:"newestData,omitzero"`
	// CurrentAsOf is how far the newest copy is known current after this
	// decision: an Unchanged decision advances it to the evidence's
	// SeenUntil, and the catalog's status item records it.
	CurrentAsOf time.Time `json:"currentAsOf,omitzero"`
	// AgeSeconds is the RPO age: now − CurrentAsOf (0 without a copy).
	AgeSeconds float64 `json:"ageSeconds"`
	// OverRPO: no copy yet, or older than the RPO (never for off).
	OverRPO bool `json:"overRpo,omitempty"`
	// Debt is AgeSeconds / RPO (NoCopyDebt without a copy): the admission
	// order, largest first.
	Debt             float64 `json:"debt"`
	PredictedSeconds float64 `json:"predictedSeconds"`
	// Measured is whether PredictedSeconds comes from this table's own
	// history; otherwise it is UnmeasuredCopySeconds.
	Measured bool `json:"measured,omitempty"`
	// Unattainable: the measured copy time is at least the RPO, so the RPO
	// can never be met; MinRPO is the smallest it can have. Such a table is
	// still copied whenever it is due: each copy keeps its data as fresh as
	// its copy time allows, and skipping it would only make it older.
	Unattainable bool   `json:"unattainable,omitempty"`
	MinRPO       Period `json:"minRpo,omitempty"`
}

// NoCopyDebt is the RPO debt of a table with no copy in a destination: it
// goes before every table that has one.
const NoCopyDebt = 1e6

// UnmeasuredCopySeconds is the copy time assumed for a table never copied:
// most restores finish within an hour ("Most restores finish within an
// hour; large ones take hours", see DESIGN.md section 4).
const UnmeasuredCopySeconds = 3600.0

// PredictCopySeconds predicts a copy's total time from the table's history:
// the last copy's total scaled as its phases scale with size, else the sum
// of the phases, else the last total. false: no history.
func PredictCopySeconds(history map[Phase]PhaseHistory, lastCopySeconds float64, sizeNow int64) (float64, bool) {
	var predicted, measured float64
	for _, ph := range Phases {
		if p, ok := PredictSeconds(history[ph], sizeNow); ok {
			predicted += p
			measured += history[ph].Seconds
		}
	}
	switch {
	case lastCopySeconds > 0 && measured > 0:
		return lastCopySeconds * predicted / measured, true
	case measured > 0:
		return predicted, true
	case lastCopySeconds > 0:
		return lastCopySeconds, true
	}
	return UnmeasuredCopySeconds, false
}

// dueMargin is added to the time a copy needs before the RPO runs out. It
// covers the time from the scheduled moment to the copy's start (the
// schedule's delivery, listing and planning: minutes at 10,000 tables) and
// the prediction's error: a copy seen done by the adaptive tail can be
// noticed up to a tenth of its duration late (NextWait), and durations vary.
func dueMargin(predicted time.Duration) time.Duration {
	return 5*time.Minute + predicted/10
}

// Decide decides for one candidate at now. The result's Kind is Copy for a
// table that is due and changed (or never copied, or past MaxUnchanged),
// before admission.
func Decide(c Candidate, p Policy, now time.Time) Decision {
	d := Decision{Table: c.Table, Destination: c.Destination, RPO: c.RPO, NewestData: c.NewestData}
	pred, measured := PredictCopySeconds(c.History, c.LastCopySeconds, c.SizeBytes)
	d.PredictedSeconds, d.Measured = pred, measured
	predicted := time.Duration(pred * float64(time.Second))
	ref := c.NewestData
	if c.CurrentAsOf.After(ref) {
		ref = c.CurrentAsOf
	}
	if !c.NewestData.IsZero() {
		d.CurrentAsOf = ref
		d.AgeSeconds = max(now.Sub(ref).Seconds(), 0)
	}
	if c.RPO == RPOOff {
		d.Kind, d.Reason = DecisionOff, "the RPO is off: never copied"
		return d
	}
	rpo := c.RPO.Duration()
	if measured && predicted >= rpo {
		d.Unattainable = true
		d.MinRPO = RoundUpPeriod(predicted + p.Interval)
	}
	if c.NewestData.IsZero() {
		d.OverRPO, d.Debt = true, NoCopyDebt
		d.Kind, d.Reason = DecisionCopy, fmt.Sprintf("no copy in %s yet", c.Destination)
		return d.withUnattainable(predicted)
	}
	d.OverRPO = now.Sub(ref) > rpo
	d.Debt = d.AgeSeconds / rpo.Seconds()
	// The next chance to copy is the next run, which finishes a copy
	// Interval + predicted from now.
	nextDone := now.Add(p.Interval + predicted + dueMargin(predicted))
	age := func(t time.Time) string { return now.Sub(t).Round(time.Minute).String() }
	if !c.NewestData.Add(p.MaxUnchanged).After(nextDone) {
		d.Kind, d.Reason = DecisionCopy, fmt.Sprintf("the newest copy's data is %s old; %s is %s, and a later run could not finish a copy within it",
			age(c.NewestData), EnvMaxUnchanged, Period(p.MaxUnchanged))
		return d.withUnattainable(predicted)
	}
	if ref.Add(rpo).After(nextDone) {
		d.Kind, d.Reason = DecisionNotDue, fmt.Sprintf("data current as of %s (%s ago) stays within the RPO %s until %s; a later run can finish a copy (predicted %s) before then",
			ref.UTC().Format(time.RFC3339), age(ref), c.RPO, ref.Add(rpo).UTC().Format(time.RFC3339), predicted.Round(time.Second))
		return d
	}
	ev := c.Evidence
	switch {
	case !ev.Known:
		d.Kind, d.Reason = DecisionCopy, "due; the metrics could not prove the table unchanged ("+cmp.Or(ev.Reason, "no evidence")+"), so it counts as changed"
	case !ev.Changed && !ev.SeenUntil.After(c.NewestData):
		d.Kind, d.Reason = DecisionCopy, fmt.Sprintf("due; the metrics see only up to %s, not past the newest copy's data time %s, so they prove nothing and the table counts as changed",
			ev.SeenUntil.UTC().Format(time.RFC3339), c.NewestData.UTC().Format(time.RFC3339))
	case ev.Changed:
		d.Kind, d.Reason = DecisionCopy, fmt.Sprintf("due and written since the newest copy's data time %s", c.NewestData.UTC().Format(time.RFC3339))
		if ev.Reason != "" {
			d.Reason += " (" + ev.Reason + ")"
		}
	default:
		d.Kind = DecisionUnchanged
		if ev.SeenUntil.After(ref) {
			d.CurrentAsOf = ev.SeenUntil
			d.AgeSeconds = max(now.Sub(ev.SeenUntil).Seconds(), 0)
			d.Debt = d.AgeSeconds / rpo.Seconds()
			d.OverRPO = now.Sub(ev.SeenUntil) > rpo
		}
		if d.OverRPO {
			// The proof ends too early (a gap in the region's metrics):
			// a skip would leave the table over its RPO, run after run.
			d.Kind = DecisionCopy
			d.Reason = fmt.Sprintf("due; the metrics prove no write only until %s, %s ago, past the RPO %s, so the table counts as changed",
				ev.SeenUntil.UTC().Format(time.RFC3339), age(ev.SeenUntil), c.RPO)
			return d.withUnattainable(predicted)
		}
		d.Reason = fmt.Sprintf("due, but the metrics show no write from %s to %s: the newest copy is current as of %s",
			ChangeWindowFrom(c.NewestData).UTC().Format(time.RFC3339), ev.SeenUntil.UTC().Format(time.RFC3339), d.CurrentAsOf.UTC().Format(time.RFC3339))
		return d
	}
	return d.withUnattainable(predicted)
}

func (d Decision) withUnattainable(predicted time.Duration) Decision {
	if d.Unattainable {
		d.Reason += fmt.Sprintf("; unattainable: a copy takes %s, at least the RPO %s; the smallest RPO it can have is %s",
			predicted.Round(time.Minute), d.RPO, d.MinRPO)
	}
	return d
}

// InvalidDecision is the decision for a table whose RPO could not be
// resolved (ResolveRPO's error): it fails, naming the problem.
func InvalidDecision(table, destination string, err error) Decision {
	return Decision{Table: table, Destination: destination, Kind: DecisionInvalid, Reason: err.Error()}
}

// Admit admits copies within the restore slots of each destination:
// slots[destination] is RESTORE_SLOTS less the restores already in flight
// there. Per destination, the Copy decisions are taken by RPO debt, largest
// first (a table deferred last run is older now, so it comes before the
// tables that were copied), and admitted while fewer than its slots are
// admitted or while the admitted predicted copy time stays within slots ×
// interval: what the slots can finish before the next run. The other
// copies become Deferred. admitted is in the order the Map should start
// them: longest predicted copy first, which keeps a run's makespan near its
// lower bound (MakespanBound); a Map item that copies a table to several
// destinations takes its place from the first of its decisions. rest holds
// every other decision, in input order.
func Admit(decisions []Decision, slots map[string]int, interval time.Duration) (admitted, rest []Decision) {
	byDest := map[string][]int{}
	for i, d := range decisions {
		if d.Kind == DecisionCopy {
			byDest[d.Destination] = append(byDest[d.Destination], i)
		}
	}
	admit := make([]bool, len(decisions))
	out := slices.Clone(decisions)
	for dest, idx := range byDest {
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmp.Or(cmp.Compare(decisions[b].Debt, decisions[a].Debt), strings.Compare(decisions[a].Table, decisions[b].Table))
		})
		n, budget, used := slots[dest], float64(slots[dest])*interval.Seconds(), 0.0
		count := 0
		for _, i := range idx {
			if n > 0 && (count < n || used+decisions[i].PredictedSeconds <= budget) {
				admit[i] = true
				count++
				used += decisions[i].PredictedSeconds
				continue
			}
			out[i].Kind = DecisionDeferred
			out[i].Reason = fmt.Sprintf("due, but no restore slot in %s this run (%d free; %d copies admitted, %s of predicted copy time for %s of slot time); RPO debt %.2f, it goes before less indebted tables next run",
				dest, max(n, 0), count, (time.Duration(used) * time.Second).Round(time.Minute), (time.Duration(budget) * time.Second).Round(time.Minute), decisions[i].Debt)
		}
	}
	for i, d := range out {
		if admit[i] {
			admitted = append(admitted, d)
		} else {
			rest = append(rest, d)
		}
	}
	slices.SortStableFunc(admitted, func(a, b Decision) int {
		return cmp.Or(cmp.Compare(b.PredictedSeconds, a.PredictedSeconds), cmp.Compare(b.Debt, a.Debt), strings.Compare(a.Table, b.Table))
	})
	return admitted, rest
}

// MakespanBound is the lower bound of a run's makespan with slots parallel
// restores: the longest single copy, or the total copy time over the slots,
// whichever is larger.
func MakespanBound(copySeconds []float64, slots int) float64 {
	if len(copySeconds) == 0 || slots < 1 {
		return 0
	}
	var total float64
	for _, s := range copySeconds {
		total += s
	}
	return max(slices.Max(copySeconds), total/float64(slots))
}

// MapConcurrency is the Map's MaxConcurrency for the admitted copies: the
// fewest free slots among the destinations they copy to (a child copies to
// its destinations at once, holding a restore in each), lowered by
// maxConcurrency, and at least 1, since a MaxConcurrency of 0 means no limit
// at all ("Map state", AWS Step Functions Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html).
func MapConcurrency(admitted []Decision, slots map[string]int, maxConcurrency int) int {
	c := maxConcurrency
	for _, d := range admitted {
		c = min(c, slots[d.Destination])
	}
	return max(c, 1)
}
