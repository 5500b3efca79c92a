// Package fleet simulates a month of scheduled runs over a reference fleet
// of tables, with the same decision, admission and retention code the
// handlers run (lambdas/core), to compare copying by RPO with the 2021
// script's policy (every table every hour, hourly backups kept 7 days in
// both regions) under the same restore quota.
//
// The model, stated because AWS publishes no restore rate:
//   - Sizes are log-normal, median 1 GiB, 99th percentile 200 GiB.
//   - Writes are Poisson: 10% of the tables are written all the time (20
//     writes an hour), 30% a few times a day (4 a day), 60% about weekly.
//   - A source or destination backup takes 2 minutes: "Backup requests are
//     processed instantaneously and become available for restore within
//     minutes" (Amazon DynamoDB API Reference, CreateBackup,
//     https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateBackup.html).
//   - A restore takes 10 minutes plus 18 seconds per GiB: AWS says restore
//     times depend on the table's size and layout, most restores finish
//     within an hour and large ones take hours (DESIGN.md section 4); this
//     puts tables under about 150 GiB within the hour. Each phase varies by
//     ±10% from copy to copy, so predictions are never exact.
//   - The orchestration adds a minute per copy (listing, Lambda, deleting
//     the temporary table).
//   - At most Slots restores run at once ("Any number of users can run up to
//     50 concurrent restores (any type of restore) in a given account",
//     "Restore a table in DynamoDB",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/pointintimerecovery_restores.html).
//   - The CloudWatch metrics see writes up to MetricDelay before a run; one
//     read in a thousand fails (and the table is copied).
package fleet

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

const (
	gib         = 1 << 30
	destination = "eu-west-1"
	// StepFunctionsPerTransition is the Standard workflow price.
	StepFunctionsPerTransition = 0.025 / 1000
	// LambdaPerInvocation is one 256 MB arm64 invocation of about half a
	// second: $0.20 per million requests plus $0.0000133334 per GB-second.
	LambdaPerInvocation = 0.20/1e6 + 0.5*0.25*0.0000133334
)

// Fleet is the reference fleet and its writes.
type Fleet struct {
	Tables []Table
	Start  time.Time // the first run
	Warmup int       // runs before the measured ones
	Runs   int       // measured runs
}

// Table is one simulated source table.
type Table struct {
	Name      string
	SizeBytes int64
	Class     string      // "hourly", "daily" or "weekly"
	Writes    []time.Time // sorted
}

// Params are the fleet's shape.
type Params struct {
	Tables      int
	Seed        uint64
	Days        int
	WarmupHours int
}

// ReferenceParams is the fleet of issue 11: 200 tables over 30 days, after
// two days in which every table gets its first copy.
var ReferenceParams = Params{Tables: 200, Seed: 2021, Days: 30, WarmupHours: 48}

// NewFleet builds a seeded fleet.
func NewFleet(p Params) Fleet {
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	end := start.Add(time.Duration(p.WarmupHours+24*p.Days+1) * time.Hour)
	from := start.Add(-24 * time.Hour)
	sigma := math.Log(200) / 2.3263478740 // the 99th percentile is 200 × the median
	f := Fleet{Start: start, Warmup: p.WarmupHours, Runs: 24 * p.Days}
	// Exactly 10%, 30% and 60% of the tables, in a random order.
	classes := rng.Perm(p.Tables)
	for i := range p.Tables {
		size := gib * math.Exp(sigma*rng.NormFloat64())
		t := Table{Name: fmt.Sprintf("table-%03d", i), SizeBytes: int64(min(max(size, 1<<20), 4<<40))}
		var perHour float64
		switch c := classes[i]; {
		case c < p.Tables/10:
			t.Class, perHour = "hourly", 20
		case c < 4*p.Tables/10:
			t.Class, perHour = "daily", 4.0/24
		default:
			t.Class, perHour = "weekly", 1.0/168
		}
		for w := from; ; {
			w = w.Add(time.Duration(rng.ExpFloat64() / perHour * float64(time.Hour)))
			if !w.Before(end) {
				break
			}
			t.Writes = append(t.Writes, w)
		}
		f.Tables = append(f.Tables, t)
	}
	return f
}

// ModelCopyTime is a copy's time in the model, without its variation.
func (t Table) ModelCopyTime() time.Duration {
	return 5*time.Minute + 10*time.Minute + time.Duration(float64(t.SizeBytes)/gib*18*float64(time.Second))
}

