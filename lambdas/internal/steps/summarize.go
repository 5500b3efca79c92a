package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// Outcomes of a table, or of one destination of a table.
const (
	StatusSucceeded = "succeeded"
	StatusSkipped   = "skipped"
	StatusFailed    = "failed"
)

// UnmarshalJSON also reads a number, the output of a backup run's child
// execution, whose outcome is in the run ledger (an empty result); the
// string a failed or skipped table gives in a restore of many tables (see
// briefResult); and
// a child execution that failed outright, which a Distributed Map returns
// as Step Functions' record of it: {"ExecutionArn", "Input" (the child's
// input as a JSON string), "Status": "FAILED", "Error", "Cause", ...}
// ("ResultWriter (Map)",
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).
// Its table is read from its input.
func (r *TableResult) UnmarshalJSON(b []byte) error {
	var index int
	if json.Unmarshal(b, &index) == nil {
		// The output of a backup run's child execution: its item's index;
		// its outcome is in the run ledger.
		*r = TableResult{}
		return nil
	}
	var brief string
	if json.Unmarshal(b, &brief) == nil {
		name, status, errName := briefResult(brief)
		*r = TableResult{Table: name, Status: status, Error: errName}
		return nil
	}
	type plain TableResult
	var v struct {
		plain
		ExecutionArn string `json:"ExecutionArn"`
		Input        string `json:"Input"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = TableResult(v.plain)
	if v.ExecutionArn != "" {
		r.Status = StatusFailed
		r.Table, r.Target, r.index = childItem(v.Input)
	}
	return nil
}

// childItem reads the table (and a restore's target) from a child
// execution's input: the backup Map gives each child {"table"}, the restore
// Map {"item": {"table", "target"}}; a Map over the run ledger's items
// gives {"index"}, whose table is in the ledger.
func childItem(input string) (table, target string, index *int) {
	var in struct {
		Table string `json:"table"`
		Item  struct {
			Table  string `json:"table"`
			Target string `json:"target"`
		} `json:"item"`
		Index *int `json:"index"`
	}
	_ = json.Unmarshal([]byte(input), &in)
	switch {
	case in.Table != "":
		return in.Table, "", in.Index
	case in.Item.Table != "":
		return in.Item.Table, in.Item.Target, in.Index
	default:
		return "(unknown)", "", in.Index
	}
}

// SkipError is the one error the backup state machine skips a table or a
// copy on (BackUpSourceTable's and RestoreTemporaryTable's catchers), so a
// brief result leaves it out.
const SkipError = "TableInProgressElsewhere"

// briefResult reads the string a state machine gives for a failed
// or skipped table (or copy) in a run of more than 100 tables, where the
// results of 10,000 tables that all fail must fit a 256 KiB state:
// "name:Error" failed, "name" skipped (SkipError). Table and region names
// have no colon.
func briefResult(s string) (name, status, errName string) {
	if name, errName, ok := strings.Cut(s, ":"); ok {
		return name, StatusFailed, errName
	}
	return s, StatusSkipped, SkipError
}

// UnmarshalJSON also reads a copy's brief result (see briefResult).
func (d *DestinationResult) UnmarshalJSON(b []byte) error {
	var brief string
	if json.Unmarshal(b, &brief) == nil {
		d.Region, d.Status, d.Error = briefResult(brief)
		return nil
	}
	type plain DestinationResult
	return json.Unmarshal(b, (*plain)(d))
}

// DestinationResult is the outcome of copying one table to one region.
type DestinationResult struct {
	Region string `json:"region"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// TableResult is the result of one table's iteration. A table that failed
// or was skipped before its copies has a status, an error and a cause. A
// table that completed has no status: its destinations say whether each
// copy succeeded ({}), failed or was skipped. A child execution that failed
// outright arrives as Step Functions' record of it (see UnmarshalJSON), and
// decodes into its table, Error and Cause.
type TableResult struct {
	Table        string              `json:"table"`
	Status       string              `json:"status,omitempty"`
	Error        string              `json:"error,omitempty"` // the error name
	Cause        string              `json:"cause,omitempty"`
	Region       string              `json:"region,omitempty"` // the region that failed, when it was a copy
	Destinations []DestinationResult `json:"destinations,omitempty"`
	// Seconds is how long the table took; Bytes the size of its backup,
	// what each copy moves.
	Seconds int   `json:"seconds,omitempty"`
	Bytes   int64 `json:"bytes,omitempty"`

	// A restore's report: what was restored from which backup.
	Target           string    `json:"target,omitempty"`
	BackupArn        string    `json:"backupArn,omitempty"`
	BackupCreatedAt  time.Time `json:"backupCreatedAt,omitzero"`
	BackupAgeSeconds int64     `json:"backupAgeSeconds,omitempty"`
	// CurrentAsOf: a backup run proved the table unchanged after this
	// backup, up to then (copying by RPO skips unchanged tables).
	CurrentAsOf    time.Time `json:"currentAsOf,omitzero"`
	RestoreSeconds int       `json:"restoreSeconds,omitempty"`
	// ItemCount is the restored table's ItemCount from its last poll, and
	// ItemCountNote says how approximate it is; both are left out of the
	// results of a restore of more than 100 tables, to fit the state. A
	// pointer, so that a count of 0, what a just-restored table reports,
	// is kept.
	ItemCount       *int64   `json:"itemCount,omitempty"`
	ItemCountNote   string   `json:"itemCountNote,omitempty"`
	SettingsApplied []string `json:"settingsApplied,omitempty"`
	NoManifest      bool     `json:"noManifest,omitempty"`

	// index is the ledger item of a child execution that failed outright.
	index *int
}

// SummarizeInput folds the Map's results.
type SummarizeInput struct {
	RunID     string          `json:"runId"`
	StartedAt time.Time       `json:"startedAt"`
	Results   []TableResult   `json:"results"`
	Sweep     json.RawMessage `json:"sweep,omitempty"` // the sweep step's output, or its error
	// Detailed puts every table's result in the summary (a restore's
	// report); otherwise only failures and skips are listed.
	Detailed bool `json:"detailed,omitempty"`
	// Settings, for a backup run, price the copies in the cost projection.
	Settings *core.Settings `json:"settings,omitempty"`
	// Selected is how many tables the Map was given: a child execution that
	// ended without a result still counts as a failure.
	Selected int `json:"selected,omitempty"`
	// Items, when set, is how many run ledger items the Map was given: the
	// outcomes are then read from the run ledger, and Results only name the
	// child executions that failed outright (each other child's output is a
	// placeholder). An item with neither counts as a failure.
	Items int `json:"items,omitempty"`
	// Decided, for a run whose plan is in the run ledger, counts the plan's
	// decisions by kind; the decisions other than copies are read from the
	// ledger, and each table skipped counts as skipped.
	Decided map[string]int `json:"decided,omitempty"`
	// NotActive lists tables that were not backed up because of their
	// status; they count as skipped.
	NotActive []string `json:"notActive,omitempty"`
	// CatalogProblem, for a restore, says which backups came without their
	// settings, and why.
	CatalogProblem string `json:"catalogProblem,omitempty"`
}

// Summary is the run's outcome, and the execution's output, of either
// workflow: a restore's summary is Detailed, its report.
type Summary struct {
	RunID            string `json:"runId"`
	Tables           int    `json:"tables"`
	Succeeded        int    `json:"succeeded"`
	Skipped          int    `json:"skipped"`
	Failed           int    `json:"failed"`
	DurationSeconds  int    `json:"durationSeconds"`
	SlowestTable     string `json:"slowestTable,omitempty"`
	SlowestSeconds   int    `json:"slowestSeconds,omitempty"`
	MeanTableSeconds int    `json:"meanTableSeconds,omitempty"`
	// Failures, SkippedTables and Results list as many tables as fit a
	// state (maxListBytes, in that order of priority); the More* fields
	// count the rest, and the log has every failure and skip.
	Failures      []TableResult `json:"failures"`
	MoreFailures  int           `json:"moreFailures,omitempty"`
	SkippedTables []TableResult `json:"skippedTables,omitempty"`
	MoreSkipped   int           `json:"moreSkipped,omitempty"`
	Results       []TableResult `json:"results,omitempty"`
	MoreResults   int           `json:"moreResults,omitempty"`
	// Decided is the plan's decisions by kind.
	Decided map[string]int `json:"decided,omitempty"`
	// Status, in a dry run, is the status report: per table and
	// destination, its RPO, newest copy, data current as of, RPO age, and
	// what a run would do now and why (as many as fit; MoreStatus counts
	// the rest, which are in the run ledger's decision records).
	Status     []Decision `json:"status,omitempty"`
	MoreStatus int        `json:"moreStatus,omitempty"`
	// OverRPO names the tables, per destination, whose newest copy is
	// older than their RPO after this run, and Unattainable those whose copy
	// takes at least their RPO (each with its copy time and the smallest RPO
	// it can have), as many as fit; the More* fields count the rest.
	OverRPO          []Decision `json:"overRpo,omitempty"`
	MoreOverRPO      int        `json:"moreOverRpo,omitempty"`
	Unattainable     []Decision `json:"unattainable,omitempty"`
	MoreUnattainable int        `json:"moreUnattainable,omitempty"`
	// Cost projects this run's copies to a month at the configured
	// schedule and retention.
	Cost  *core.CostEstimate `json:"cost,omitempty"`
	Sweep json.RawMessage    `json:"sweep,omitempty"`
	// CatalogProblem is a restore plan's, passed on to its report.
	CatalogProblem string `json:"catalogProblem,omitempty"`
	// Cause is the failure list as one line of JSON, for the Fail state
	// that ends a run with failures.
	Cause string `json:"cause,omitempty"`
}

// Summarize folds per-table results into counts, durations and failures.
type Summarize struct {
	Now Clock
	// Ledger is the run ledger that Map items write their outcomes to.
	Ledger Ledger
	// Metrics receives a backup run's metrics, one line of CloudWatch's
	// embedded metric format each (core.EMFLines): in Lambda, standard
	// output, which CloudWatch Logs turns into metrics. nil: none.
	Metrics io.Writer
}

// maxCause bounds each failure's cause, so the summary of thousands of
// failures still fits a state payload.
const maxCause = 300

func (h *Summarize) Handle(ctx context.Context, in SummarizeInput) (Summary, error) {
	now := h.Now.now()
	s := Summary{RunID: in.RunID, Failures: []TableResult{}, Sweep: in.Sweep, CatalogProblem: in.CatalogProblem, Decided: in.Decided}
	if !in.StartedAt.IsZero() {
		s.DurationSeconds = int(now.Sub(in.StartedAt).Seconds())
	}
	results := slices.Clone(in.Results)
	if in.Items > 0 {
		var err error
		if results, err = h.fromLedger(ctx, in); err != nil {
			return Summary{}, err
		}
	}
	var plan []Decision
	if in.Decided != nil {
		var err error
		if plan, err = h.Ledger.planDecisions(ctx, in.RunID); err != nil {
			return Summary{}, err
		}
		results = append(results, planResults(plan)...)
	}
	for _, t := range in.NotActive {
		results = append(results, TableResult{Table: t, Status: StatusSkipped, Error: ReasonNotActive, Cause: skipCauses[ReasonNotActive]})
	}
	if missing := in.Selected - len(in.Results); missing > 0 {
		results = append(results, TableResult{Table: "(unknown)", Status: StatusFailed, Error: "MissingResults",
			Cause: fmt.Sprintf("%d of %d table executions ended without a result", missing, in.Selected)})
	}
	if sweepErr := sweepError(in.Sweep); sweepErr != nil {
		results = append(results, *sweepErr)
	}
	copies := map[CopyKey]CopyOutcome{}
	for _, r := range results {
		for _, d := range r.Destinations {
			// The source backup is taken once the run has started: its
			// start bounds the copy's data time from below.
			copies[CopyKey{r.Table, d.Region}] = CopyOutcome{Succeeded: d.Status == StatusSucceeded, Bytes: r.Bytes, DataTime: in.StartedAt}
		}
	}
	var total, timed int
	var copied int64
	for _, r := range results {
		r = fold(r)
		if !r.BackupCreatedAt.IsZero() {
			r.BackupAgeSeconds = age(now, r.BackupCreatedAt)
		}
		if in.Detailed {
			s.Results = append(s.Results, r)
		}
		s.Tables++
		switch r.Status {
		case StatusSucceeded:
			s.Succeeded++
			copied += r.Bytes
		case StatusSkipped:
			s.Skipped++
			s.SkippedTables = append(s.SkippedTables, r)
		default:
			s.Failed++
			s.Failures = append(s.Failures, r)
		}
		if r.Seconds > 0 {
			total += r.Seconds
			timed++
			if r.Seconds >= s.SlowestSeconds {
				s.SlowestTable, s.SlowestSeconds = r.Table, r.Seconds
			}
		}
	}
	if timed > 0 {
		s.MeanTableSeconds = total / timed
	}
	if st := in.Settings; st != nil {
		c := core.EstimateCost(copied, len(st.DestinationRegions), st.RunsPerDay, core.Retention{Days: st.RetentionDays, KeepLast: st.KeepLast})
		s.Cost = &c
	}
	slices.SortFunc(s.Failures, func(a, b TableResult) int { return strings.Compare(a.Table, b.Table) })
	for _, f := range s.Failures {
		slog.WarnContext(ctx, "table failed", "runId", in.RunID, "table", f.Table, "region", f.Region, "error", f.Error, "cause", f.Cause)
	}
	for _, k := range s.SkippedTables {
		slog.InfoContext(ctx, "table skipped", "runId", in.RunID, "table", k.Table, "region", k.Region, "error", k.Error)
	}
	if st := in.Settings; st != nil && plan != nil {
		if st.DryRun {
			s.Status = slices.DeleteFunc(slices.Clone(plan), func(d Decision) bool { return d.RPO == nil })
		} else if err := h.emitMetrics(st.DestinationRegions, plan, copies, now); err != nil {
			return Summary{}, err
		}
		for _, d := range plan {
			if d.RPO == nil {
				continue
			}
			if d.RPO.Unattainable {
				s.Unattainable = append(s.Unattainable, d)
			}
			copied := d.Decision == string(core.DecisionCopy) && copies[CopyKey{d.Table, d.Region}].Succeeded
			if d.RPO.OverRPO && !copied && !st.DryRun {
				s.OverRPO = append(s.OverRPO, d)
			}
		}
	}
	budget := maxListBytes
	s.Failures, s.MoreFailures = fitList(s.Failures, &budget)
	s.SkippedTables, s.MoreSkipped = fitList(s.SkippedTables, &budget)
	s.Results, s.MoreResults = fitList(s.Results, &budget)
	s.OverRPO, s.MoreOverRPO = fitList(s.OverRPO, &budget)
	s.Unattainable, s.MoreUnattainable = fitList(s.Unattainable, &budget)
	s.Status, s.MoreStatus = fitList(s.Status, &budget)
	if s.Failed > 0 {
		s.Cause = failureCause(s)
	}
	slog.InfoContext(ctx, "run summary", "runId", in.RunID, "tables", s.Tables, "succeeded", s.Succeeded,
		"skipped", s.Skipped, "failed", s.Failed, "durationSeconds", s.DurationSeconds)
	return s, nil
}

// fromLedger reads the outcomes of a run's Map items from the run ledger,
// with the child executions that failed outright (in.Results) in place of
// theirs, and a failure for each item that has neither.
func (h *Summarize) fromLedger(ctx context.Context, in SummarizeInput) ([]TableResult, error) {
	outcomes, err := h.Ledger.readOutcomes(ctx, in.RunID)
	if err != nil {
		return nil, err
	}
	for _, r := range in.Results {
		if r.index != nil {
			failed := r
			outcomes[*r.index] = &failed
		}
	}
	var tables map[int]string
	results := make([]TableResult, 0, in.Items)
	for i := range in.Items {
		r, ok := outcomes[i]
		if ok && r.Table != "" && r.Table != "(unknown)" {
			results = append(results, *r)
			continue
		}
		if tables == nil {
			if tables, err = h.Ledger.itemTables(ctx, in.RunID); err != nil {
				return nil, err
			}
		}
		if ok {
			r.Table = tables[i]
			results = append(results, *r)
			continue
		}
		results = append(results, TableResult{Table: tables[i], Status: StatusFailed, Error: "MissingResults",
			Cause: fmt.Sprintf("item %d of run %s ended without an outcome", i, in.RunID)})
	}
	return results, nil
}

// maxListBytes bounds the JSON of the tables a summary lists, so that with
// its Fail state cause (maxCauseList) and the rest it fits a state's 256 KiB
// ("Step Functions service quotas",
// https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
const maxListBytes = 192 << 10

// emitMetrics writes the run's metrics per destination region, and the
// heartbeat, from the plan's RPO decisions and the copies' outcomes.
func (h *Summarize) emitMetrics(destinations []string, plan []Decision, copies map[CopyKey]CopyOutcome, now time.Time) error {
	if h.Metrics == nil {
		return nil
	}
	var decisions []core.Decision
	for _, d := range plan {
		if d.RPO != nil {
			decisions = append(decisions, *d.RPO)
		}
	}
	lines, err := core.EMFLines(now, RunMetrics(destinations, decisions, copies, now))
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(h.Metrics, "%s\n", l); err != nil {
			return fmt.Errorf("write the run metrics: %w", err)
		}
	}
	return nil
}

// fitList keeps the head of list that fits what is left of budget, and
// says how many it left out.
func fitList[T any](list []T, budget *int) ([]T, int) {
	for i, r := range list {
		b, _ := json.Marshal(r)
		if len(b)+1 > *budget {
			return list[:i:i], len(list) - i
		}
		*budget -= len(b) + 1
	}
	return list, 0
}

// maxCauseList bounds the failure list in a Fail state's cause (which
// Step Functions caps at 32,768 characters); the summary keeps them all.
const maxCauseList = 24 << 10

// failureCause is the cause of a failed run: how many failed, and as many
// failures as fit.
func failureCause(s Summary) string {
	type cause struct {
		Message  string        `json:"message"`
		Failures []TableResult `json:"failures"`
		More     int           `json:"more,omitempty"`
	}
	c := cause{Message: fmt.Sprintf("%d of %d tables failed", s.Failed, s.Tables)}
	size := 0
	for _, f := range s.Failures {
		b, _ := json.Marshal(f)
		if size += len(b) + 1; size > maxCauseList {
			break
		}
		c.Failures = append(c.Failures, f)
	}
	c.More = s.Failed - len(c.Failures)
	b, _ := json.Marshal(c)
	return string(b)
}

// sweepError turns a failed sweep (its caught error in place of its
// output) into a failure of the run: orphans that are never swept would
// otherwise go unnoticed.
func sweepError(raw json.RawMessage) *TableResult {
	var e struct{ Error, Cause string }
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		return nil
	}
	return &TableResult{Table: "(sweep)", Status: StatusFailed, Error: e.Error, Cause: e.Cause}
}

