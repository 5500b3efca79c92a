package steps

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// maxPayload is Step Functions' limit on a state's input or output.
const maxPayload = 256 << 10

// TestPayloadFor10000Tables checks that the backup state machine's largest
// top-level state fits the 256 KiB limit with 10,000 tables of
// 255-character names: the names stay in the run ledger, and the state
// holds the plan's indices and the Map's result, one index per child.
func TestPayloadFor10000Tables(t *testing.T) {
	const tables = 10000
	settings := core.Settings{
		SourceRegion: "ap-southeast-2", DestinationRegions: []string{"ap-southeast-1", "us-west-2", "eu-west-1"}, RetentionDays: 7, KeepLast: 3,
		Include: []string{strings.Repeat("i", 255)}, Exclude: []string{}, KMSKeyID: "alias/dr-backups", MaxConcurrency: 10, SweepAfterHours: 36,
		PollLimitMinutes: 720, CatalogTable: core.DefaultCatalogTable, RunsPerDay: 24,
	}
	// The listing's output holds counts, not the tables (they are in the
	// run ledger): TestListTablesOutputStaysSmall.
	listed := ListTablesOutput{RunID: strings.Repeat("r", 80), StartedAt: time.Now(), Settings: settings, Done: true, Listed: tables, Considered: tables}
	state := map[string]any{}
	b, _ := json.Marshal(listed)
	_ = json.Unmarshal(b, &state)
	plan := PlanCopiesOutput{Count: tables, Concurrency: 10, Decided: map[string]int{DecisionCopy: 3 * tables}}
	for i := range tables {
		plan.Items = append(plan.Items, i)
	}
	state["plan"] = plan
	state["sweep"] = SweepOutput{Deleted: []SweptTable{}, Adopted: []SweptTable{}}
	state["copies"] = plan.Items // each child's output is its index
	size := jsonSize(t, state)
	t.Logf("the state after the Map for %d tables: %d bytes (%.0f%% of the limit)", tables, size, 100*float64(size)/maxPayload)
	if size > maxPayload/2 {
		t.Errorf("the state after the Map for %d tables is %d bytes, over half of %d", tables, size, maxPayload)
	}
}

func jsonSize(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}
