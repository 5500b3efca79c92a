package steps

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// TableDescriber is the part of DynamoDB that DescribeTable needs.
type TableDescriber interface {
	DescribeTable(ctx context.Context, name string) (core.Table, error)
	ListTags(ctx context.Context, arn string) (map[string]string, error)
	TagTable(ctx context.Context, arn string, tags map[string]string) error
}

// DescribeTableInput polls one restored table.
type DescribeTableInput struct {
	PollInput
	Table string `json:"table"`
	// Tags are the ownership tags the table must carry once ACTIVE; they
	// are applied then if the restore could not apply them at once.
	Tags map[string]string `json:"tags,omitempty"`
}

// DescribeTable polls a restored table until it is ACTIVE, and then tags it
// as the tool's. Right after a restore, CreateBackup and
// UpdateContinuousBackups may still answer
// ContinuousBackupsUnavailableException for a while; no API reports the end
// of that window, so those calls are retried (core.BackupsNotYetEnabled),
// not waited for here.
type DescribeTable struct {
	Clients  func(region string) TableDescriber
	Schedule core.PollSchedule
	Now      Clock
}

func (h *DescribeTable) Handle(ctx context.Context, in DescribeTableInput) (PollOutput, error) {
	if err := in.validate(); err != nil {
		return PollOutput{}, err
	}
	db := h.Clients(in.Region)
	t, err := db.DescribeTable(ctx, in.Table)
	if err != nil {
		return PollOutput{}, fmt.Errorf("describe table %s in %s: %w", in.Table, in.Region, err)
	}
	switch t.Status {
	case core.TableActive:
		if err := ensureTags(ctx, db, t, in.Region, in.Tags); err != nil {
			return PollOutput{}, err
		}
		slog.InfoContext(ctx, "table active", "table", in.Table, "region", in.Region, "items", t.ItemCount, "sizeBytes", t.SizeBytes)
		now := h.Now.now()
		return PollOutput{
			Status: t.Status, Ready: true, SizeBytes: t.SizeBytes, ElapsedSeconds: int(now.Sub(in.Since).Seconds()), MeasuredSeconds: in.measured(now.Sub(in.Since)),
			ItemCount: t.ItemCount, ItemCountNote: core.ApproxItemCountNote(now),
		}, nil
	case core.TableCreating, core.TableUpdating:
		return in.next(h.Now.now(), "table "+in.Table, t.Status, h.Schedule)
	default:
		return PollOutput{}, &core.ResourceFailed{What: "table " + in.Table, Region: in.Region, Status: t.Status}
	}
}

// ensureTags applies the ownership tags to an ACTIVE table, but only to the
// table this run restored: tagging any other table would mark it as the
// tool's, and so as deletable. Tags read back are eventually consistent: a
// tag just written may not show yet, and is then written again (TagResource
// is idempotent); nothing relies on reading it back.
func ensureTags(ctx context.Context, db TableDescriber, t core.Table, region string, want map[string]string) error {
	if len(want) == 0 {
		return nil
	}
	have, err := db.ListTags(ctx, t.Arn)
	if err != nil {
		return fmt.Errorf("read tags of %s: %w", t.Name, err)
	}
	if want[core.TagOwner] != "" {
		if core.BackupID(t.RestoredFrom) != want[core.TagSourceBackup] {
			return &core.TableNotOwned{Table: t.Name, Region: region, Reason: fmt.Sprintf("it was not restored from backup %s of this run", want[core.TagSourceBackup])}
		}
		if run := have[core.TagRunID]; run != "" && run != want[core.TagRunID] {
			return &core.TableNotOwned{Table: t.Name, Region: region, Reason: fmt.Sprintf("it carries the tags of run %s", run)}
		}
	}
	missing := maps.Clone(want)
	maps.DeleteFunc(missing, func(k, v string) bool { return have[k] == v })
	if len(missing) == 0 {
		return nil
	}
	if err := db.TagTable(ctx, t.Arn, missing); err != nil {
		return fmt.Errorf("tag %s: %w", t.Name, err)
	}
	return nil
}

// TemporaryTablePoller is the part of DynamoDB that PollTemporaryTable
// needs: the table poll's, and the backup's.
type TemporaryTablePoller interface {
	TableDescriber
	BackupMaker
}

// PollTemporaryTableInput polls a backup run's temporary table, and names
// the backup to make of it once it is ACTIVE.
type PollTemporaryTableInput struct {
	DescribeTableInput
	SourceTable string    `json:"sourceTable"`
	RunID       string    `json:"runId"`
	StartedAt   time.Time `json:"startedAt"`
	// BackupHistory is the destination backup's last measured duration in
	// this region: it aims the first wait for the backup.
	BackupHistory core.PhaseHistory `json:"backupHistory,omitzero"`
}

// PollTemporaryTableOutput is the table poll's output; once the table is
// ready, with the backup started of it, and the wait before its first poll.
type PollTemporaryTableOutput struct {
	PollOutput
	BackupArn       string      `json:"backupArn,omitempty"`
	BackupName      string      `json:"backupName,omitempty"`
	BackupCreatedAt time.Time   `json:"backupCreatedAt,omitzero"`
	Finish          *PollOutput `json:"finish,omitempty"`
}

// PollTemporaryTable polls a backup run's temporary table until it is
// ACTIVE and tagged (DescribeTable), then starts its backup, the one that
// stays in the destination region (CreateBackup, idempotent per run): one
// invocation instead of two, and one state transition fewer per copy.
// Right after a restore DynamoDB may refuse the backup for a while
// (core.BackupsNotYetEnabled); the state machine retries the poll, which
// finds the table ready again and retries the backup.
type PollTemporaryTable struct {
	Clients func(region string) TemporaryTablePoller
	Now     Clock
}

func (h *PollTemporaryTable) Handle(ctx context.Context, in PollTemporaryTableInput) (PollTemporaryTableOutput, error) {
	poll, err := (&DescribeTable{Clients: func(r string) TableDescriber { return h.Clients(r) }, Schedule: core.DefaultPoll, Now: h.Now}).Handle(ctx, in.DescribeTableInput)
	if err != nil || !poll.Ready {
		return PollTemporaryTableOutput{PollOutput: poll}, err
	}
	b, err := (&CreateBackup{Clients: func(r string) BackupMaker { return h.Clients(r) }, Now: h.Now}).Handle(ctx, CreateBackupInput{
		Region: in.Region, Table: in.Table, SourceTable: in.SourceTable, RunID: in.RunID, StartedAt: in.StartedAt,
	})
	if err != nil {
		return PollTemporaryTableOutput{}, err
	}
	finish := firstWait(b.Status, in.BackupHistory, poll.SizeBytes, in.PollLimitMinutes)
	return PollTemporaryTableOutput{PollOutput: poll, BackupArn: b.BackupArn, BackupName: b.BackupName, BackupCreatedAt: b.CreatedAt, Finish: &finish}, nil
}
