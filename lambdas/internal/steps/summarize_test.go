package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestSummarize(t *testing.T) {
	started := t0.Add(-2 * time.Hour)
	// A completed table, as the state machine's TableDone makes it.
	timed := func(table string, d time.Duration) TableResult {
		return TableResult{Table: table, Seconds: int(d.Seconds()), Bytes: 1 << 30}
	}
	long := strings.Repeat("x", 1000)
	failed := func(table, errName, cause string) TableResult {
		return TableResult{Table: table, Status: StatusFailed, Error: errName, Cause: cause}
	}
	results := []TableResult{
		timed("orders", 10*time.Minute),
		timed("payments", 90*time.Minute), // the slowest
		timed("users", 20*time.Minute),
		{Table: "carts", Status: StatusSkipped, Error: "TableInProgressElsewhere"},
		failed("zebra", "PollTimedOut", `{"errorMessage":"table xrb-tmp.x in eu-west-1 still CREATING","errorType":"PollTimedOut"}`),
		failed("audit", "QuotaExceeded", long),
		{Table: "middle", Status: "exploded", Cause: "boom"},
		{Error: "States.Timeout", Cause: "the child execution timed out"}, // a failed child, as its error
		{Table: "copyfail", Destinations: []DestinationResult{
			{Region: dst2, Status: StatusFailed, Error: "ResourceFailed", Cause: "table ended in DELETING"},
		}},
		{Table: "copyskip", Destinations: []DestinationResult{
			{Region: dst, Status: StatusSkipped, Error: "TableInProgressElsewhere"},
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
	if got := strings.Join(order, ","); got != ",audit,copyfail,middle,zebra" {
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
	if f := byTable[""]; f.Error != "States.Timeout" || f.Cause != "the child execution timed out" {
		t.Errorf("failed child = %+v, want its error", f)
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
	if results[5].Cause != long || results[6].Status != "exploded" || len(results[8].Destinations) != 1 {
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

// TestSummarizeCountsWhatHasNoResult: tables not backed up because of
// their status are skipped, executions that left no result and a failed
// sweep are failures, so none of them can pass unseen.
func TestSummarizeCountsWhatHasNoResult(t *testing.T) {
	in := SummarizeInput{
		RunID: run1, Selected: 3, Results: []TableResult{{Table: "orders"}, {Table: "users"}},
		NotActive: []string{"archived"},
		Sweep:     json.RawMessage(`{"Error":"Throttled","Cause":"ListTables in eu-west-1 was throttled"}`),
	}
	s, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tables != 5 || s.Succeeded != 2 || s.Skipped != 1 || s.Failed != 2 {
		t.Fatalf("counts %d/%d/%d/%d, want 5 tables: 2 succeeded, 1 skipped, 2 failed", s.Tables, s.Succeeded, s.Skipped, s.Failed)
	}
	if s.Failures[0].Table != "(sweep)" || s.Failures[0].Error != "Throttled" || s.Failures[1].Error != "MissingResults" {
		t.Errorf("failures = %+v", s.Failures)
	}
	if s.SkippedTables[0].Table != "archived" || s.SkippedTables[0].Error != "TableNotActive" {
		t.Errorf("skipped = %+v", s.SkippedTables)
	}
}

// TestSummarizeCauseFitsAFailState: with thousands of failures the summary
// counts every one and lists as many as fit a state, and the Fail state's
// cause lists as many as fit it.
func TestSummarizeCauseFitsAFailState(t *testing.T) {
	var results []TableResult
	for i := range 3000 {
		results = append(results, TableResult{Table: fmt.Sprintf("table-%04d", i), Status: StatusFailed, Error: "QuotaExceeded", Cause: strings.Repeat("c", 250)})
	}
	s, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), SummarizeInput{RunID: run1, Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if s.Failed != 3000 || len(s.Failures)+s.MoreFailures != 3000 || s.MoreFailures == 0 || len(s.Cause) > 32768 || !strings.Contains(s.Cause, `"more":`) {
		t.Errorf("%d failed, %d listed and %d more, cause of %d characters; want 3000 counted, all listed or counted, and a cause under 32768 that says how many more",
			s.Failed, len(s.Failures), s.MoreFailures, len(s.Cause))
	}
	if size := jsonSize(t, s); size > maxPayload {
		t.Errorf("the summary is %d bytes, over the %d-byte state limit", size, maxPayload)
	}
}

// TestSummarizeTenThousandBriefFailures: 10,000 tables that all failed, as
// a restore of that many gives them ("table:Error"), or were skipped
// ("table"), or whose copies failed or were skipped, as a backup run's
// outcomes in the run ledger say, are each counted, and the summary fits a
// state.
func TestSummarizeTenThousandBriefFailures(t *testing.T) {
	for _, tt := range []struct {
		name, result        string
		failed, skipped     int
		wantStatus, wantErr string
	}{
		{"failed", `"t%04d:TableNotFound"`, 10000, 0, StatusFailed, "TableNotFound"},
		{"skipped", `"t%04d"`, 0, 10000, StatusSkipped, SkipError},
		{"copy failed", `{"region":"eu-west-1","status":"failed","error":"QuotaExceeded","table":"t%04d"}`, 10000, 0, StatusFailed, "QuotaExceeded"},
		{"copy skipped", `{"region":"eu-west-1","status":"skipped","error":"TableInProgressElsewhere","table":"t%04d"}`, 0, 10000, StatusSkipped, SkipError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parts := make([]string, 10000)
			db := newMemLedger()
			inLedger := strings.HasPrefix(tt.result, "{")
			for i := range parts {
				parts[i] = fmt.Sprintf(tt.result, i)
				if inLedger {
					// A child's output is its index; its outcome is in the ledger.
					parts[i] = fmt.Sprint(i)
					_ = db.PutLedger(t.Context(), "", core.LedgerRun("r"), []core.LedgerRecord{
						{Key: core.LedgerItemKey(i), Data: json.RawMessage(fmt.Sprintf(`{"table":"t%04d"}`, i))},
						{Key: core.LedgerOutcomeKey(i, ""), Data: json.RawMessage(fmt.Sprintf(`{"table":"t%04d","seconds":1,"bytes":1}`, i))},
						{Key: core.LedgerOutcomeKey(i, "eu-west-1"), Data: json.RawMessage(fmt.Sprintf(tt.result, i))},
					}, t0)
				}
			}
			items := ""
			if inLedger {
				items = `"items":10000,`
			}
			var in SummarizeInput
			if err := json.Unmarshal([]byte(`{"runId":"r",`+items+`"results":[`+strings.Join(parts, ",")+`]}`), &in); err != nil {
				t.Fatal(err)
			}
			s, err := (&Summarize{Now: fixedClock(t0), Ledger: Ledger{Table: "ledger", DB: db}}).Handle(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if s.Tables != 10000 || s.Failed != tt.failed || s.Skipped != tt.skipped {
				t.Fatalf("counts: %d tables, %d failed, %d skipped; want 10000, %d, %d", s.Tables, s.Failed, s.Skipped, tt.failed, tt.skipped)
			}
			listed := append(slices.Clone(s.Failures), s.SkippedTables...)
			if len(listed) == 0 || listed[0].Table != "t0000" || listed[0].Status != tt.wantStatus || listed[0].Error != tt.wantErr {
				t.Errorf("first listed = %+v, want t0000 %s with %s", listed, tt.wantStatus, tt.wantErr)
			}
			if len(listed)+s.MoreFailures+s.MoreSkipped != 10000 {
				t.Errorf("%d listed and %d+%d more, want 10000", len(listed), s.MoreFailures, s.MoreSkipped)
			}
			if size := jsonSize(t, s); size > maxPayload {
				t.Errorf("the summary is %d bytes, over the %d-byte state limit", size, maxPayload)
			}
		})
	}
}

func TestSummarizeDetailedRestoreReport(t *testing.T) {
	taken := t0.Add(-26*time.Hour - 30*time.Second)
	// Two results as the restore state machine's Pass states emit them.
	raw := `{"runId":"restore-1","startedAt":"2025-06-01T11:00:00Z","detailed":true,"results":[
		{"table":"orders","status":"succeeded","target":"orders-restored","backupArn":"arn:b1",
		 "backupCreatedAt":"` + taken.Format(time.RFC3339) + `","restoreSeconds":1800,"itemCount":12345,
		 "itemCountNote":"approximate","settingsApplied":["tags","ttl","billing"],"noManifest":false},
		{"table":"users","status":"succeeded","target":"users","backupArn":"arn:b2",
		 "backupCreatedAt":"2025-06-01T11:59:00Z","restoreSeconds":60,"itemCount":0,"settingsApplied":[],"noManifest":true},
		{"table":"carts","status":"failed","target":"carts","backupArn":"arn:b3","error":"TableNotOwned","cause":"table carts in eu-west-1 is not owned"}
	]}`
	var in SummarizeInput
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}

	s, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}

	if s.Tables != 3 || s.Succeeded != 2 || s.Failed != 1 || s.DurationSeconds != 3600 || len(s.Results) != 3 {
		t.Fatalf("summary = %+v", s)
	}
	orders, users, carts := s.Results[0], s.Results[1], s.Results[2]
	if orders.BackupAgeSeconds != 26*3600+30 {
		t.Errorf("orders backup age = %d s, want %d", orders.BackupAgeSeconds, 26*3600+30)
	}
	if orders.Target != "orders-restored" || orders.BackupArn != "arn:b1" || !orders.BackupCreatedAt.Equal(taken) ||
		orders.RestoreSeconds != 1800 || orders.ItemCount == nil || *orders.ItemCount != 12345 || orders.ItemCountNote != "approximate" || !slices.Equal(orders.SettingsApplied, []string{"tags", "ttl", "billing"}) || orders.NoManifest {
		t.Errorf("orders = %+v", orders)
	}
	if users.BackupAgeSeconds != 60 || !users.NoManifest || users.Target != "users" || users.ItemCount == nil || *users.ItemCount != 0 {
		t.Errorf("users = %+v", users)
	}
	// A just-restored table's count is 0: the report keeps it.
	if b, err := json.Marshal(users); err != nil || !strings.Contains(string(b), `"itemCount":0`) {
		t.Errorf("users in the report = %s, %v; want its itemCount of 0", b, err)
	}
	if carts.Status != StatusFailed || carts.Error != "TableNotOwned" || carts.BackupAgeSeconds != 0 || carts.Target != "carts" {
		t.Errorf("carts = %+v", carts)
	}
	if len(s.Failures) != 1 || s.Failures[0].Table != "carts" || s.Cause == "" {
		t.Errorf("failures = %+v, cause %q", s.Failures, s.Cause)
	}

	// The age follows the clock.
	later, err := (&Summarize{Now: fixedClock(t0.Add(time.Hour))}).Handle(context.Background(), in)
	if err != nil || later.Results[0].BackupAgeSeconds != 27*3600+30 {
		t.Errorf("an hour later: age = %d, %v", later.Results[0].BackupAgeSeconds, err)
	}

	// Without Detailed, a backup run's summary lists only failures.
	in.Detailed = false
	brief, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), in)
	if err != nil || brief.Results != nil || len(brief.Failures) != 1 {
		t.Errorf("not detailed: results %+v, failures %+v, %v", brief.Results, brief.Failures, err)
	}
	b, _ := json.Marshal(brief)
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(b, &keys)
	if _, ok := keys["results"]; ok {
		t.Errorf("not detailed: JSON has results: %s", b)
	}
}

// TestSummarizeNamesAChildThatFailedOutright: a Distributed Map returns a
// child execution that failed outright (an error its iteration did not
// catch) as Step Functions' record of it; the table comes from its Input.
func TestSummarizeNamesAChildThatFailedOutright(t *testing.T) {
	record := func(input string) string {
		in, _ := json.Marshal(input)
		return `{"ExecutionArn":"arn:aws:states:eu-west-1:123456789012:execution:backup/BackUpTables:6f0c","Input":` + string(in) + `,
			"InputDetails":{"Included":true},"Name":"6f0c","StartDate":"2025-06-01T11:00:00Z","StopDate":"2025-06-01T11:01:00Z",
			"StateMachineArn":"arn:aws:states:eu-west-1:123456789012:stateMachine:backup/BackUpTables","Status":"FAILED",
			"Error":"States.Runtime","Cause":"the execution history reached 25001 events"}`
	}
	tests := []struct {
		name, input, table, target string
	}{
		{"backup child", `{"table":"orders","settings":{"sourceRegion":"eu-west-1"},"runId":"r"}`, "orders", ""},
		{"restore child", `{"item":{"table":"users","target":"users-dr"},"targetRegion":"eu-west-1"}`, "users", "users-dr"},
		{"unreadable input", `not json`, "(unknown)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in SummarizeInput
			if err := json.Unmarshal([]byte(`{"runId":"r","results":[`+record(tt.input)+`,{"t":"fine","s":1,"b":1,"d":[{}]}]}`), &in); err != nil {
				t.Fatal(err)
			}
			s, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if s.Tables != 2 || s.Failed != 1 || s.Succeeded != 1 {
				t.Fatalf("counts: %d tables, %d failed, %d succeeded; want 2, 1, 1", s.Tables, s.Failed, s.Succeeded)
			}
			f := s.Failures[0]
			if f.Table != tt.table || f.Target != tt.target || f.Status != StatusFailed || f.Error != "States.Runtime" || f.Cause != "the execution history reached 25001 events" {
				t.Errorf("failure = %+v, want table %q, target %q and the child's error", f, tt.table, tt.target)
			}
		})
	}
}
