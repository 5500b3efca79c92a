package steps

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	// Skipped are the planned backups that were gone when the restore
	// started, newest first; Item is then the backup restored instead.
	Skipped []SkippedBackup `json:"skipped,omitempty"`
}

// SkippedBackup is a planned backup that was not restored, and why.
type SkippedBackup struct {
	BackupArn       string    `json:"backupArn"`
	BackupCreatedAt time.Time `json:"backupCreatedAt"`
	Reason          string    `json:"reason"`
}

// BackupsGone means that every backup planned for a table was gone when its
// restore started: deleted or pruned since the plan was made.
type BackupsGone struct {
	Table       string
	Region      string
	PointInTime *time.Time
	Skipped     []SkippedBackup
}

func (e *BackupsGone) Error() string {
	which, fix := "the newest", ""
	if e.PointInTime != nil {
		at := e.PointInTime.Format(time.RFC3339)
		which, fix = "the newest at or before "+at, "; if none is left at or before "+at+", choose a later pointInTime"
	}
	return fmt.Sprintf("restore of table %q: all %d backup(s) planned for it (%s, and the next older) are gone from %s, deleted or pruned since the plan was made; "+
		"start a new restore of this table, whose plan chooses among the backups there now%s", e.Table, len(e.Skipped), which, e.Region, fix)
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

// restoreFirstWait is the wait before a restored table's first poll.
var restoreFirstWait = core.DefaultPoll.Next(0)

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
	out := RestoreProgress{Since: h.Now.now(), WaitSeconds: int(restoreFirstWait.Seconds())}
	planned := item.candidates()
	for _, c := range planned {
		// The table keeps the backup's billing (the copy was made
		// on-demand); FinishRestore sets the source's billing and
		// capacities afterwards, indexes included.
		t, err := db.RestoreTable(ctx, core.RestoreRequest{BackupArn: c.BackupArn, TargetTable: c.Target})
		var gone *core.BackupNotFound
		switch {
		case errors.As(err, &gone):
			out.Skipped = append(out.Skipped, SkippedBackup{BackupArn: c.BackupArn, BackupCreatedAt: c.BackupCreatedAt,
				Reason: "not found in " + in.Region + " when the restore started (deleted or pruned since the plan was made)"})
			slog.WarnContext(ctx, "planned backup gone", "runId", in.RunID, "table", item.Table, "region", in.Region, "backupArn", c.BackupArn)
			continue
		case errors.Is(err, core.ErrTableExists):
			return h.resume(ctx, db, in, planned, out)
		case err != nil:
			return RestoreProgress{}, fmt.Errorf("restore %s as %s in %s: %w", c.BackupArn, c.Target, in.Region, err)
		}
		out.Item = c
		slog.InfoContext(ctx, "restore started", "runId", in.RunID, "table", item.Table, "target", item.Target, "region", in.Region,
			"backupArn", c.BackupArn, "tableArn", t.Arn, "skipped", len(out.Skipped))
		return out, nil
	}
	// Every planned backup is gone, unless an earlier attempt of this step
	// restored the table from one of them before it went.
	p, err := h.resume(ctx, db, in, planned, out)
	var missing *core.TableNotFound
	if errors.As(err, &missing) {
		return RestoreProgress{}, &BackupsGone{Table: item.Table, Region: in.Region, PointInTime: item.PointInTime, Skipped: out.Skipped}
	}
	return p, err
}

// resume carries on with a target table that exists: only a restore from
// one of the planned backups, by an earlier attempt of this step (whose
// response was lost), may carry on; anything else is someone's table and is
// never overwritten. DynamoDB answers a planned backup that is gone with
// BackupNotFoundException, and one being deleted with BackupInUseException
// (Amazon DynamoDB API Reference, RestoreTableFromBackup,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_RestoreTableFromBackup.html):
// the latter is ResourceBusy, which the state machine retries until the
// backup is gone and the next one is tried.
func (h *StartRestore) resume(ctx context.Context, db TargetRestorer, in RestoreChild, planned []RestoreItem, out RestoreProgress) (RestoreProgress, error) {
	target := planned[0].Target
	t, err := db.DescribeTable(ctx, target)
	if err != nil {
		return RestoreProgress{}, fmt.Errorf("describe existing target %s in %s: %w", target, in.Region, err)
	}
	i := slices.IndexFunc(planned, func(p RestoreItem) bool { return p.BackupArn == t.RestoredFrom })
	if i < 0 {
		return RestoreProgress{}, &core.TableNotOwned{Table: target, Region: in.Region, Reason: "a table of the target name appeared after the plan was made; it was not overwritten"}
	}
	// The table was restored from planned[i]: the backups before it were
	// gone then, and any found gone since were not needed.
	out.Item = planned[i]
	out.Skipped = out.Skipped[:min(i, len(out.Skipped))]
	for _, p := range planned[len(out.Skipped):i] {
		out.Skipped = append(out.Skipped, SkippedBackup{BackupArn: p.BackupArn, BackupCreatedAt: p.BackupCreatedAt,
			Reason: "passed over by an earlier attempt of this restore (not found in " + in.Region + ")"})
	}
	if !t.Created.IsZero() {
		out.Since = t.Created
	}
	slog.InfoContext(ctx, "restore resumed", "runId", in.RunID, "table", out.Item.Table, "target", target, "region", in.Region,
		"backupArn", out.Item.BackupArn, "tableArn", t.Arn, "skipped", len(out.Skipped))
	return out, nil
}

// candidates are the backups the table may be restored from, in order: the
// chosen one, then its fallbacks, each as the item would be had it been
// chosen (without fallbacks: the progress carries the one restored).
func (item RestoreItem) candidates() []RestoreItem {
	first := item
	first.Fallbacks = nil
	out := []RestoreItem{first}
	for _, f := range item.Fallbacks {
		c := first
		c.BackupArn, c.BackupName, c.BackupCreatedAt, c.FoundBy, c.Manifest = f.BackupArn, f.BackupName, f.BackupCreatedAt, f.FoundBy, f.Manifest
		out = append(out, c)
	}
	return out
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
