package steps

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

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
		elapsed := h.Now.now().Sub(in.Since)
		return PollOutput{Status: b.Status, Ready: true, SizeBytes: b.SizeBytes, ElapsedSeconds: int(elapsed.Seconds()), MeasuredSeconds: in.measured(elapsed)}, nil
	case core.BackupStatusCreate:
		return in.next(h.Now.now(), "backup "+in.BackupArn, b.Status, h.Schedule)
	default:
		return PollOutput{}, &core.ResourceFailed{What: "backup " + in.BackupArn, Region: in.Region, Status: b.Status}
	}
}
