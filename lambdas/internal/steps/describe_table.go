package steps

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

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
			Status: t.Status, Ready: true, SizeBytes: t.SizeBytes, ElapsedSeconds: int(now.Sub(in.Since).Seconds()),
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
