package steps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// BackupPruner is the part of DynamoDB that PruneBackups needs.
type BackupPruner interface {
	// ListBackups returns every USER backup of table created at or after
	// since (zero: all), reading every page.
	ListBackups(ctx context.Context, table string, since time.Time) ([]core.BackupInfo, error)
	DeleteBackup(ctx context.Context, arn string) error
}

// PruneBackupsInput prunes one source table's backups in one region. In the
// source region the backups are those of the source table; in a destination
// region they are those of its temporary table.
type PruneBackupsInput struct {
	Region        string `json:"region"`
	SourceRegion  string `json:"sourceRegion"`
	SourceTable   string `json:"sourceTable"`
	RetentionDays int    `json:"retentionDays"`
	KeepLast      int    `json:"keepLast"`
	// Tiers, when set, replace RetentionDays (core.Retention): the
	// destination's or the source's retention tiers.
	Tiers  *core.Tiers `json:"tiers,omitempty"`
	DryRun bool        `json:"dryRun,omitempty"`
	// CatalogTable, in a destination region, is the catalog whose entries
	// of deleted backups are removed with them.
	CatalogTable string `json:"catalogTable,omitempty"`
	// Since, when set, is when the table's run began: the source prune is
	// its last step, so its output carries the table's duration.
	Since time.Time `json:"since,omitzero"`
	// RunID and Index, when set, name the run ledger's item this prune
	// ends: its outcome is recorded, a copy's success in a destination,
	// or the table's (with Seconds and Bytes) in the source region.
	RunID string `json:"runId,omitempty"`
	Index *int   `json:"index,omitempty"`
	// Bytes is the size of the table's backup, for its outcome.
	Bytes int64 `json:"bytes,omitempty"`
}

// CatalogEntryDeleter removes catalog entries.
type CatalogEntryDeleter interface {
	DeleteEntry(ctx context.Context, catalog, sourceRegion, sourceTable, backupArn string) error
}

// PruneBackupsOutput reports the outcome.
type PruneBackupsOutput struct {
	Region string `json:"region"`
	// Deleted lists the backups deleted, or in a dry run those that would be.
	Deleted []string `json:"deleted"`
	// Available counts the tool's AVAILABLE backups left for the table.
	Available int       `json:"available"`
	DryRun    bool      `json:"dryRun,omitempty"`
	At        time.Time `json:"at"`
	// Seconds since Since (0 without it).
	Seconds int `json:"seconds"`
}

// PruneBackups deletes the tool's own expired backups and nothing else.
type PruneBackups struct {
	Clients func(region string) BackupPruner
	Catalog func(region string) CatalogEntryDeleter
	// Ledger receives the outcome of a prune that names a run's item.
	Ledger Ledger
	Now    Clock
}

func (h *PruneBackups) Handle(ctx context.Context, in PruneBackupsInput) (PruneBackupsOutput, error) {
	if err := cmp.Or(
		core.ValidateRegion("region", in.Region),
		core.ValidateRegion("sourceRegion", in.SourceRegion),
		core.ValidateName("sourceTable", in.SourceTable),
	); err != nil {
		return PruneBackupsOutput{}, err
	}
	if in.RetentionDays < 1 {
		return PruneBackupsOutput{}, &core.InvalidInput{Field: "retentionDays", Problem: fmt.Sprintf("must be at least 1, got %d", in.RetentionDays)}
	}
	if in.KeepLast < 1 {
		return PruneBackupsOutput{}, &core.InvalidInput{Field: "keepLast", Problem: fmt.Sprintf("must be at least 1, got %d", in.KeepLast)}
	}
	table := in.SourceTable
	if in.Region != in.SourceRegion {
		table = core.TempTableName(in.SourceRegion, in.SourceTable)
	}
	db := h.Clients(in.Region)
	now := h.Now.now()
	backups, err := db.ListBackups(ctx, table, time.Time{})
	if err != nil {
		return PruneBackupsOutput{}, fmt.Errorf("list backups of %s in %s: %w", table, in.Region, err)
	}
	remove, keep := core.PlanPrune(backups, core.Retention{Days: in.RetentionDays, KeepLast: in.KeepLast, Tiers: in.Tiers}, now)
	out := PruneBackupsOutput{Region: in.Region, Deleted: []string{}, DryRun: in.DryRun, At: now}
	if !in.Since.IsZero() {
		out.Seconds = int(now.Sub(in.Since).Seconds())
	}
	for _, b := range keep {
		if b.Status == core.BackupStatusAvail && core.IsOwnedBackupName(b.Name) && b.Type == core.BackupTypeUser {
			out.Available++
		}
	}
	var notFound *core.BackupNotFound
	for _, b := range remove {
		if !in.DryRun {
			if err := db.DeleteBackup(ctx, b.Arn); err != nil && !errors.As(err, &notFound) {
				return out, fmt.Errorf("delete backup %s in %s: %w", b.Arn, in.Region, err)
			}
			if err := h.forget(ctx, in, b.Arn); err != nil {
				return out, err
			}
		}
		slog.InfoContext(ctx, "backup pruned", "table", in.SourceTable, "region", in.Region, "backup", b.Name, "created", b.Created, "dryRun", in.DryRun)
		out.Deleted = append(out.Deleted, b.Name)
	}
	if in.Index != nil {
		if err := h.recordOutcome(ctx, in, out, now); err != nil {
			return out, err
		}
	}
	return out, nil
}

// recordOutcome records the outcome of the item the prune ends: in a
// destination, the copy succeeded; in the source region, the table is done.
func (h *PruneBackups) recordOutcome(ctx context.Context, in PruneBackupsInput, out PruneBackupsOutput, now time.Time) error {
	if in.RunID == "" || *in.Index < 0 {
		return &core.InvalidInput{Field: "runId, index", Problem: "name a run ledger item (runId and an index of at least 0)"}
	}
	var outcome any = TableResult{Table: in.SourceTable, Seconds: out.Seconds, Bytes: in.Bytes}
	region := ""
	if in.Region != in.SourceRegion {
		region = in.Region
		outcome = destinationOutcome{Table: in.SourceTable, DestinationResult: DestinationResult{Region: region, Status: StatusSucceeded}}
	}
	return h.Ledger.RecordOutcome(ctx, in.RunID, *in.Index, region, outcome, now)
}

// forget removes a deleted backup's catalog entry. A restore also checks
// that a catalog entry's backup exists, so a stale entry does no harm.
func (h *PruneBackups) forget(ctx context.Context, in PruneBackupsInput, backupArn string) error {
	if in.CatalogTable == "" || h.Catalog == nil || in.Region == in.SourceRegion {
		return nil
	}
	var notFound *core.TableNotFound
	err := h.Catalog(in.Region).DeleteEntry(ctx, in.CatalogTable, in.SourceRegion, in.SourceTable, backupArn)
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("remove catalog entry of %s in %s: %w", backupArn, in.Region, err)
	}
	return nil
}
