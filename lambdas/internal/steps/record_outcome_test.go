package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// A backup run's child execution records every outcome in the run ledger:
// the source prune the table's, each destination prune its copy's success,
// and the catchers (record-outcome) a failure or, for another run's work in
// progress, a skip. Summarize folds them into one result per table.
func TestOutcomesOfAChildExecution(t *testing.T) {
	db := newMemLedger()
	l := Ledger{Table: "ledger", DB: db}
	const run = "run-1"
	for i, table := range []string{"orders", "users", "carts", "audit"} {
		r, _ := record(core.LedgerItemKey(i), CopyItem{Table: table})
		_ = db.PutLedger(t.Context(), "", core.LedgerRun(run), []core.LedgerRecord{r}, t0)
	}
	prune := &PruneBackups{Clients: clients[BackupPruner](newCloud()), Ledger: l, Now: fixedClock(t0)}
	outcome := &RecordOutcome{Ledger: l, Now: fixedClock(t0)}
	idx := func(i int) *int { return &i }
	pruneIn := func(i int, region, table string) PruneBackupsInput {
		return PruneBackupsInput{Region: region, SourceRegion: "eu-west-1", SourceTable: table, RetentionDays: 7, KeepLast: 3,
			Since: t0.Add(-90e9), RunID: run, Index: idx(i), Bytes: 1 << 30}
	}
	failed := func(i int, table, region, errName string) RecordOutcomeInput {
		in := RecordOutcomeInput{RunID: run, Index: idx(i), Table: table, Region: region}
		in.Error.Error, in.Error.Cause = errName, "because"
		return in
	}
	for _, step := range []func() error{
		// orders: copied to both destinations.
		func() error { _, err := prune.Handle(t.Context(), pruneIn(0, "eu-central-1", "orders")); return err },
		func() error { _, err := prune.Handle(t.Context(), pruneIn(0, "us-east-2", "orders")); return err },
		func() error { _, err := prune.Handle(t.Context(), pruneIn(0, "eu-west-1", "orders")); return err },
		// users: one copy failed.
		func() error { _, err := prune.Handle(t.Context(), pruneIn(1, "eu-central-1", "users")); return err },
		func() error {
			_, err := outcome.Handle(t.Context(), failed(1, "users", "us-east-2", "PollTimedOut"))
			return err
		},
		func() error { _, err := prune.Handle(t.Context(), pruneIn(1, "eu-west-1", "users")); return err },
		// carts: another run holds it.
		func() error { _, err := outcome.Handle(t.Context(), failed(2, "", "", SkipError)); return err },
		// audit: no outcome at all (its child execution died).
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := (&Summarize{Now: fixedClock(t0), Ledger: l}).Handle(t.Context(), SummarizeInput{RunID: run, Items: 4, Results: make([]TableResult, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Tables != 4 || s.Succeeded != 1 || s.Failed != 2 || s.Skipped != 1 || s.SlowestSeconds != 90 {
		t.Errorf("summary = %+v; want 4 tables: 1 succeeded in 90 s, 2 failed, 1 skipped", s)
	}
	got := map[string][]string{}
	for _, r := range append(s.Failures, s.SkippedTables...) {
		got[r.Table] = []string{r.Status, r.Region, r.Error}
	}
	want := map[string][]string{
		"users": {StatusFailed, "us-east-2", "PollTimedOut"},
		"carts": {StatusSkipped, "", SkipError},
		"audit": {StatusFailed, "", "MissingResults"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listed = %v, want %v", got, want)
	}
}

func TestRecordOutcomeRefusesWithoutItem(t *testing.T) {
	h := &RecordOutcome{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Now: fixedClock(t0)}
	_, err := h.Handle(t.Context(), RecordOutcomeInput{RunID: "run-1"})
	checkErr(t, err, new(*core.InvalidInput))
}

// The backup state machine skips a copy on the error record-outcome reads
// as a skip: RestoreTemporaryTable's first catcher names SkipError and
// goes to RecordCopyOutcome.
func TestTheMachineSkipsOnSkipError(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "statemachine", "backup.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		States map[string]struct {
			ItemProcessor struct {
				States map[string]struct {
					ItemProcessor struct {
						States map[string]struct {
							Catch []struct {
								ErrorEquals []string
								Next        string
							}
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	catch := def.States["CopyTables"].ItemProcessor.States["CopyToDestinations"].ItemProcessor.States["RestoreTemporaryTable"].Catch
	if len(catch) == 0 || !reflect.DeepEqual(catch[0].ErrorEquals, []string{SkipError}) || catch[0].Next != "RecordCopyOutcome" {
		t.Errorf("RestoreTemporaryTable catches %+v; want %s first, to RecordCopyOutcome", catch, SkipError)
	}
}
