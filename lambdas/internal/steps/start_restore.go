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

// TargetRestorer is the part of DynamoDB that StartRestore needs.
type TargetRestorer interface {
	RestoreTable(ctx context.Context, req core.RestoreRequest) (core.Table, error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
}

// StartRestoreInput restores one planned table of a restore execution.
type StartRestoreInput struct {
	Region       string `json:"region"`
	CatalogTable string `json:"catalogTable"`
	RestoreItem
}

// StartRestoreOutput names the table being restored.
type StartRestoreOutput struct {
	Target   string    `json:"target"`
	TableArn string    `json:"tableArn"`
	Since    time.Time `json:"since"`
	Resumed  bool      `json:"resumed,omitempty"`
}

// StartRestore is the restore workflow's restore: it brings one planned
// table back from its cross-region backup under the target name. (The
// backup workflow's restore of a temporary table is RestoreTemporaryTable.)
type StartRestore struct {
	Clients func(region string) TargetRestorer
	Now     Clock
}

func (h *StartRestore) Handle(ctx context.Context, in StartRestoreInput) (StartRestoreOutput, error) {
	if err := cmp.Or(core.ValidateRegion("region", in.Region), core.ValidateName("target", in.Target)); err != nil {
		return StartRestoreOutput{}, err
	}
	db := h.Clients(in.Region)
	// The table keeps the backup's billing (the copy was made on-demand);
	// ApplySettings sets the source's billing and capacities afterwards,
	// indexes included.
	req := core.RestoreRequest{BackupArn: in.BackupArn, TargetTable: in.Target}
	out := StartRestoreOutput{Target: in.Target, Since: h.Now.now()}
	t, err := db.RestoreTable(ctx, req)
	if errors.Is(err, core.ErrTableExists) {
		// Only a retry of this very restore may carry on; anything else
		// is someone's table and is never overwritten.
		t, err = db.DescribeTable(ctx, in.Target)
		if err == nil && t.RestoredFrom != in.BackupArn {
			return StartRestoreOutput{}, &core.TableNotOwned{Table: in.Target, Region: in.Region, Reason: "a table of the target name appeared after the plan was made; it was not overwritten"}
		}
		out.Resumed = true
		if err == nil && !t.Created.IsZero() {
			out.Since = t.Created
		}
	}
	if err != nil {
		return StartRestoreOutput{}, fmt.Errorf("restore %s as %s in %s: %w", in.BackupArn, in.Target, in.Region, err)
	}
	out.TableArn = t.Arn
	slog.InfoContext(ctx, "restore started", "table", in.Table, "target", in.Target, "region", in.Region, "backupArn", in.BackupArn, "resumed", out.Resumed)
	return out, nil
}
