// Package steps holds the logic of every Lambda handler of the backup and
// restore workflows: one exported type per handler, in the file named after
// it (restore-table is RestoreTemporaryTable in restore_table.go), with its
// tests beside it. Each type depends only on the narrow DynamoDB interface it
// declares, per region, so it is tested with hand-written fakes; package
// registry wires it to the AWS SDK adapter.
//
// Pieces more than one step uses live in the files of the step that owns
// them: the poll schedule in poll.go, the ownership checks in
// delete_table.go (also used by sweep), the summary in summarize.go.
//
// Every Handle method has the Lambda signature
// func(context.Context, In) (Out, error); its input and output structs are
// the JSON contract with the state machines.
package steps

import (
	"cmp"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// Clock returns the current time; tests replace it.
type Clock func() time.Time

func (c Clock) now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}

// validateStep checks the identity of a step that works on one table of a
// run (create-backup, restore-table).
func validateStep(region, table, runID string, startedAt time.Time) error {
	if err := cmp.Or(core.ValidateRegion("region", region), core.ValidateName("table", table)); err != nil {
		return err
	}
	if runID == "" {
		return &core.InvalidInput{Field: "runId", Problem: "is required"}
	}
	if startedAt.IsZero() {
		return &core.InvalidInput{Field: "startedAt", Problem: "is required"}
	}
	return nil
}
