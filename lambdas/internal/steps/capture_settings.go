package steps

import (
	"cmp"
	"context"
	"fmt"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// SettingsReader is the part of DynamoDB that CaptureSettings needs.
type SettingsReader interface {
	ReadSettings(ctx context.Context, table string) (core.Manifest, error)
}

// CaptureSettingsInput names the source table whose settings to record.
type CaptureSettingsInput struct {
	Region string `json:"region"`
	Table  string `json:"table"`
}

// CaptureSettings reads the settings a backup does not carry (TTL, stream,
// PITR, tags, deletion protection, table class, billing), at backup time.
type CaptureSettings struct {
	Clients func(region string) SettingsReader
	Now     Clock
}

func (h *CaptureSettings) Handle(ctx context.Context, in CaptureSettingsInput) (core.Manifest, error) {
	if err := cmp.Or(core.ValidateRegion("region", in.Region), core.ValidateName("table", in.Table)); err != nil {
		return core.Manifest{}, err
	}
	m, err := h.Clients(in.Region).ReadSettings(ctx, in.Table)
	if err != nil {
		return core.Manifest{}, fmt.Errorf("read settings of %s in %s: %w", in.Table, in.Region, err)
	}
	m.CapturedAt = h.Now.now()
	return m, nil
}
