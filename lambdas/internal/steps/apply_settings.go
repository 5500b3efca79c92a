package steps

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// SettingsApplier is the part of DynamoDB that reapplying a restored
// table's settings needs.
type SettingsApplier interface {
	ReadSettings(ctx context.Context, table string) (core.Manifest, error)
	TagTable(ctx context.Context, arn string, tags map[string]string) error
	EnableTTL(ctx context.Context, table, attribute string) error
	SetPITR(ctx context.Context, table string, enabled bool, days int32) error
	UpdateTable(ctx context.Context, table string, u core.TableUpdate) error
}

// settleWait is the wait after an UpdateTable, while the table is UPDATING.
const settleWait = 5

// applySettings brings an ACTIVE restored table t's settings closer to the
// manifest want: tags, TTL and PITR at once, then one UpdateTable (billing,
// table class, stream, deletion protection), since the table is UPDATING
// until it settles. It returns the settings applied so far (applied and
// this call's) and whether the table now matches; it is idempotent.
func applySettings(ctx context.Context, db SettingsApplier, region string, t core.Table, want core.Manifest, applied []string) ([]string, bool, error) {
	applied = slices.Clone(applied)
	have, err := db.ReadSettings(ctx, t.Name)
	if err != nil {
		return applied, false, fmt.Errorf("read settings of %s in %s: %w", t.Name, region, err)
	}
	d := core.Diff(have, want)
	step := func(name string, err error) error {
		if err != nil {
			return fmt.Errorf("apply %s to %s in %s: %w", name, t.Name, region, err)
		}
		if !slices.Contains(applied, name) {
			applied = append(applied, name)
		}
		slog.InfoContext(ctx, "setting reapplied", "table", want.SourceTable, "target", t.Name, "region", region, "setting", name)
		return nil
	}
	if len(d.Tags) > 0 {
		if err := step("tags", db.TagTable(ctx, t.Arn, d.Tags)); err != nil {
			return applied, false, err
		}
	}
	if d.TTL {
		if err := step("ttl", db.EnableTTL(ctx, t.Name, want.TTLAttribute)); err != nil {
			return applied, false, err
		}
	}
	if d.PITR {
		if err := step("pitr", db.SetPITR(ctx, t.Name, want.PITREnabled, want.PITRRecoveryDays)); err != nil {
			return applied, false, err
		}
	}
	var update *core.TableUpdate
	var name string
	switch {
	case d.Billing:
		update, name = &core.TableUpdate{BillingMode: want.BillingMode, ReadCapacity: want.ReadCapacity, WriteCapacity: want.WriteCapacity, IndexCapacity: want.IndexCapacity}, "billing"
	case d.TableClass:
		update, name = &core.TableUpdate{TableClass: want.TableClass}, "tableClass"
	case d.Stream:
		update, name = &core.TableUpdate{Stream: &core.StreamSetting{Enabled: want.StreamEnabled, ViewType: want.StreamViewType}}, "stream"
	case d.DeletionProtection:
		update, name = &core.TableUpdate{DeletionProtection: &want.DeletionProtection}, "deletionProtection"
	}
	if update == nil {
		return applied, true, nil
	}
	return applied, false, step(name, db.UpdateTable(ctx, t.Name, *update))
}