// fold decides a table's outcome: a table that completed succeeded unless
// a destination failed (then it failed) or was skipped (then it is
// skipped); the first such destination's error becomes the table's.
func fold(r TableResult) TableResult {
	switch {
	case r.Status == "" && r.Error != "":
		r.Status = StatusFailed // a child execution's own error
	case r.Status == "":
		r.Status = StatusSucceeded
		for _, want := range []string{StatusFailed, StatusSkipped} {
			if i := slices.IndexFunc(r.Destinations, func(d DestinationResult) bool { return d.Status == want }); i >= 0 {
				d := r.Destinations[i]
				r.Status, r.Error, r.Cause, r.Region = want, d.Error, d.Cause, d.Region
				break
			}
		}
	case r.Status != StatusSucceeded && r.Status != StatusSkipped && r.Status != StatusFailed:
		r.Cause = strings.TrimSpace(fmt.Sprintf("unexpected result status %q. %s", r.Status, r.Cause))
		r.Status = StatusFailed
	}
	r.Cause = lambdaMessage(r.Cause)
	if len(r.Cause) > maxCause {
		// Keep both ends: the context leads, the underlying error ends it.
		half := maxCause / 2
		r.Cause = strings.ToValidUTF8(r.Cause[:half]+" ... "+r.Cause[len(r.Cause)-half:], "")
	}
	r.Destinations = nil
	return r
}

// lambdaMessage extracts errorMessage from a Lambda error cause
// ({"errorMessage": ..., "errorType": ...}); other causes pass unchanged.
func lambdaMessage(cause string) string {
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		return lambdaErr.ErrorMessage
	}
	return cause
}

// age is how long before now a backup was taken, in whole seconds.
func age(now, taken time.Time) int64 { return int64(now.Sub(taken).Seconds()) }
