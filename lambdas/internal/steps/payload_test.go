package steps

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// maxPayload is Step Functions' limit on a state's input or output.
const maxPayload = 256 << 10

// TestPayloadFor2500Tables checks that the backup state machine's largest
// states fit the 256 KiB limit with 2,500 tables whose names average 40
// characters, copied to two regions: the list the Map fans out over, and the
// Map's results (TableDone's shape, read from the ASL) that replace it.
func TestPayloadFor2500Tables(t *testing.T) {
	const tables = 2500
	settings := core.Settings{
		SourceRegion: "ap-southeast-2", DestinationRegions: []string{"ap-southeast-1", "us-west-2"}, RetentionDays: 7, KeepLast: 3,
		Include: []string{"*"}, Exclude: []string{}, KMSKeyID: "alias/dr-backups", MaxConcurrency: 10, SweepAfterHours: 36,
		PollLimitMinutes: 720, CatalogTable: core.DefaultCatalogTable, RunsPerDay: 24,
	}
	// The listing's output holds counts, not the tables (they are in the
	// run ledger): TestListTablesOutputStaysSmall.
	listed := ListTablesOutput{RunID: strings.Repeat("r", 80), StartedAt: time.Now(), Settings: settings, Done: true, Listed: tables, Considered: tables}
	names := make([]string, tables)
	for i := range names {
		names[i] = fmt.Sprintf("team-%02d-service-%04d-events-by-day-%04d", i%100, i, i) // 40 characters
	}

	// The Map's results replace the table list: one TableDone per table.
	done := tableDoneFields(t)
	state := map[string]any{}
	b, _ := json.Marshal(listed)
	_ = json.Unmarshal(b, &state)
	results := make([]map[string]any, tables)
	for i, name := range names {
		r := map[string]any{}
		for _, field := range done {
			switch field {
			case "t":
				r[field] = name
			case "d":
				r[field] = []map[string]any{{}, {}} // two copies that succeeded
			default:
				r[field] = 123456789012 // seconds and bytes, generously large
			}
		}
		results[i] = r
	}
	state["tables"] = results
	state["sweep"] = SweepOutput{Deleted: []SweptTable{}, Adopted: []SweptTable{}}
	size := jsonSize(t, state)
	t.Logf("Map output for %d tables: %d bytes (%.0f%% of the limit)", tables, size, 100*float64(size)/maxPayload)
	if size > maxPayload {
		t.Errorf("the Map's output for %d tables is %d bytes, over %d", tables, size, maxPayload)
	}
}

// tableDoneFields reads the fields of the TableDone state's result.
func tableDoneFields(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "statemachine", "backup.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		States map[string]struct {
			ItemProcessor struct {
				States map[string]struct {
					Parameters map[string]any
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	params := def.States["BackUpTables"].ItemProcessor.States["TableDone"].Parameters
	if len(params) == 0 {
		t.Fatal("no TableDone state in BackUpTables")
	}
	var fields []string
	for k := range params {
		fields = append(fields, strings.TrimSuffix(k, ".$"))
	}
	return fields
}

func jsonSize(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// TestSummarizeReadsTableDone decodes TableDone's compact shape as the
// state machine passes it to Summarize.
func TestSummarizeReadsTableDone(t *testing.T) {
	var in SummarizeInput
	raw := `{"runId":"r","results":[
		{"t":"orders","s":120,"b":1073741824,"d":[{},{}]},
		{"t":"users","s":60,"b":10,"d":[{},{"region":"us-west-2","status":"failed","error":"PollTimedOut","cause":"still CREATING"}]},
		{"table":"carts","status":"skipped","error":"TableInProgressElsewhere","cause":"busy"}]}`
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}
	s, err := (&Summarize{Now: fixedClock(t0)}).Handle(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Succeeded != 1 || s.Failed != 1 || s.Skipped != 1 || s.SlowestTable != "orders" || s.SlowestSeconds != 120 {
		t.Errorf("summary = %+v", s)
	}
	if f := s.Failures[0]; f.Table != "users" || f.Region != "us-west-2" || f.Error != "PollTimedOut" {
		t.Errorf("failure = %+v", f)
	}
}
