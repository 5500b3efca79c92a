package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/core"
)

// TableDeleter is the part of DynamoDB that DeleteTable and Sweep need.
type TableDeleter interface {
	DescribeTable(ctx context.Context, name string) (core.Table, error)
	ListTags(ctx context.Context, arn string) (map[string]string, error)
	DeleteTable(ctx context.Context, name string) error
}

// DeleteTableInput names a temporary table to delete: either Table, or the
// source table whose temporary table it is (used by the clean-up path, which
// may not know whether the restore got as far as naming it).
type DeleteTableInput struct {
	Region       string `json:"region"`
	Table        string `json:"table,omitempty"`
	SourceRegion string `json:"sourceRegion,omitempty"`
	SourceTable  string `json:"sourceTable,omitempty"`
	// BackupArn, when set, is the backup the table must have been restored
	// from; a table restored from anything else is refused.
	BackupArn string `json:"backupArn,omitempty"`
	DryRun    bool   `json:"dryRun,omitempty"`
}

// DeleteTableOutput reports what happened.
type DeleteTableOutput struct {
	Table       string `json:"table"`
	Deleted     bool   `json:"deleted"`
	AlreadyGone bool   `json:"alreadyGone"`
}

// DeleteTable deletes a temporary table, and only after every ownership
// check passes.
type DeleteTable struct {
	Clients func(region string) TableDeleter
}

func (h *DeleteTable) Handle(ctx context.Context, in DeleteTableInput) (DeleteTableOutput, error) {
	if err := core.ValidateRegion("region", in.Region); err != nil {
		return DeleteTableOutput{}, err
	}
	if in.Table == "" && in.SourceTable != "" {
		if err := core.ValidateRegion("sourceRegion", in.SourceRegion); err != nil {
			return DeleteTableOutput{}, err
		}
		in.Table = core.TempTableName(in.SourceRegion, in.SourceTable)
	}
	if err := core.ValidateName("table", in.Table); err != nil {
		return DeleteTableOutput{}, err
	}
	db := h.Clients(in.Region)
	out := DeleteTableOutput{Table: in.Table}
	t, err := db.DescribeTable(ctx, in.Table)
	var notFound *core.TableNotFound
	switch {
	case errors.As(err, &notFound):
		out.AlreadyGone = true
		return out, nil
	case err != nil:
		return out, fmt.Errorf("describe %s in %s: %w", in.Table, in.Region, err)
	}
	if err := checkOwned(ctx, db, t, in.Region, in.BackupArn); err != nil {
		return out, err
	}
	if t.Status == core.TableDeleting {
		out.AlreadyGone = true
		return out, nil
	}
	if in.DryRun {
		return out, nil
	}
	return deleteOwned(ctx, db, in.Region, out)
}

// checkOwned refuses any table that is not the tool's temporary table.
func checkOwned(ctx context.Context, db TableDeleter, t core.Table, region, backupArn string) error {
	if !core.IsTempTableName(t.Name) {
		return &core.TableNotOwned{Table: t.Name, Region: region, Reason: "its name does not follow the temporary-table scheme"}
	}
	tags, err := db.ListTags(ctx, t.Arn)
	if err != nil {
		return fmt.Errorf("read tags of %s in %s: %w", t.Name, region, err)
	}
	if problem := core.OwnershipProblem(t, tags); problem != "" {
		return &core.TableNotOwned{Table: t.Name, Region: region, Reason: problem}
	}
	if backupArn != "" && core.BackupID(backupArn) != tags[core.TagSourceBackup] {
		return &core.TableNotOwned{Table: t.Name, Region: region, Reason: "it was restored from another backup than " + backupArn}
	}
	return nil
}

func deleteOwned(ctx context.Context, db TableDeleter, region string, out DeleteTableOutput) (DeleteTableOutput, error) {
	err := db.DeleteTable(ctx, out.Table)
	var notFound *core.TableNotFound
	switch {
	case errors.As(err, &notFound):
		out.AlreadyGone = true
	case err != nil:
		return out, fmt.Errorf("delete %s in %s: %w", out.Table, region, err)
	default:
		out.Deleted = true
		slog.InfoContext(ctx, "temporary table deleted", "table", out.Table, "region", region)
	}
	return out, nil
}
