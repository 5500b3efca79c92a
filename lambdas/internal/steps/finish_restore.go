package steps

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// RestoreFinisher is the part of DynamoDB that FinishRestore needs.
type RestoreFinisher interface {
	SettingsApplier
	DescribeTable(ctx context.Context, name string) (core.Table, error)
}

// FinishRestoreInput is one poll of a table being restored.
type FinishRestoreInput struct {
	RestoreChild
	ApplySettings    bool            `json:"applySettings"`
	PollLimitMinutes int             `json:"pollLimitMinutes"`
	Restore          RestoreProgress `json:"restore"`
}

// FinishRestore polls a table being restored until it is ACTIVE, then
// reapplies its manifest's settings (one table update per call), and then
// writes the table's outcome to the run ledger. While anything is left it
// returns the progress with the wait before the next call; once finished,
// an empty progress ({}). One handler for the poll, the settings and the
// outcome keeps a restored table's state transitions few: each call is a
// Wait, this Task and a Choice.
type FinishRestore struct {
	Ledger   Ledger
	Clients  func(region string) RestoreFinisher
	Schedule core.PollSchedule
	Now      Clock
}

func (h *FinishRestore) Handle(ctx context.Context, in FinishRestoreInput) (RestoreProgress, error) {
	p := in.Restore
	poll := PollInput{Region: in.Region, Since: p.Since, PollLimitMinutes: in.PollLimitMinutes}
	if err := in.validate(); err != nil {
		return RestoreProgress{}, err
	}
	if err := poll.validate(); err != nil {
		return RestoreProgress{}, err
	}
	db := h.Clients(in.Region)
	target := p.Item.Target
	t, err := db.DescribeTable(ctx, target)
	if err != nil {
		return RestoreProgress{}, fmt.Errorf("describe %s in %s: %w", target, in.Region, err)
	}
	now := h.Now.now()
	active := p.ItemCount != nil // seen ACTIVE before
	switch {
	case t.Status == core.TableActive && !active:
		count := t.ItemCount
		p.RestoreSeconds, p.ItemCount, p.ItemCountNote = int(now.Sub(p.Since).Seconds()), &count, core.ApproxItemCountNote(now)
		slog.InfoContext(ctx, "table active", "runId", in.RunID, "table", p.Item.Table, "target", target, "region", in.Region, "items", t.ItemCount)
	case t.Status == core.TableActive:
	case !active && (t.Status == core.TableCreating || t.Status == core.TableUpdating):
		next, err := poll.next(now, "table "+target, t.Status, h.Schedule)
		p.WaitSeconds = max(next.WaitSeconds, 1)
		return p, err
	case active && t.Status == core.TableUpdating:
		p.WaitSeconds = settleWait // one of our updates settling
		return p, nil
	default:
		return RestoreProgress{}, &core.ResourceFailed{What: "table " + target, Region: in.Region, Status: t.Status}
	}
	if in.ApplySettings && p.Item.Manifest != nil {
		applied, done, err := applySettings(ctx, db, in.Region, t, *p.Item.Manifest, p.Applied)
		p.Applied = applied
		if err != nil {
			return RestoreProgress{}, err
		}
		if !done {
			p.WaitSeconds = settleWait
			return p, nil
		}
	}
	return RestoreProgress{}, h.record(ctx, in, p, now)
}

// restoredTable is a restored table's outcome in the run ledger: its result
// (with the backup restored), and the planned backups passed over for it
// because they were gone.
type restoredTable struct {
	TableResult
	BackupsSkipped []SkippedBackup `json:"backupsSkipped,omitempty"`
}

// record writes the restored table's outcome to the run ledger.
func (h *FinishRestore) record(ctx context.Context, in FinishRestoreInput, p RestoreProgress, now time.Time) error {
	item := p.Item
	r := restoredTable{TableResult: TableResult{
		Table: item.Table, Status: StatusSucceeded, Target: item.Target, BackupArn: item.BackupArn, BackupCreatedAt: item.BackupCreatedAt,
		Seconds: int(now.Sub(p.Since).Seconds()), RestoreSeconds: p.RestoreSeconds, ItemCount: p.ItemCount, ItemCountNote: p.ItemCountNote,
		SettingsApplied: slices.Clone(p.Applied), NoManifest: item.Manifest == nil,
	}, BackupsSkipped: p.Skipped}
	if len(p.Skipped) == 0 { // the planned backup, the one the skip proved current
		r.CurrentAsOf = item.CurrentAsOf
	}
	if err := h.Ledger.RecordOutcome(ctx, in.RunID, in.Index, "", r, now); err != nil {
		return err
	}
	slog.InfoContext(ctx, "table restored", "runId", in.RunID, "table", item.Table, "target", item.Target, "region", in.Region,
		"backupArn", item.BackupArn, "backupsSkipped", len(p.Skipped), "restoreSeconds", p.RestoreSeconds, "settingsApplied", p.Applied)
	return nil
}