// Unattainable: the model's copy time is at least rpo. Such tables are
// counted apart from the shares of table-hours within RPO, for every
// policy alike.
func (t Table) Unattainable(rpo time.Duration) bool { return t.ModelCopyTime() >= rpo }

// Policy is how runs choose their copies and what they keep.
type Policy struct {
	Name string
	// ByRPO: decide with core.Decide and admit with core.Admit; otherwise
	// copy every table not already being copied, every run (2021).
	ByRPO  bool
	RPO    time.Duration
	Slots  int
	Dest   core.Retention
	Source core.Retention
	// TransitionsPerCopy and InvocationsPerCopy price the orchestration.
	TransitionsPerCopy int
	InvocationsPerCopy int
	// MetricDelay is how long before a run the metrics see writes.
	MetricDelay time.Duration
}

// Result is a policy's month.
type Result struct {
	Policy                                                    Policy
	Copies                                                    int
	GBCopied                                                  float64
	RestoreUSD, TransferUSD, StorageUSD, StepFnUSD, LambdaUSD float64
	// Reported: per table and run, the RPO age as the run leaves the table
	// (see sampleRun).
	ReportedWithin, ReportedSamples int
	WorstReported                   time.Duration
	// Exposure: at each hour, how old the oldest write is that no finished
	// copy holds: what losing the source region would lose.
	ExposureWithin, ExposureSamples     int
	WorstExposure                       time.Duration
	Unattainable                        int // tables, counted apart from the shares
	MaxMakespanRatio, MeanMakespanRatio float64
	Decisions                           map[core.DecisionKind]int
	flagged                             map[string]bool // tables the planner found unattainable
}

// TotalUSD is the month's cost.
func (r Result) TotalUSD() float64 {
	return r.RestoreUSD + r.TransferUSD + r.StorageUSD + r.StepFnUSD + r.LambdaUSD
}

// ReportedShare and ExposureShare are the shares of table-hours within RPO.
func (r Result) ReportedShare() float64 {
	return float64(r.ReportedWithin) / float64(max(r.ReportedSamples, 1))
}

// ExposureShare is the share of table-hours whose exposure is within RPO.
func (r Result) ExposureShare() float64 {
	return float64(r.ExposureWithin) / float64(max(r.ExposureSamples, 1))
}

type copyJob struct {
	table      int
	start, end time.Time
	phases     [3]time.Duration
}

type tableState struct {
	jobs        []copyJob // started, in start order
	applied     int       // jobs whose completion is in the catalog
	newestData  time.Time
	currentAsOf time.Time
	history     map[core.Phase]core.PhaseHistory
	lastCopy    float64
	backups     [2][]core.BackupInfo
}

// Simulate runs the policy over the fleet.
func Simulate(f Fleet, p Policy) Result {
	rng := rand.New(rand.NewPCG(7, 11))
	res := Result{Policy: p, Decisions: map[core.DecisionKind]int{}, flagged: map[string]bool{}}
	states := make([]tableState, len(f.Tables))
	machines := make([]time.Time, p.Slots) // when each restore slot is free
	policy := core.Policy{Interval: time.Hour, MaxUnchanged: 7 * 24 * time.Hour}
	var makespanRatios []float64
	var gbHours float64
	for run := range f.Warmup + f.Runs {
		now := f.Start.Add(time.Duration(run) * time.Hour)
		measured := run >= f.Warmup
		for i := range states {
			states[i].complete(f.Tables[i], now, p)
		}
		if measured {
			for i := range states {
				res.sampleExposure(f.Tables[i], &states[i], now, p.RPO)
				for r := range 2 {
					for _, b := range states[i].backups[r] {
						gbHours += float64(b.SizeBytes) / gib
					}
				}
			}
		}
		var jobs []copyJob
		deferred := map[int]bool{}
		if p.ByRPO {
			jobs = decideRun(f, p, policy, states, machines, now, rng, &res, measured, &makespanRatios, deferred)
		} else {
			jobs = everyTableRun(f, states, machines, now, rng)
		}
		if measured {
			res.sampleRun(f, states, jobs, deferred, now, p.RPO)
		}
		for _, j := range jobs {
			states[j.table].jobs = append(states[j.table].jobs, j)
			if measured {
				res.Copies++
				res.GBCopied += float64(f.Tables[j.table].SizeBytes) / gib
			}
		}
	}
	res.Unattainable = len(res.flagged)
	res.RestoreUSD = res.GBCopied * core.RestorePerGB
	res.TransferUSD = res.GBCopied * core.TransferPerGB
	res.StorageUSD = gbHours / 730 * core.BackupStoragePerGBMo
	res.StepFnUSD = float64(res.Copies*p.TransitionsPerCopy) * StepFunctionsPerTransition
	res.LambdaUSD = float64(res.Copies*p.InvocationsPerCopy) * LambdaPerInvocation
	if len(makespanRatios) > 0 {
		res.MaxMakespanRatio = slices.Max(makespanRatios)
		for _, r := range makespanRatios {
			res.MeanMakespanRatio += r / float64(len(makespanRatios))
		}
	}
	return res
}

