package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/core"
)

// Outcomes of a table, or of one destination of a table.
const (
	StatusSucceeded = "succeeded"
	StatusSkipped   = "skipped"
	StatusFailed    = "failed"
)

// DestinationResult is the outcome of copying one table to one region.
type DestinationResult struct {
	Region string `json:"region"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// TableResult is the compact result of one table's iteration. Status is the
// table-level outcome (a failure before the copies, or their success);
// Destinations holds each region's outcome.
type TableResult struct {
	Table        string              `json:"table"`
	Status       string              `json:"status"`
	Error        string              `json:"error,omitempty"` // the error name
	Cause        string              `json:"cause,omitempty"`
	Region       string              `json:"region,omitempty"` // the region that failed, when it was a copy
	Destinations []DestinationResult `json:"destinations,omitempty"`
	StartedAt    time.Time           `json:"startedAt,omitzero"`
	FinishedAt   time.Time           `json:"finishedAt,omitzero"`
	// SizeBytes is the size of the table's backup: what each copy moves.
	SizeBytes int64 `json:"sizeBytes,omitempty"`

	// A restore's report: what was restored from which backup.
	Target           string    `json:"target,omitempty"`
	BackupArn        string    `json:"backupArn,omitempty"`
	BackupCreatedAt  time.Time `json:"backupCreatedAt,omitzero"`
	BackupAgeSeconds int64     `json:"backupAgeSeconds,omitempty"`
	RestoreSeconds   int       `json:"restoreSeconds,omitempty"`
	ItemCount        int64     `json:"itemCount,omitempty"`
	SettingsApplied  []string  `json:"settingsApplied,omitempty"`
	NoManifest       bool      `json:"noManifest,omitempty"`
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
}

// Summary is the run's outcome, and the execution's output.
type Summary struct {
	RunID            string        `json:"runId"`
	Tables           int           `json:"tables"`
	Succeeded        int           `json:"succeeded"`
	Skipped          int           `json:"skipped"`
	Failed           int           `json:"failed"`
	DurationSeconds  int           `json:"durationSeconds"`
	SlowestTable     string        `json:"slowestTable,omitempty"`
	SlowestSeconds   int           `json:"slowestSeconds,omitempty"`
	MeanTableSeconds int           `json:"meanTableSeconds,omitempty"`
	Failures         []TableResult `json:"failures"`
	SkippedTables    []TableResult `json:"skippedTables,omitempty"`
	Results          []TableResult `json:"results,omitempty"`
	// Cost projects this run's copies to a month at the configured
	// schedule and retention.
	Cost  *core.CostEstimate `json:"cost,omitempty"`
	Sweep json.RawMessage    `json:"sweep,omitempty"`
	// Cause is the failure list as one line of JSON, for the Fail state
	// that ends a run with failures.
	Cause string `json:"cause,omitempty"`
}

// Summarize folds per-table results into counts, durations and failures.
type Summarize struct {
	Now Clock
}

// maxCause bounds each failure's cause, so the summary of thousands of
// failures still fits a state payload.
const maxCause = 300

func (h *Summarize) Handle(ctx context.Context, in SummarizeInput) (Summary, error) {
	s := Summary{RunID: in.RunID, Tables: len(in.Results), Failures: []TableResult{}, Sweep: in.Sweep}
	if !in.StartedAt.IsZero() {
		s.DurationSeconds = int(h.Now.now().Sub(in.StartedAt).Seconds())
	}
	var total time.Duration
	var copied int64
	timed := 0
	now := h.Now.now()
	for _, r := range in.Results {
		r = fold(r)
		if !r.BackupCreatedAt.IsZero() {
			r.BackupAgeSeconds = age(now, r.BackupCreatedAt)
		}
		if in.Detailed {
			s.Results = append(s.Results, r)
		}
		switch r.Status {
		case StatusSucceeded:
			s.Succeeded++
			copied += r.SizeBytes
		case StatusSkipped:
			s.Skipped++
			s.SkippedTables = append(s.SkippedTables, r)
		default:
			s.Failed++
			s.Failures = append(s.Failures, r)
		}
		if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
			d := r.FinishedAt.Sub(r.StartedAt)
			total += d
			timed++
			if secs := int(d.Seconds()); secs >= s.SlowestSeconds {
				s.SlowestTable, s.SlowestSeconds = r.Table, secs
			}
		}
	}
	if timed > 0 {
		s.MeanTableSeconds = int((total / time.Duration(timed)).Seconds())
	}
	if st := in.Settings; st != nil {
		c := core.EstimateCost(copied, len(st.DestinationRegions), st.RunsPerDay, core.Retention{Days: st.RetentionDays, KeepLast: st.KeepLast})
		s.Cost = &c
	}
	slices.SortFunc(s.Failures, func(a, b TableResult) int { return strings.Compare(a.Table, b.Table) })
	if s.Failed > 0 {
		cause, _ := json.Marshal(struct {
			Message  string        `json:"message"`
			Failures []TableResult `json:"failures"`
		}{fmt.Sprintf("%d of %d tables failed", s.Failed, s.Tables), s.Failures})
		s.Cause = string(cause)
	}
	slog.InfoContext(ctx, "run summary", "runId", in.RunID, "tables", s.Tables, "succeeded", s.Succeeded,
		"skipped", s.Skipped, "failed", s.Failed, "durationSeconds", s.DurationSeconds)
	return s, nil
}

// fold decides a table's outcome from its own status and its destinations':
// any failure fails the table; otherwise any skip skips it. The first
// failing (or skipped) destination's error becomes the table's.
func fold(r TableResult) TableResult {
	switch r.Status {
	case StatusSucceeded, StatusSkipped, StatusFailed:
	default:
		r.Cause = strings.TrimSpace(fmt.Sprintf("unexpected result status %q. %s", r.Status, r.Cause))
		r.Status = StatusFailed
	}
	if r.Status == StatusSucceeded {
		for _, want := range []string{StatusFailed, StatusSkipped} {
			if i := slices.IndexFunc(r.Destinations, func(d DestinationResult) bool { return d.Status == want }); i >= 0 {
				d := r.Destinations[i]
				r.Status, r.Error, r.Cause, r.Region = want, d.Error, d.Cause, d.Region
				break
			}
		}
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
