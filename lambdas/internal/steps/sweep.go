package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// Sweeper is the part of DynamoDB that Sweep needs.
type Sweeper interface {
	TableDeleter
	ListTableNames(ctx context.Context) ([]string, error)
	// TagTable adopts an untagged orphan.
	TagTable(ctx context.Context, arn string, tags map[string]string) error
}

// SweepInput names the regions to clean and the age past which an owned
// temporary table counts as left behind by a crashed run.
type SweepInput struct {
	Regions         []string `json:"regions"`
	SweepAfterHours int      `json:"sweepAfterHours"`
	DryRun          bool     `json:"dryRun,omitempty"`
}

// SweepOutput lists the orphans removed (or, in a dry run, found).
type SweepOutput struct {
	Deleted []SweptTable `json:"deleted"`
	// Adopted lists orphans that had lost their tags' race: they are tagged
	// now and deleted by the next sweep.
	Adopted []SweptTable `json:"adopted"`
	// Young counts temporary tables not yet old enough to sweep, or not
	// ACTIVE: most likely another run's work in progress.
	Young int `json:"young"`
	// NotOwned counts tables with the temporary prefix that failed the
	// ownership checks; they are left alone.
	NotOwned int `json:"notOwned"`
}

// SweptTable is one removed orphan.
type SweptTable struct {
	Region string `json:"region"`
	Table  string `json:"table"`
}

// Sweep removes owned temporary tables older than the bound.
type Sweep struct {
	Clients func(region string) Sweeper
	Now     Clock
}

func (h *Sweep) Handle(ctx context.Context, in SweepInput) (SweepOutput, error) {
	if in.SweepAfterHours < 1 {
		return SweepOutput{}, &core.InvalidInput{Field: "sweepAfterHours", Problem: "must be at least 1"}
	}
	if len(in.Regions) == 0 {
		return SweepOutput{}, &core.InvalidInput{Field: "regions", Problem: "name at least one destination region to sweep"}
	}
	out := SweepOutput{Deleted: []SweptTable{}, Adopted: []SweptTable{}}
	cutoff := h.Now.now().Add(-time.Duration(in.SweepAfterHours) * time.Hour)
	for _, region := range in.Regions {
		if err := core.ValidateRegion("regions", region); err != nil {
			return out, err
		}
		if err := h.sweepRegion(ctx, region, cutoff, in.DryRun, &out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (h *Sweep) sweepRegion(ctx context.Context, region string, cutoff time.Time, dryRun bool, out *SweepOutput) error {
	db := h.Clients(region)
	names, err := db.ListTableNames(ctx)
	if err != nil {
		return fmt.Errorf("list tables in %s: %w", region, err)
	}
	var notFound *core.TableNotFound
	var notOwned *core.TableNotOwned
	for _, name := range names {
		if !core.IsTempTableName(name) {
			continue
		}
		t, err := db.DescribeTable(ctx, name)
		if errors.As(err, &notFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("describe %s in %s: %w", name, region, err)
		}
		if t.Status != core.TableActive || !t.Created.Before(cutoff) {
			out.Young++
			continue
		}
		switch owner, err := ownership(ctx, db, t, region, ""); {
		case errors.As(err, &notOwned):
			slog.WarnContext(ctx, "table with the temporary prefix is not ours; left alone", "table", name, "region", region, "reason", notOwned.Reason)
			out.NotOwned++
			continue
		case err != nil:
			return err
		case owner == adoptable:
			if !dryRun {
				if err := adopt(ctx, db, t, h.Now.now()); err != nil {
					return err
				}
			}
			out.Adopted = append(out.Adopted, SweptTable{Region: region, Table: name})
			continue // deleted by the next sweep, once its tags are visible
		}
		slog.InfoContext(ctx, "sweeping orphaned temporary table", "table", name, "region", region, "created", t.Created, "dryRun", dryRun)
		if !dryRun {
			if _, err := deleteOwned(ctx, db, region, DeleteTableOutput{Table: name}); err != nil {
				return err
			}
		}
		out.Deleted = append(out.Deleted, SweptTable{Region: region, Table: name})
	}
	return nil
}