// decideRun is one run of copying by RPO: the planner's decisions and
// admission, then the Map's start order on the free slots.
func decideRun(f Fleet, p Policy, policy core.Policy, states []tableState, machines []time.Time, now time.Time, rng *rand.Rand,
	res *Result, measured bool, ratios *[]float64, deferred map[int]bool) []copyJob {
	var free []int
	for m, at := range machines {
		if !at.After(now) {
			free = append(free, m)
		}
	}
	var decisions []core.Decision
	for i, t := range f.Tables {
		s := &states[i]
		if s.pending() {
			continue // an earlier run still copies it: no double work
		}
		c := core.Candidate{
			Table: t.Name, Destination: destination, RPO: core.Period(p.RPO), SizeBytes: t.SizeBytes,
			NewestData: s.newestData, CurrentAsOf: s.currentAsOf, History: s.history, LastCopySeconds: s.lastCopy,
			Evidence: evidence(t, s.newestData, now, p.MetricDelay, rng),
		}
		d := core.Decide(c, policy, now)
		if d.Unattainable {
			res.flagged[t.Name] = true
		}
		decisions = append(decisions, d)
	}
	slots := map[string]int{destination: len(free)}
	admitted, rest := core.Admit(decisions, slots, policy.Interval)
	for _, d := range rest {
		switch d.Kind {
		case core.DecisionUnchanged:
			states[index(f, d.Table)].currentAsOf = d.CurrentAsOf
		case core.DecisionDeferred:
			deferred[index(f, d.Table)] = true
		}
		if measured {
			res.Decisions[d.Kind]++
		}
	}
	if measured {
		res.Decisions[core.DecisionCopy] += len(admitted)
	}
	concurrency := core.MapConcurrency(admitted, slots, core.DefaultMaxConcurrency)
	// The Map starts the admitted copies in order, at most concurrency at
	// once, on the free slots.
	lanes := make([]time.Time, min(concurrency, len(free)))
	for k := range lanes {
		lanes[k] = now
	}
	var jobs []copyJob
	var durations []float64
	for _, d := range admitted {
		k := slices.IndexFunc(lanes, func(t time.Time) bool { return t.Equal(slices.MinFunc(lanes, time.Time.Compare)) })
		j := newJob(f, index(f, d.Table), lanes[k], rng)
		lanes[k] = j.end
		machines[free[k]] = j.end
		jobs = append(jobs, j)
		durations = append(durations, j.end.Sub(j.start).Seconds())
	}
	if measured && len(jobs) > 0 {
		makespan := slices.MaxFunc(jobs, func(a, b copyJob) int { return a.end.Compare(b.end) }).end.Sub(now).Seconds()
		*ratios = append(*ratios, makespan/core.MakespanBound(durations, len(lanes)))
	}
	return jobs
}

// everyTableRun is one run of the 2021 policy: every table not already
// being copied, in listing order, on whichever slot frees first.
func everyTableRun(f Fleet, states []tableState, machines []time.Time, now time.Time, rng *rand.Rand) []copyJob {
	var jobs []copyJob
	for i := range f.Tables {
		if states[i].pending() {
			continue
		}
		m := 0
		for k := range machines {
			if machines[k].Before(machines[m]) {
				m = k
			}
		}
		j := newJob(f, i, maxTime(now, machines[m]), rng)
		machines[m] = j.end
		jobs = append(jobs, j)
	}
	return jobs
}

// newJob is a copy of table i starting at start, with its phases' times.
func newJob(f Fleet, i int, start time.Time, rng *rand.Rand) copyJob {
	noise := func(d time.Duration) time.Duration { return time.Duration(float64(d) * (0.9 + 0.2*rng.Float64())) }
	restore := f.Tables[i].ModelCopyTime() - 5*time.Minute
	j := copyJob{table: i, start: start, phases: [3]time.Duration{noise(2 * time.Minute), noise(restore), noise(2 * time.Minute)}}
	j.end = start.Add(j.phases[0] + j.phases[1] + j.phases[2] + time.Minute)
	return j
}

