package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// BackupMaker is the part of DynamoDB that CreateBackup needs.
type BackupMaker interface {
	CreateBackup(ctx context.Context, table, name string) (core.BackupInfo, error)
	// ListBackups returns every USER backup of table created at or after
	// since, reading every page.
	ListBackups(ctx context.Context, table string, since time.Time) ([]core.BackupInfo, error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
	ListTags(ctx context.Context, arn string) (map[string]string, error)
}

// CreateBackupInput asks for an on-demand backup of Table in Region.
type CreateBackupInput struct {
	Region string `json:"region"`
	Table  string `json:"table,omitempty"`
	// Index, instead of Table, names the run ledger's item record whose
	// table to back up (a backup run's child execution): the step then
	// also captures the table's settings, and recommends the first wait.
	Index *int `json:"index,omitempty"`
	// PollLimitMinutes bounds the recommended first wait.
	PollLimitMinutes int `json:"pollLimitMinutes,omitempty"`
	// SourceTable names the backup; it defaults to Table. When backing up a
	// temporary table in a destination region it is the source table.
	SourceTable string    `json:"sourceTable,omitempty"`
	RunID       string    `json:"runId"`
	StartedAt   time.Time `json:"startedAt"`
	// SourceRegion and DestinationRegions, when set, make the step first
	// check that no other run is working on the table: its temporary table
	// must not exist, or must belong to this run, in each destination.
	SourceRegion       string   `json:"sourceRegion,omitempty"`
	DestinationRegions []string `json:"destinationRegions,omitempty"`
	// SweepAfterHours, with the check, turns a skip into a failure when
	// the other run's temporary table is older than the sweeper's bound:
	// it is left behind, and the sweeper could not remove it.
	SweepAfterHours int `json:"sweepAfterHours,omitempty"`
}

// CreateBackupOutput describes the backup made, or found from an earlier
// attempt of the same run.
type CreateBackupOutput struct {
	// Table is the table backed up.
	Table      string    `json:"table"`
	BackupArn  string    `json:"backupArn"`
	BackupName string    `json:"backupName"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"createdAt"`
	// Reused is true when a retried invocation found the backup it had
	// already made.
	Reused bool `json:"reused"`

	// Of the backup of a ledger item (Index): the settings captured, the
	// copies to make, the table's size, and the wait before the first poll.
	Manifest  *core.Manifest `json:"manifest,omitempty"`
	Copies    []CopyPlan     `json:"copies,omitempty"`
	SizeBytes int64          `json:"sizeBytes,omitempty"`
	Poll      *PollOutput    `json:"poll,omitempty"`
}

// CreateBackup makes a deterministic, idempotent on-demand backup.
type CreateBackup struct {
	Clients func(region string) BackupMaker
	// Settings capture a ledger item's settings (see CaptureSettings).
	Settings func(region string) SettingsReader
	// Ledger is the run ledger that Index refers to.
	Ledger Ledger
	Now    Clock
}

func (h *CreateBackup) Handle(ctx context.Context, in CreateBackupInput) (CreateBackupOutput, error) {
	if in.Index == nil {
		return h.create(ctx, in)
	}
	item, err := h.Ledger.item(ctx, in.RunID, *in.Index)
	if err != nil {
		return CreateBackupOutput{}, err
	}
	in.Table = item.Table
	out, err := h.create(ctx, in)
	if err != nil {
		return out, err
	}
	// The settings are read once the backup is under way, as close to the
	// backup's point in time as the table allows.
	m, err := (&CaptureSettings{Clients: h.Settings, Now: h.Now}).Handle(ctx, CaptureSettingsInput{Region: in.Region, Table: in.Table})
	if err != nil {
		return CreateBackupOutput{}, err
	}
	poll := firstWait(out.Status, item.SourceBackup, item.SizeBytes, in.PollLimitMinutes)
	out.Manifest, out.Copies, out.SizeBytes, out.Poll = &m, item.Copies, item.SizeBytes, &poll
	return out, nil
}

// create makes the backup of in.Table, or finds the one this run made.
func (h *CreateBackup) create(ctx context.Context, in CreateBackupInput) (CreateBackupOutput, error) {
	if in.SourceTable == "" {
		in.SourceTable = in.Table
	}
	if err := validateStep(in.Region, in.Table, in.RunID, in.StartedAt); err != nil {
		return CreateBackupOutput{}, err
	}
	if len(in.DestinationRegions) > 0 {
		// Without a valid source region the check below would look for
		// the wrong temporary name and always pass.
		if err := core.ValidateRegion("sourceRegion", in.SourceRegion); err != nil {
			return CreateBackupOutput{}, err
		}
		for _, dest := range in.DestinationRegions {
			if err := core.ValidateRegion("destinationRegions", dest); err != nil {
				return CreateBackupOutput{}, err
			}
		}
	}
	for _, dest := range in.DestinationRegions {
		if err := h.checkNotInProgress(ctx, in, dest); err != nil {
			return CreateBackupOutput{}, err
		}
	}
	db := h.Clients(in.Region)
	name := core.BackupName(in.SourceTable, in.RunID, in.StartedAt)
	existing, err := db.ListBackups(ctx, in.Table, in.StartedAt)
	if err != nil {
		return CreateBackupOutput{}, fmt.Errorf("list backups of %s in %s: %w", in.Table, in.Region, err)
	}
	for _, b := range existing {
		if b.Name == name && b.Status != core.BackupStatusDeleted {
			slog.InfoContext(ctx, "backup already made by this run", "table", in.Table, "region", in.Region, "runId", in.RunID, "backupArn", b.Arn)
			return CreateBackupOutput{Table: in.Table, BackupArn: b.Arn, BackupName: b.Name, Status: b.Status, CreatedAt: b.Created, Reused: true}, nil
		}
	}
	b, err := db.CreateBackup(ctx, in.Table, name)
	if err != nil {
		return CreateBackupOutput{}, fmt.Errorf("create backup of %s in %s: %w", in.Table, in.Region, err)
	}
	slog.InfoContext(ctx, "backup started", "table", in.Table, "region", in.Region, "runId", in.RunID, "backupArn", b.Arn)
	return CreateBackupOutput{Table: in.Table, BackupArn: b.Arn, BackupName: b.Name, Status: b.Status, CreatedAt: b.Created}, nil
}

// checkNotInProgress refuses to start when another run's temporary table
// for this source table exists in dest.
func (h *CreateBackup) checkNotInProgress(ctx context.Context, in CreateBackupInput, dest string) error {
	db := h.Clients(dest)
	temp := core.TempTableName(in.SourceRegion, in.SourceTable)
	t, err := db.DescribeTable(ctx, temp)
	var notFound *core.TableNotFound
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check temporary table %s in %s: %w", temp, dest, err)
	}
	if t.Status == core.TableDeleting { // swept or cleaned up: gone soon
		return &core.ResourceBusy{Operation: "CreateBackup", Resource: temp, Region: dest, Message: "the previous temporary table is still being deleted"}
	}
	tags, err := db.ListTags(ctx, t.Arn)
	switch {
	case errors.As(err, &notFound) && t.Status == core.TableActive:
		return nil // deleted in between
	case errors.As(err, &notFound):
		// DynamoDB answers ResourceNotFound for the tags of a table that
		// is not ACTIVE, such as another run's restore being created:
		// the table is someone's work in progress, whatever its tags.
		tags = nil
	case err != nil:
		return fmt.Errorf("read tags of %s in %s: %w", temp, dest, err)
	}
	if tags[core.TagRunID] == in.RunID {
		return nil
	}
	if bound := time.Duration(in.SweepAfterHours) * time.Hour; bound > 0 && !t.Created.IsZero() && h.Now.now().Sub(t.Created) > bound {
		return &core.TemporaryTableLeftBehind{Table: temp, Region: dest, Since: t.Created}
	}
	return &core.TableInProgressElsewhere{Table: in.SourceTable, Region: dest, RunID: tags[core.TagRunID]}
}
