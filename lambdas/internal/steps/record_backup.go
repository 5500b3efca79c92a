package steps

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// CatalogWriter is the part of DynamoDB that RecordBackup needs.
type CatalogWriter interface {
	PutEntry(ctx context.Context, catalog string, e core.CatalogEntry) error
}

// RecordBackupInput records one cross-region backup in the catalog of its
// destination region.
type RecordBackupInput struct {
	Region       string `json:"region"`
	CatalogTable string `json:"catalogTable"`
	core.CatalogEntry
}

// RecordBackupOutput confirms the entry.
type RecordBackupOutput struct {
	Recorded bool `json:"recorded"`
}

// RecordBackup writes the catalog entry. A failure fails this destination
// of the table, and leaves the backup itself in place.
type RecordBackup struct {
	Clients func(region string) CatalogWriter
	Now     Clock
}

func (h *RecordBackup) Handle(ctx context.Context, in RecordBackupInput) (RecordBackupOutput, error) {
	var problems core.Problems
	if err := core.ValidateRegion("region", in.Region); err != nil {
		problems.AddErr(err)
	}
	if err := core.ValidateName("catalogTable", in.CatalogTable); err != nil {
		problems.AddErr(err)
	}
	if in.SourceTable == "" || in.BackupArn == "" || in.BackupCreatedAt.IsZero() {
		problems.Add("sourceTable, backupArn and backupCreatedAt are required")
	}
	if err := problems.Err("input"); err != nil {
		return RecordBackupOutput{}, err
	}
	in.RecordedAt = h.Now.now()
	in.ItemCountNote = core.ApproxItemCountNote(in.RecordedAt)
	if err := h.Clients(in.Region).PutEntry(ctx, in.CatalogTable, in.CatalogEntry); err != nil {
		return RecordBackupOutput{}, fmt.Errorf("record backup %s in catalog %s in %s: %w", in.BackupArn, in.CatalogTable, in.Region, err)
	}
	slog.InfoContext(ctx, "backup recorded in catalog", "table", in.SourceTable, "region", in.Region, "runId", in.RunID, "backupArn", in.BackupArn)
	return RecordBackupOutput{Recorded: true}, nil
}
