package steps

import (
	"context"
	"log/slog"
)

// RecordRestoreFailureInput is a table whose restore failed, with the error
// the state machine caught.
type RecordRestoreFailureInput struct {
	RestoreChild
	Error struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error"`
}

// RecordRestoreFailed is RecordRestoreFailure's output: nothing, so that a
// failed table's child execution ends as small as a restored one's.
type RecordRestoreFailed struct{}

// RecordRestoreFailure writes a failed table's outcome, named from its item
// record, to the run ledger, for the report.
type RecordRestoreFailure struct {
	Ledger Ledger
	Now    Clock
}

func (h *RecordRestoreFailure) Handle(ctx context.Context, in RecordRestoreFailureInput) (RecordRestoreFailed, error) {
	if err := in.validate(); err != nil {
		return RecordRestoreFailed{}, err
	}
	item, err := h.Ledger.readItem(ctx, in.RunID, in.Index)
	if err != nil {
		return RecordRestoreFailed{}, err
	}
	r := TableResult{Table: item.Table, Status: StatusFailed, Target: item.Target, BackupArn: item.BackupArn, Error: in.Error.Error, Cause: in.Error.Cause}
	if err := h.Ledger.RecordOutcome(ctx, in.RunID, in.Index, "", r, h.Now.now()); err != nil {
		return RecordRestoreFailed{}, err
	}
	slog.WarnContext(ctx, "table not restored", "runId", in.RunID, "table", item.Table, "target", item.Target, "error", in.Error.Error, "cause", in.Error.Cause)
	return RecordRestoreFailed{}, nil
}
