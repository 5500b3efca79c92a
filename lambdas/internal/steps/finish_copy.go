package steps

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// CopyStatusWriter writes a table's copy status item in a catalog.
type CopyStatusWriter interface {
	PutCopyStatus(ctx context.Context, catalog string, s core.CopyStatus) error
}

// CopyFinisher is the part of DynamoDB that FinishCopy needs in a
// destination region.
type CopyFinisher interface {
	BackupDescriber
	CatalogWriter
	CopyStatusWriter
	TableDeleter
	BackupPruner
	CatalogEntryDeleter
}

// FinishCopyInput polls the destination backup of one copy (PollInput:
// Since is when it was started) and says how to finish the copy.
type FinishCopyInput struct {
	PollInput
	BackupArn             string         `json:"backupArn"`
	BackupName            string         `json:"backupName"`
	SourceRegion          string         `json:"sourceRegion"`
	SourceTable           string         `json:"sourceTable"`
	TempTable             string         `json:"tempTable"`
	SourceBackupArn       string         `json:"sourceBackupArn"`
	SourceBackupCreatedAt time.Time      `json:"sourceBackupCreatedAt"`
	CatalogTable          string         `json:"catalogTable"`
	RunID                 string         `json:"runId"`
	Index                 *int           `json:"index"`
	ItemCount             int64          `json:"itemCount"`
	Manifest              *core.Manifest `json:"manifest,omitempty"`
	// SourceBackup and Restore are the measured durations of the copy's
	// earlier phases, recorded with the destination backup's.
	SourceBackup  core.PhaseHistory `json:"sourceBackup"`
	Restore       core.PhaseHistory `json:"restore"`
	RetentionDays int               `json:"retentionDays"`
	KeepLast      int               `json:"keepLast"`
	Tiers         *core.Tiers       `json:"tiers,omitempty"` // the destination's retention tiers
}

// FinishCopy polls the destination backup until it is AVAILABLE, then
// finishes the copy in one invocation: records the backup in the catalog
// (RecordBackup) with the table's copy status (the measured duration of
// each phase, for the next copy's waits), deletes the temporary table
// (DeleteTable, with its ownership checks), prunes the destination's old
// backups and records the copy's success in the run ledger (PruneBackups).
// Each part is idempotent, so a retry after a partial failure finishes it.
type FinishCopy struct {
	Clients func(region string) CopyFinisher
	Ledger  Ledger
	Now     Clock
}

func (h *FinishCopy) Handle(ctx context.Context, in FinishCopyInput) (PollOutput, error) {
	if err := in.validate(); err != nil {
		return PollOutput{}, err
	}
	if err := core.ValidateName("tempTable", in.TempTable); err != nil {
		return PollOutput{}, err
	}
	if in.RunID == "" || in.Index == nil {
		return PollOutput{}, &core.InvalidInput{Field: "runId, index", Problem: "are required: the copy's outcome goes to the run ledger"}
	}
	poll, err := (&DescribeBackup{Clients: func(r string) BackupDescriber { return h.Clients(r) }, Schedule: core.DefaultPoll, Now: h.Now}).Handle(ctx,
		DescribeBackupInput{PollInput: in.PollInput, BackupArn: in.BackupArn})
	if err != nil || !poll.Ready {
		return poll, err
	}
	db := func(string) CopyFinisher { return h.Clients(in.Region) }
	_, err = (&RecordBackup{Clients: func(r string) CatalogWriter { return db(r) }, Now: h.Now}).Handle(ctx, RecordBackupInput{
		Region: in.Region, CatalogTable: in.CatalogTable, CatalogEntry: core.CatalogEntry{
			SourceTable: in.SourceTable, SourceRegion: in.SourceRegion, BackupArn: in.BackupArn, BackupName: in.BackupName,
			SourceBackupArn: in.SourceBackupArn, BackupCreatedAt: in.SourceBackupCreatedAt, RunID: in.RunID,
			SizeBytes: poll.SizeBytes, ItemCount: in.ItemCount, Manifest: in.Manifest,
		},
	})
	if err != nil {
		return PollOutput{}, err
	}
	now := h.Now.now()
	status := core.CopyStatus{
		Table: in.SourceTable, SourceRegion: in.SourceRegion, DataTime: in.SourceBackupCreatedAt, CurrentAsOf: in.SourceBackupCreatedAt,
		Phases: map[core.Phase]core.PhaseHistory{
			core.PhaseSourceBackup: in.SourceBackup, core.PhaseRestore: in.Restore,
			core.PhaseDestinationBackup: {Seconds: poll.MeasuredSeconds, SizeBytes: poll.SizeBytes},
		},
		CopySeconds: now.Sub(in.SourceBackupCreatedAt).Seconds(), SizeBytes: poll.SizeBytes, RunID: in.RunID,
	}
	if err := h.Clients(in.Region).PutCopyStatus(ctx, in.CatalogTable, status); err != nil {
		return PollOutput{}, fmt.Errorf("record the copy status of %s in %s: %w", in.SourceTable, in.Region, err)
	}
	if _, err := (&DeleteTable{Clients: func(r string) TableDeleter { return db(r) }}).Handle(ctx, DeleteTableInput{
		Region: in.Region, Table: in.TempTable, BackupArn: in.SourceBackupArn,
	}); err != nil {
		return PollOutput{}, err
	}
	if _, err := (&PruneBackups{
		Clients: func(r string) BackupPruner { return db(r) }, Catalog: func(r string) CatalogEntryDeleter { return db(r) }, Ledger: h.Ledger, Now: h.Now,
	}).Handle(ctx, PruneBackupsInput{
		Region: in.Region, SourceRegion: in.SourceRegion, SourceTable: in.SourceTable, RetentionDays: in.RetentionDays, KeepLast: in.KeepLast, Tiers: in.Tiers,
		CatalogTable: in.CatalogTable, RunID: in.RunID, Index: in.Index,
	}); err != nil {
		return PollOutput{}, err
	}
	slog.InfoContext(ctx, "copy finished", "table", in.SourceTable, "region", in.Region, "runId", in.RunID, "copySeconds", status.CopySeconds)
	return poll, nil
}
