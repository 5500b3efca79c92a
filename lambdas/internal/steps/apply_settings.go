package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// CatalogReader is the catalog lookup of one backup.
type CatalogReader interface {
	GetEntry(ctx context.Context, catalog, sourceTable, backupArn string) (core.CatalogEntry, bool, error)
}

// manifestOf returns the settings recorded with a backup, or nil when the
// backup has no catalog entry (found by name) or the catalog is missing.
func manifestOf(ctx context.Context, db CatalogReader, catalog, table, backupArn string) (*core.Manifest, error) {
	e, found, err := db.GetEntry(ctx, catalog, table, backupArn)
	var notFound *core.TableNotFound
	switch {
	case errors.As(err, &notFound) || (err == nil && !found):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read catalog entry of %s: %w", backupArn, err)
	}
	return e.Manifest, nil
}

// SettingsApplier is the part of DynamoDB that ApplySettings needs.
type SettingsApplier interface {
	CatalogReader
	DescribeTable(ctx context.Context, name string) (core.Table, error)
	ReadSettings(ctx context.Context, table string) (core.Manifest, error)
	TagTable(ctx context.Context, arn string, tags map[string]string) error
	EnableTTL(ctx context.Context, table, attribute string) error
	SetPITR(ctx context.Context, table string, enabled bool, days int32) error
	UpdateTable(ctx context.Context, table string, u core.TableUpdate) error
}

// ApplySettingsInput reapplies one restored table's manifest.
type ApplySettingsInput struct {
	Region       string `json:"region"`
	CatalogTable string `json:"catalogTable"`
	RestoreItem
	// Applied is what earlier calls for this table applied; the output
	// carries it on, so that the last call reports every setting.
	Applied []string `json:"applied"`
}

// ApplySettingsOutput says whether the table now matches its manifest.
type ApplySettingsOutput struct {
	Done        bool     `json:"done"`
	WaitSeconds int      `json:"waitSeconds"`
	Applied     []string `json:"applied"`
	// NoManifest is true when the backup has no recorded settings: only
	// the data, keys, indexes and billing came back.
	NoManifest bool `json:"noManifest"`
}

// settleWait is the wait after an UpdateTable, while the table is UPDATING.
const settleWait = 5

// ApplySettings brings a restored table's settings back to the manifest.
// Each call applies what it can and asks to be called again while an
// UpdateTable is in progress; it is idempotent.
type ApplySettings struct {
	Clients func(region string) SettingsApplier
}

func (h *ApplySettings) Handle(ctx context.Context, in ApplySettingsInput) (ApplySettingsOutput, error) {
	if err := core.ValidateRegion("region", in.Region); err != nil {
		return ApplySettingsOutput{}, err
	}
	db := h.Clients(in.Region)
	out := ApplySettingsOutput{Applied: append([]string{}, in.Applied...)}
	want, err := manifestOf(ctx, db, in.CatalogTable, in.Table, in.BackupArn)
	if err != nil || want == nil {
		out.Done, out.NoManifest = err == nil, true
		return out, err
	}
	t, err := db.DescribeTable(ctx, in.Target)
	if err != nil {
		return out, fmt.Errorf("describe %s in %s: %w", in.Target, in.Region, err)
	}
	if t.Status != core.TableActive {
		out.WaitSeconds = settleWait
		return out, nil
	}
	have, err := db.ReadSettings(ctx, in.Target)
	if err != nil {
		return out, fmt.Errorf("read settings of %s in %s: %w", in.Target, in.Region, err)
	}
	d := core.Diff(have, *want)
	step := func(name string, err error) error {
		if err != nil {
			return fmt.Errorf("apply %s to %s in %s: %w", name, in.Target, in.Region, err)
		}
		if !slices.Contains(out.Applied, name) {
			out.Applied = append(out.Applied, name)
		}
		slog.InfoContext(ctx, "setting reapplied", "table", in.Table, "target", in.Target, "region", in.Region, "setting", name)
		return nil
	}
	if len(d.Tags) > 0 {
		if err := step("tags", db.TagTable(ctx, t.Arn, d.Tags)); err != nil {
			return out, err
		}
	}
	if d.TTL {
		if err := step("ttl", db.EnableTTL(ctx, in.Target, want.TTLAttribute)); err != nil {
			return out, err
		}
	}
	if d.PITR {
		if err := step("pitr", db.SetPITR(ctx, in.Target, want.PITREnabled, want.PITRRecoveryDays)); err != nil {
			return out, err
		}
	}
	// One UpdateTable per call: the table is UPDATING until it settles.
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
		out.Done = true
		return out, nil
	}
	if err := step(name, db.UpdateTable(ctx, in.Target, *update)); err != nil {
		return out, err
	}
	out.WaitSeconds = settleWait
	return out, nil
}
