package steps

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// TargetRestorer is the part of DynamoDB that StartRestore needs.
type TargetRestorer interface {
	RestoreTable(ctx context.Context, req core.RestoreRequest) (core.Table, error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
}

// RestoreChild is what a restore's Distributed Map gives each child
// execution: the run and the index of its table's item record in the run
// ledger, and the settings every table shares.
type RestoreChild struct {
	RunID  string `json:"runId"`
	Index  int    `json:"index"`
	Region string `json:"region"`
}

// RestoreProgress is one table's restore in progress, carried from
// StartRestore through each FinishRestore: the table's item, when its
// restore started, and what is done. A finished restore's progress is
// empty, {}: the child execution's whole output, so that the Map's result
// for 10,000 tables stays small (the outcome is in the run ledger).
type RestoreProgress struct {
	Item  RestoreItem `json:"item,omitzero"`
	Since time.Time   `json:"since,omitzero"`
	// WaitSeconds is the wait before the next FinishRestore; it is set
	// (at least 1) exactly while the restore is not finished.
	WaitSeconds int `json:"waitSeconds,omitempty"`
	// RestoreSeconds, ItemCount and ItemCountNote are recorded when the
	// table is first seen ACTIVE.
	RestoreSeconds int      `json:"restoreSeconds,omitempty"`
	ItemCount      *int64   `json:"itemCount,omitempty"`
	ItemCountNote  string   `json:"itemCountNote,omitempty"`
	Applied        []string `json:"applied,omitempty"`
}

// readItem reads a restore's item record i from the run ledger.
func (l Ledger) readItem(ctx context.Context, runID string, i int) (RestoreItem, error) {
	var item RestoreItem
	raw, found, err := l.DB.GetLedger(ctx, l.Table, core.LedgerRun(runID), core.LedgerItemKey(i))
	switch {
	case err != nil:
		return item, fmt.Errorf("read item %d of run %s from the ledger: %w", i, runID, err)
	case !found:
		return item, &core.InvalidInput{Field: "index", Problem: fmt.Sprintf("run %s has no item %d in ledger table %s", runID, i, l.Table)}
	}
	if err := json.Unmarshal(raw, &item); err != nil {
		return item, fmt.Errorf("item %d of run %s in the ledger: %w", i, runID, err)
	}
	return item, nil
}

// firstWait is the wait before a restored table's first poll.
var firstWait = core.DefaultPoll.Next(0)

// StartRestore is the restore workflow's restore: it reads one planned
// table from the run ledger and brings it back from its cross-region backup
// under the target name. (The backup workflow's restore of a temporary
// table is RestoreTemporaryTable.)
type StartRestore struct {
	Ledger  Ledger
	Clients func(region string) TargetRestorer
	Now     Clock
}

func (h *StartRestore) Handle(ctx context.Context, in RestoreChild) (RestoreProgress, error) {
	if err := cmp.Or(core.ValidateRegion("region", in.Region), in.validate()); err != nil {
		return RestoreProgress{}, err
	}
	item, err := h.Ledger.readItem(ctx, in.RunID, in.Index)
	if err != nil {
		return RestoreProgress{}, err
	}
	if err := core.ValidateName("target", item.Target); err != nil {
		return RestoreProgress{}, err
	}
	db := h.Clients(in.Region)
	// The table keeps the backup's billing (the copy was made on-demand);
	// FinishRestore sets the source's billing and capacities afterwards,
	// indexes included.
	req := core.RestoreRequest{BackupArn: item.BackupArn, TargetTable: item.Target}
	out := RestoreProgress{Item: item, Since: h.Now.now(), WaitSeconds: int(firstWait.Seconds())}
	resumed := false
	t, err := db.RestoreTable(ctx, req)
	if errors.Is(err, core.ErrTableExists) {
		// Only a retry of this very restore may carry on; anything else
		// is someone's table and is never overwritten.
		t, err = db.DescribeTable(ctx, item.Target)
		if err == nil && t.RestoredFrom != item.BackupArn {
			return RestoreProgress{}, &core.TableNotOwned{Table: item.Target, Region: in.Region, Reason: "a table of the target name appeared after the plan was made; it was not overwritten"}
		}
		resumed = true
		if err == nil && !t.Created.IsZero() {
			out.Since = t.Created
		}
	}
	if err != nil {
		return RestoreProgress{}, fmt.Errorf("restore %s as %s in %s: %w", item.BackupArn, item.Target, in.Region, err)
	}
	slog.InfoContext(ctx, "restore started", "runId", in.RunID, "table", item.Table, "target", item.Target, "region", in.Region,
		"backupArn", item.BackupArn, "tableArn", t.Arn, "resumed", resumed)
	return out, nil
}

func (in RestoreChild) validate() error {
	switch {
	case in.RunID == "":
		return &core.InvalidInput{Field: "runId", Problem: "is required"}
	case in.Index < 0:
		return &core.InvalidInput{Field: "index", Problem: fmt.Sprintf("must be 0 or more, got %d", in.Index)}
	}
	return nil
}
