package steps

import (
	"context"
	"log/slog"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// RecordOutcomeInput is a table's (Region empty) or one copy's outcome that
// a child execution's catcher records: Error is the caught error.
type RecordOutcomeInput struct {
	RunID  string `json:"runId"`
	Index  *int   `json:"index"`
	Table  string `json:"table,omitempty"`
	Region string `json:"region,omitempty"`
	Error  struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error"`
}

// RecordOutcomeOutput is empty: the catcher's state keeps its own output
// small.
type RecordOutcomeOutput struct{}

// RecordOutcome writes the outcome of a table or a copy that ended on an
// error to the run ledger: skipped when another run is working on the table
// (SkipError), else failed. Summarize reads it back.
type RecordOutcome struct {
	Ledger Ledger
	Now    Clock
}

func (h *RecordOutcome) Handle(ctx context.Context, in RecordOutcomeInput) (RecordOutcomeOutput, error) {
	if in.RunID == "" || in.Index == nil || *in.Index < 0 {
		return RecordOutcomeOutput{}, &core.InvalidInput{Field: "runId, index", Problem: "are required (the child execution's input)"}
	}
	if in.Region != "" {
		if err := core.ValidateRegion("region", in.Region); err != nil {
			return RecordOutcomeOutput{}, err
		}
	}
	status := StatusFailed
	if in.Error.Error == SkipError {
		status = StatusSkipped
	}
	var outcome any = TableResult{Table: in.Table, Status: status, Error: in.Error.Error, Cause: in.Error.Cause}
	if in.Region != "" {
		outcome = destinationOutcome{Table: in.Table, DestinationResult: DestinationResult{Region: in.Region, Status: status, Error: in.Error.Error, Cause: in.Error.Cause}}
	}
	if err := h.Ledger.RecordOutcome(ctx, in.RunID, *in.Index, in.Region, outcome, h.Now.now()); err != nil {
		return RecordOutcomeOutput{}, err
	}
	slog.InfoContext(ctx, "outcome recorded", "runId", in.RunID, "index", *in.Index, "table", in.Table, "region", in.Region, "status", status, "error", in.Error.Error)
	return RecordOutcomeOutput{}, nil
}

// destinationOutcome is the ledger record of one copy's outcome.
type destinationOutcome struct {
	DestinationResult
	Table string `json:"table,omitempty"`
}
