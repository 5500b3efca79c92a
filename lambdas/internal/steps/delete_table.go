package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// TableDeleter is the part of DynamoDB that DeleteTable needs.
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
}

// DeleteTableOutput reports what happened.
type DeleteTableOutput struct {
	Table       string `json:"table"`
	Deleted     bool   `json:"deleted"`
	AlreadyGone bool   `json:"alreadyGone"`
}

// DeleteTable deletes a temporary table, and only after every ownership
// check passes. An untagged table that its name and restore summary mark as
// the tool's (the table poll tags a temporary table only once it is ACTIVE)
// is deleted without tagging it first: DeleteTable is allowed on the
// temporary-name prefix, not on a tag, and a tag just written might not
// show yet anyway.
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
	if t.Status == core.TableDeleting {
		out.AlreadyGone = true
		return out, nil
	}
	if _, err := ownership(ctx, db, t, in.Region, in.BackupArn); err != nil {
		return out, err
	}
	return deleteOwned(ctx, db, in.Region, out)
}

type owner int

const (
	ours      owner = iota
	adoptable       // restored as our temporary table, but not tagged yet
)

// ownership decides whether t is the tool's temporary table; anything else
// is refused with TableNotOwned. A table without the tool's tags is
// adoptable when its restore summary binds it to its name (and, for a
// clean-up, names this run's backup): a table not yet ACTIVE, which has no
// tags yet, or one a run left before its poll could tag it.
func ownership(ctx context.Context, db TableDeleter, t core.Table, region, backupArn string) (owner, error) {
	notOwned := func(reason string) (owner, error) {
		return 0, &core.TableNotOwned{Table: t.Name, Region: region, Reason: reason}
	}
	if !core.IsTempTableName(t.Name) {
		return notOwned("its name does not follow the temporary-table scheme")
	}
	tags, err := db.ListTags(ctx, t.Arn)
	var notFound *core.TableNotFound
	switch {
	case errors.As(err, &notFound) && t.Status != core.TableActive:
		// DynamoDB answers ResourceNotFound for the tags of a table that
		// is not ACTIVE; the restore summary decides alone.
		tags = nil
	case err != nil:
		return 0, fmt.Errorf("read tags of %s in %s: %w", t.Name, region, err)
	}
	if _, tagged := tags[core.TagOwner]; !tagged && core.RestoredAsTemp(t) && (backupArn == "" || t.RestoredFrom == backupArn) {
		return adoptable, nil
	}
	if problem := core.OwnershipProblem(t, tags); problem != "" {
		return notOwned(problem)
	}
	if backupArn != "" && core.BackupID(backupArn) != tags[core.TagSourceBackup] {
		return notOwned("it was restored from another backup than " + backupArn)
	}
	return ours, nil
}

// adopt gives an untagged temporary table the tool's tags.
func adopt(ctx context.Context, db Sweeper, t core.Table, startedAt time.Time) error {
	region, table := core.BackupSource(t.RestoredFrom)
	if err := db.TagTable(ctx, t.Arn, core.OwnerTags("adopted", startedAt, region, table, t.RestoredFrom)); err != nil {
		return fmt.Errorf("tag %s to adopt it: %w", t.Name, err)
	}
	slog.InfoContext(ctx, "untagged temporary table adopted", "table", t.Name, "restoredFrom", t.RestoredFrom)
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
