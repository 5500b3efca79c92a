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

// TemporaryTableRestorer is the part of DynamoDB that RestoreTemporaryTable
// needs.
type TemporaryTableRestorer interface {
	RestoreTable(ctx context.Context, req core.RestoreRequest) (core.Table, error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
	ListTags(ctx context.Context, arn string) (map[string]string, error)
}

// RestoreTemporaryTableInput restores a source backup into a destination
// region.
type RestoreTemporaryTableInput struct {
	Region       string    `json:"region"` // the destination
	SourceRegion string    `json:"sourceRegion"`
	SourceTable  string    `json:"sourceTable"`
	BackupArn    string    `json:"backupArn"`
	RunID        string    `json:"runId"`
	StartedAt    time.Time `json:"startedAt"`
	// KMSKeyID encrypts the temporary table; empty means the AWS-owned key.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// History is the restore's last measured duration in this region, and
	// SizeBytes the table's size now: they aim the first wait.
	History          core.PhaseHistory `json:"history,omitzero"`
	SizeBytes        int64             `json:"sizeBytes,omitempty"`
	PollLimitMinutes int               `json:"pollLimitMinutes,omitempty"`
}

// RestoreTemporaryTableOutput names the temporary table being restored.
type RestoreTemporaryTableOutput struct {
	Table    string    `json:"table"`
	TableArn string    `json:"tableArn"`
	Status   string    `json:"status"`
	Since    time.Time `json:"since"`
	// Tags are the ownership tags the table poll (DescribeTable) applies
	// once the table is ACTIVE.
	Tags    map[string]string `json:"tags"`
	Resumed bool              `json:"resumed"`
	// Poll recommends the wait before the first poll.
	Poll PollOutput `json:"poll"`
}

// RestoreTemporaryTable is the restore-table step of the backup workflow: it
// restores the source backup into the destination region under the
// temporary name, on-demand billing. (The restore workflow's restore is
// StartRestore.)
//
// It does not tag the table: the table is CREATING, and TagResource
// documents ResourceNotFoundException for a table that is not ACTIVE
// (Amazon DynamoDB API Reference, TagResource,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TagResource.html).
// The table poll tags it once it is ACTIVE, after checking that this run
// restored it. Until then its name and restore summary mark it as the
// tool's (core.RestoredAsTemp), which the clean-up and the sweeper accept.
type RestoreTemporaryTable struct {
	Clients func(region string) TemporaryTableRestorer
	Now     Clock
}

func (h *RestoreTemporaryTable) Handle(ctx context.Context, in RestoreTemporaryTableInput) (RestoreTemporaryTableOutput, error) {
	if err := cmp.Or(validateStep(in.Region, in.SourceTable, in.RunID, in.StartedAt), core.ValidateRegion("sourceRegion", in.SourceRegion)); err != nil {
		return RestoreTemporaryTableOutput{}, err
	}
	if core.BackupID(in.BackupArn) == "" {
		return RestoreTemporaryTableOutput{}, &core.InvalidInput{Field: "backupArn", Problem: fmt.Sprintf("%q is not a DynamoDB backup ARN", in.BackupArn)}
	}
	db := h.Clients(in.Region)
	temp := core.TempTableName(in.SourceRegion, in.SourceTable)
	out := RestoreTemporaryTableOutput{
		Table: temp, Since: h.Now.now(),
		Tags: core.OwnerTags(in.RunID, in.StartedAt, in.SourceRegion, in.SourceTable, in.BackupArn),
	}
	log := slog.With("table", in.SourceTable, "tempTable", temp, "region", in.Region, "runId", in.RunID)

	t, err := db.RestoreTable(ctx, core.RestoreRequest{
		BackupArn: in.BackupArn, TargetTable: temp, PayPerRequest: true, SSE: &core.SSE{KMSKeyID: in.KMSKeyID},
	})
	if errors.Is(err, core.ErrTableExists) {
		t, err = h.resume(ctx, db, in, temp)
		if err != nil {
			return RestoreTemporaryTableOutput{}, err
		}
		out.Resumed = true
		if !t.Created.IsZero() {
			out.Since = t.Created // the poll limit counts from the first attempt
		}
		log.InfoContext(ctx, "restore already started by this run")
	} else if err != nil {
		return RestoreTemporaryTableOutput{}, fmt.Errorf("restore %s into %s in %s: %w", in.BackupArn, temp, in.Region, err)
	} else {
		log.InfoContext(ctx, "restore started", "backupArn", in.BackupArn)
	}
	out.TableArn, out.Status = t.Arn, t.Status
	out.Poll = firstWait(t.Status, in.History, in.SizeBytes, in.PollLimitMinutes)
	return out, nil
}

// resume handles a temporary table that exists already: a retried
// invocation of this run carries on; another run's table means that run is
// working on this source table; anything else is not ours to touch.
func (h *RestoreTemporaryTable) resume(ctx context.Context, db TemporaryTableRestorer, in RestoreTemporaryTableInput, temp string) (core.Table, error) {
	t, err := db.DescribeTable(ctx, temp)
	if err != nil {
		return core.Table{}, fmt.Errorf("describe existing %s in %s: %w", temp, in.Region, err)
	}
	if t.Status == core.TableDeleting {
		return core.Table{}, &core.ResourceBusy{Operation: "RestoreTableFromBackup", Resource: temp, Region: in.Region, Message: "the previous temporary table is still being deleted"}
	}
	// Only an ACTIVE table has tags to read (a table being created answers
	// ResourceNotFound), and only the table poll of an ACTIVE table tags.
	var tags map[string]string
	if t.Status == core.TableActive {
		if tags, err = db.ListTags(ctx, t.Arn); err != nil {
			return core.Table{}, fmt.Errorf("read tags of existing %s in %s: %w", temp, in.Region, err)
		}
	}
	switch {
	case tags[core.TagOwner] == "" && t.RestoredFrom == in.BackupArn:
		return t, nil // restored by an earlier attempt of this step
	case tags[core.TagOwner] == "" && core.RestoredAsTemp(t):
		// Another run restored this source table and has not tagged the
		// table yet.
		return core.Table{}, &core.TableInProgressElsewhere{Table: in.SourceTable, Region: in.Region}
	case tags[core.TagOwner] == "":
		return core.Table{}, &core.TableNotOwned{Table: temp, Region: in.Region, Reason: "the temporary name is taken by a table without the tool's tags"}
	case core.OwnershipProblem(t, tags) != "":
		return core.Table{}, &core.TableNotOwned{Table: temp, Region: in.Region, Reason: core.OwnershipProblem(t, tags)}
	case tags[core.TagRunID] == in.RunID:
		return t, nil
	}
	return core.Table{}, &core.TableInProgressElsewhere{Table: in.SourceTable, Region: in.Region, RunID: tags[core.TagRunID]}
}
