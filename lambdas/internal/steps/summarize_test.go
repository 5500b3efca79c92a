package steps

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	started := t0.Add(-2 * time.Hour)
	timed := func(table, status string, from, to time.Duration) TableResult {
		return TableResult{Table: table, Status: status, StartedAt: started.Add(from), FinishedAt: started.Add(to)}
	}
	long := strings.Repeat("x", 1000)
	failed := func(table, errName, cause string) TableResult {
		return TableResult{Table: table, Status: StatusFailed, Error: errName, Cause: cause}
	}
	results := []TableResult{
		timed("orders", StatusSucceeded, 0, 10*time.Minute),
		timed("payments", StatusSucceeded, time.Minute, 91*time.Minute), // the slowest: 90 minutes
		timed("users", StatusSucceeded, 0, 20*time.Minute),
		{Table: "carts", Status: StatusSkipped, Error: "TableInProgressElsewhere"},
		failed("zebra", "PollTimedOut", `{"errorMessage":"table xrb-tmp.x in eu-west-1 still CREATING","errorType":"PollTimedOut"}`),
		failed("audit", "QuotaExceeded", long),
		{Table: "middle", Status: "exploded", Cause: "boom"},
		{Table: "blank"},
		{Table: "copyfail", Status: StatusSucceeded, Destinations: []DestinationResult{
			{Region: dst, Status: StatusSucceeded},
			{Region: dst2, Status: StatusFailed, Error: "ResourceFailed", Cause: "table ended in DELETING"},
		}},
		{Table: "copyskip", Status: StatusSucceeded, Destinations: []DestinationResult{
			{Region: dst, Status: StatusSkipped, Error: "TableInProgressElsewhere"},
			{Region: dst2, Status: StatusSucceeded},
		}},
	}

	s, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), SummarizeInput{RunID: run1, StartedAt: started, Results: results})
	if err != nil {
		t.Fatal(err)
	}

	if s.RunID != run1 || s.Tables != 10 || s.Succeeded != 3 || s.Skipped != 2 || s.Failed != 5 {
		t.Errorf("counts: tables %d, succeeded %d, skipped %d, failed %d; want 10, 3, 2, 5", s.Tables, s.Succeeded, s.Skipped, s.Failed)
	}
	if s.DurationSeconds != 7200 || s.SlowestTable != "payments" || s.SlowestSeconds != 5400 || s.MeanTableSeconds != 2400 {
		t.Errorf("durations: total %d, slowest %s %d, mean %d; want 7200, payments 5400, 2400",
			s.DurationSeconds, s.SlowestTable, s.SlowestSeconds, s.MeanTableSeconds)
	}
	var order []string
	byTable := map[string]TableResult{}
	for _, f := range s.Failures {
		order = append(order, f.Table)
		byTable[f.Table] = f
		if f.Status != StatusFailed {
			t.Errorf("failure %s has status %q", f.Table, f.Status)
		}
		if len(f.Cause) > maxCause+len(" ... ") {
			t.Errorf("cause of %s is %d bytes long", f.Table, len(f.Cause))
		}
	}
	if got := strings.Join(order, ","); got != "audit,blank,copyfail,middle,zebra" {
		t.Errorf("failures in order %s, want sorted by table", got)
	}
	if c := byTable["audit"].Cause; c != long[:maxCause/2]+" ... "+long[len(long)-maxCause/2:] || byTable["audit"].Error != "QuotaExceeded" {
		t.Errorf("long cause = %q, want its first and last %d bytes", c, maxCause/2)
	}
	if c := byTable["zebra"].Cause; c != "table xrb-tmp.x in eu-west-1 still CREATING" {
		t.Errorf("Lambda error cause = %q, want its errorMessage", c)
	}
	if c := byTable["middle"].Cause; !strings.Contains(c, "exploded") || !strings.Contains(c, "boom") {
		t.Errorf("unknown status cause = %q, want it to name the status and keep the cause", c)
	}
	if c := byTable["blank"].Cause; !strings.Contains(c, "unexpected result status") {
		t.Errorf("empty status cause = %q", c)
	}
	if f := byTable["copyfail"]; f.Region != dst2 || f.Error != "ResourceFailed" || f.Destinations != nil {
		t.Errorf("failed copy = %+v, want the failing region's error", f)
	}
	if len(s.SkippedTables) != 2 || s.SkippedTables[0].Table != "carts" || s.SkippedTables[1].Region != dst {
		t.Errorf("skipped = %+v", s.SkippedTables)
	}
	var cause struct {
		Message  string        `json:"message"`
		Failures []TableResult `json:"failures"`
	}
	if err := json.Unmarshal([]byte(s.Cause), &cause); err != nil || len(cause.Failures) != 5 || !strings.Contains(cause.Message, "5 of 10") {
		t.Errorf("Cause = %s (%v), want the failure list as JSON", s.Cause, err)
	}
	// The input is not modified.
	if results[5].Cause != long || results[6].Status != "exploded" || results[8].Status != StatusSucceeded {
		t.Error("Summarize changed its input")
	}
}

func TestSummarizeNoResults(t *testing.T) {
	s, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), SummarizeInput{RunID: run1})
	if err != nil {
		t.Fatal(err)
	}
	if s.Tables != 0 || s.Failed != 0 || s.DurationSeconds != 0 || s.SlowestTable != "" || s.MeanTableSeconds != 0 || s.Cause != "" {
		t.Errorf("summary = %+v", s)
	}
	// An alarm reads failures as a JSON array, never null.
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"failures":[]`) {
		t.Errorf("JSON = %s, want an empty failures array", b)
	}
}