// evidence is what the metrics show at now about writes since the newest
// copy's data time.
func evidence(t Table, newest, now time.Time, delay time.Duration, rng *rand.Rand) core.ChangeEvidence {
	if newest.IsZero() {
		return core.ChangeEvidence{}
	}
	if rng.Float64() < 0.001 {
		return core.ChangeEvidence{Reason: "GetMetricData failed"}
	}
	seen := now.Add(-delay)
	from := core.ChangeWindowFrom(newest)
	k := sort.Search(len(t.Writes), func(k int) bool { return !t.Writes[k].Before(from) })
	changed := k < len(t.Writes) && t.Writes[k].Before(seen)
	return core.ChangeEvidence{Known: true, Changed: changed, SeenUntil: seen}
}

// complete puts the copies finished by now in the catalog and the backup
// lists, learns their durations, and prunes each region as the copy's last
// steps do.
func (s *tableState) complete(t Table, now time.Time, p Policy) {
	for ; s.applied < len(s.jobs) && !s.jobs[s.applied].end.After(now); s.applied++ {
		j := s.jobs[s.applied]
		if j.start.After(s.newestData) {
			s.newestData = j.start
			s.currentAsOf = maxTime(s.currentAsOf, j.start)
		}
		s.history = map[core.Phase]core.PhaseHistory{}
		for k, ph := range core.Phases {
			s.history[ph] = core.PhaseHistory{Seconds: j.phases[k].Seconds(), SizeBytes: t.SizeBytes}
		}
		s.lastCopy = j.end.Sub(j.start).Seconds()
		for r, created := range []time.Time{j.start, j.end} {
			name := core.BackupName(t.Name, fmt.Sprint("run-", j.start.Unix()), created)
			s.backups[r] = append(s.backups[r], core.BackupInfo{
				Arn: name, Name: name, Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: created, SizeBytes: t.SizeBytes,
			})
		}
		for r, ret := range []core.Retention{p.Source, p.Dest} {
			_, s.backups[r] = core.PlanPrune(s.backups[r], ret, j.end)
		}
	}
}

// pending: a copy has been started or queued and has not finished.
func (s *tableState) pending() bool { return s.applied < len(s.jobs) }

// sampleRun counts, for each table, whether the run leaves it within its
// RPO: a table the run copies is within when its copy finishes within the
// RPO of the run's start (its age then is the copy's time); a table the run
// skips, finds not due or still copies from an earlier run is within when
// now − current as of is; a deferred table and one without a copy are not.
func (r *Result) sampleRun(f Fleet, states []tableState, jobs []copyJob, deferred map[int]bool, now time.Time, rpo time.Duration) {
	copied := map[int]copyJob{}
	for _, j := range jobs {
		copied[j.table] = j
	}
	for i, t := range f.Tables {
		if t.Unattainable(rpo) {
			continue
		}
		s := &states[i]
		r.ReportedSamples++
		var age time.Duration
		within := false
		switch j, ok := copied[i]; {
		case ok:
			age, within = j.end.Sub(j.start), !j.end.After(now.Add(rpo))
		case s.currentAsOf.IsZero():
			continue
		default:
			age = now.Sub(s.currentAsOf)
			within = !deferred[i] && age <= rpo
		}
		r.WorstReported = max(r.WorstReported, age)
		if within {
			r.ReportedWithin++
		}
	}
}

func (r *Result) sampleExposure(t Table, s *tableState, now time.Time, rpo time.Duration) {
	if t.Unattainable(rpo) {
		return
	}
	r.ExposureSamples++
	var data time.Time
	for _, j := range s.jobs[:s.applied] {
		data = maxTime(data, j.start)
	}
	k := sort.Search(len(t.Writes), func(k int) bool { return t.Writes[k].After(data) })
	exposure := time.Duration(0)
	if k < len(t.Writes) && !t.Writes[k].After(now) {
		exposure = now.Sub(t.Writes[k])
	}
	r.WorstExposure = max(r.WorstExposure, exposure)
	if exposure <= rpo {
		r.ExposureWithin++
	}
}

func index(f Fleet, table string) int {
	i, _ := slices.BinarySearchFunc(f.Tables, table, func(t Table, name string) int { return cmp.Compare(t.Name, name) })
	return i
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
