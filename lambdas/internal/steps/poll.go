package steps

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// PollInput is common to both polls.
type PollInput struct {
	Region string `json:"region"`
	// Since is when the awaited operation started; the recommended wait
	// and the time limit are measured from it.
	Since            time.Time `json:"since"`
	PollLimitMinutes int       `json:"pollLimitMinutes"`
}

// PollOutput tells the state machine whether to go on waiting.
type PollOutput struct {
	Status string `json:"status"`
	Ready  bool   `json:"ready"`
	// WaitSeconds is the recommended wait before the next poll (the Wait
	// state's SecondsPath).
	WaitSeconds    int   `json:"waitSeconds"`
	ElapsedSeconds int   `json:"elapsedSeconds"`
	SizeBytes      int64 `json:"sizeBytes"`
	ItemCount      int64 `json:"itemCount"`
}

func (in PollInput) validate() error {
	if err := core.ValidateRegion("region", in.Region); err != nil {
		return err
	}
	if in.Since.IsZero() {
		return &core.InvalidInput{Field: "since", Problem: "is required"}
	}
	if in.PollLimitMinutes < 1 {
		return &core.InvalidInput{Field: "pollLimitMinutes", Problem: "must be at least 1"}
	}
	return nil
}

// next decides the output for a resource still in progress, or reports
// that it has been waited on too long.
func (in PollInput) next(now time.Time, what, status string, sched core.PollSchedule) (PollOutput, error) {
	elapsed := now.Sub(in.Since)
	limit := time.Duration(in.PollLimitMinutes) * time.Minute
	if elapsed > limit {
		return PollOutput{}, &core.PollTimedOut{What: what, Region: in.Region, Status: status, Elapsed: elapsed, Limit: limit}
	}
	wait := min(sched.Next(elapsed), limit-elapsed+time.Second)
	return PollOutput{Status: status, WaitSeconds: int(wait.Seconds()), ElapsedSeconds: int(elapsed.Seconds())}, nil
}

// BackupDescriber is the part of DynamoDB that DescribeBackup needs.
type BackupDescriber interface {
	DescribeBackup(ctx context.Context, arn string) (core.BackupInfo, error)
}

// DescribeBackupInput polls one backup.
type DescribeBackupInput struct {
	PollInput
	BackupArn string `json:"backupArn"`
}

// DescribeBackup polls a backup until it is AVAILABLE.
type DescribeBackup struct {
	Clients  func(region string) BackupDescriber
	Schedule core.PollSchedule
	Now      Clock
}

func (h *DescribeBackup) Handle(ctx context.Context, in DescribeBackupInput) (PollOutput, error) {
	if err := in.validate(); err != nil {
		return PollOutput{}, err
	}
	b, err := h.Clients(in.Region).DescribeBackup(ctx, in.BackupArn)
	if err != nil {
		return PollOutput{}, fmt.Errorf("describe backup %s: %w", in.BackupArn, err)
	}
	switch b.Status {
	case core.BackupStatusAvail:
		slog.InfoContext(ctx, "backup available", "region", in.Region, "backupArn", in.BackupArn, "sizeBytes", b.SizeBytes)
		return PollOutput{Status: b.Status, Ready: true, SizeBytes: b.SizeBytes, ElapsedSeconds: int(h.Now.now().Sub(in.Since).Seconds())}, nil
	case core.BackupStatusCreate:
		return in.next(h.Now.now(), "backup "+in.BackupArn, b.Status, h.Schedule)
	default:
		return PollOutput{}, &core.ResourceFailed{What: "backup " + in.BackupArn, Region: in.Region, Status: b.Status}
	}
}

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

// DescribeTable polls a restored table until it is ACTIVE.
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
		return PollOutput{Status: t.Status, Ready: true, SizeBytes: t.SizeBytes, ItemCount: t.ItemCount, ElapsedSeconds: int(h.Now.now().Sub(in.Since).Seconds())}, nil
	case core.TableCreating, core.TableUpdating:
		return in.next(h.Now.now(), "table "+in.Table, t.Status, h.Schedule)
	default:
		return PollOutput{}, &core.ResourceFailed{What: "table " + in.Table, Region: in.Region, Status: t.Status}
	}
}

// ensureTags applies the ownership tags the restore could not apply, but
// only to the table this run restored: tagging any other table would mark it
// as the tool's, and so as deletable.
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
