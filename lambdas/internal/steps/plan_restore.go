package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// RestorePlanner is the part of DynamoDB, in the target region, that
// PlanRestore needs.
type RestorePlanner interface {
	Entries(ctx context.Context, catalog, sourceTable string) ([]core.CatalogEntry, int, error)
	ListBackups(ctx context.Context, table string, since time.Time) ([]core.BackupInfo, error)
	DescribeBackup(ctx context.Context, arn string) (core.BackupInfo, error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
}

// PlanRestoreInput is the restore execution's input with the run's identity.
type PlanRestoreInput struct {
	Input     json.RawMessage `json:"input"`
	RunID     string          `json:"runId"`
	StartedAt time.Time       `json:"startedAt"`
}

// RestorePlan is what the restore will do. It is the output of a dry run.
type RestorePlan struct {
	RunID            string        `json:"runId"`
	StartedAt        time.Time     `json:"startedAt"`
	TargetRegion     string        `json:"targetRegion"`
	CatalogTable     string        `json:"catalogTable"`
	PointInTime      *time.Time    `json:"pointInTime,omitempty"`
	ApplySettings    bool          `json:"applySettings"`
	DryRun           bool          `json:"dryRun"`
	PollLimitMinutes int           `json:"pollLimitMinutes"`
	Items            []RestoreItem `json:"items"`
	// CatalogProblem says why backups were looked up by name, and which
	// tables restore without their settings; empty when none do. It is
	// always present, for the report.
	CatalogProblem string `json:"catalogProblem"`
}

// RestoreItem is one table to restore: a Map item.
type RestoreItem struct {
	Table           string    `json:"table"`
	Target          string    `json:"target"`
	BackupArn       string    `json:"backupArn"`
	BackupName      string    `json:"backupName"`
	BackupCreatedAt time.Time `json:"backupCreatedAt"`
	// FoundBy is "catalog", or "backup-name" when the catalog had no entry
	// and the backup was found by the tool's name marker (no settings then).
	FoundBy string `json:"foundBy"`
}

// PlanRestore validates a restore request completely, finds each table's
// backup in the target region, and refuses with one message listing every
// problem. It changes nothing.
type PlanRestore struct {
	// DefaultRegion is the target when the input names none.
	DefaultRegion string
	CatalogTable  string
	// DefaultsErr reports an invalid environment.
	DefaultsErr      error
	PollLimitMinutes int
	Clients          func(region string) RestorePlanner
	Now              Clock
}

func (h *PlanRestore) Handle(ctx context.Context, in PlanRestoreInput) (RestorePlan, error) {
	if h.DefaultsErr != nil {
		return RestorePlan{}, h.DefaultsErr
	}
	var req core.RestoreInput
	if err := core.DecodeStrict(in.Input, &req); err != nil {
		return RestorePlan{}, err
	}
	var problems core.Problems
	pit := req.Validate(h.Now.now(), &problems)
	region := req.TargetRegion
	if region == "" {
		region = h.DefaultRegion
		if err := core.ValidateRegion("targetRegion", region); err != nil {
			problems.Add("targetRegion: not given, and the function has no region of its own (AWS_REGION) to default to")
		}
	}
	if err := problems.Err("input"); err != nil {
		return RestorePlan{}, err
	}
	plan := RestorePlan{
		RunID: in.RunID, StartedAt: in.StartedAt, TargetRegion: region, CatalogTable: h.CatalogTable,
		ApplySettings: req.Apply(), DryRun: req.DryRun, PollLimitMinutes: h.PollLimitMinutes, Items: []RestoreItem{},
	}
	if !pit.IsZero() {
		plan.PointInTime = &pit
	}
	db := h.Clients(region)
	found, err := h.findBackups(ctx, db, req.Tables, &plan)
	if err != nil {
		return RestorePlan{}, err
	}
	tables := req.Tables
	if slices.Contains(tables, core.AllTables) {
		tables = sortedKeys(found)
		if len(tables) == 0 {
			problems.Add("tables: there are no backups made by this tool in %s", region)
		}
		// Validate could not check these keys before the tables were known.
		for _, source := range sortedKeys(req.TargetNames) {
			if len(found[source]) == 0 && len(found[core.BackupNameTable(source)]) == 0 {
				problems.Add("targetNames: %q has no backup made by this tool in %s; check the name", source, region)
			}
		}
	}
	targets := map[string]string{}
	for _, table := range tables {
		item, problem, err := h.planTable(ctx, db, table, found[table], pit, req, region)
		if err != nil {
			return RestorePlan{}, err
		}
		if problem != "" {
			problems.Add("%s", problem)
			continue
		}
		if other, dup := targets[item.Target]; dup {
			problems.Add("tables %q and %q would both be restored as %q; set targetNames", other, table, item.Target)
			continue
		}
		targets[item.Target] = table
		plan.Items = append(plan.Items, item)
	}
	if err := problems.Err("input"); err != nil {
		return RestorePlan{}, err
	}
	if byName := countFoundByName(plan.Items); byName > 0 && plan.CatalogProblem == "" {
		plan.CatalogProblem = fmt.Sprintf("%d table(s) restore from a backup that has no catalog entry, without their settings", byName)
	}
	slog.InfoContext(ctx, "restore planned", "runId", in.RunID, "region", region, "tables", len(plan.Items), "dryRun", plan.DryRun)
	return plan, nil
}

// findBackups returns the candidate backups per source table: the catalog's
// entries, or, when the catalog is missing or damaged, the tool's backups
// found by their name marker.
func (h *PlanRestore) findBackups(ctx context.Context, db RestorePlanner, tables []string, plan *RestorePlan) (map[string][]core.CatalogEntry, error) {
	found := map[string][]core.CatalogEntry{}
	var notFound *core.TableNotFound
	all := slices.Contains(tables, core.AllTables)
	damaged := 0
	catalogMissing := false
	if all {
		entries, bad, err := db.Entries(ctx, h.CatalogTable, "")
		switch {
		case errors.As(err, &notFound):
			catalogMissing = true
		case err != nil:
			return nil, fmt.Errorf("read catalog %s in %s: %w", h.CatalogTable, plan.TargetRegion, err)
		}
		damaged += bad
		for _, e := range entries {
			found[e.SourceTable] = append(found[e.SourceTable], e)
		}
	} else {
		for _, t := range tables {
			entries, bad, err := db.Entries(ctx, h.CatalogTable, t)
			if errors.As(err, &notFound) {
				catalogMissing = true
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read catalog %s in %s: %w", h.CatalogTable, plan.TargetRegion, err)
			}
			damaged += bad
			found[t] = entries
		}
	}
	switch {
	case catalogMissing:
		plan.CatalogProblem = fmt.Sprintf("catalog table %s does not exist in %s; backups were found by name, without their settings", h.CatalogTable, plan.TargetRegion)
	case damaged > 0:
		plan.CatalogProblem = fmt.Sprintf("%d catalog entries could not be read; backups were also found by name", damaged)
	}
	if plan.CatalogProblem == "" && !all && !anyEmpty(found, tables) {
		return found, nil
	}
	// Look the backups up by their name marker, for the tables the catalog
	// could not answer for.
	backups, err := db.ListBackups(ctx, "", time.Time{})
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", plan.TargetRegion, err)
	}
	known := map[string]bool{}
	for _, entries := range found {
		for _, e := range entries {
			known[e.BackupArn] = true
		}
	}
	for _, b := range backups {
		parsed, ok := core.ParseBackupName(b.Name)
		if !ok || b.Type != core.BackupTypeUser || b.Status != core.BackupStatusAvail || known[b.Arn] || !core.IsTempTableName(b.Table) {
			continue
		}
		table := parsed.Table
		for _, t := range tables {
			if t != core.AllTables && core.BackupNameTable(t) == parsed.Table {
				table = t
			}
		}
		found[table] = append(found[table], core.CatalogEntry{
			SourceTable: table, BackupArn: b.Arn, BackupName: b.Name, BackupCreatedAt: parsed.Timestamp, SizeBytes: b.SizeBytes,
		})
	}
	return found, nil
}

// planTable chooses one table's backup and checks its target. It returns a
// problem for the user to fix, or an error from DynamoDB.
func (h *PlanRestore) planTable(ctx context.Context, db RestorePlanner, table string, candidates []core.CatalogEntry, pit time.Time, req core.RestoreInput, region string) (RestoreItem, string, error) {
	if core.IsShortenedTable(table) {
		return RestoreItem{}, fmt.Sprintf("tables: a backup of a table whose name is too long to recover from the backup name (%s...) was found without a catalog entry; name that table in tables", table[:40]), nil
	}
	var notFound *core.BackupNotFound
	for len(candidates) > 0 {
		e, ok := core.ChooseBackup(candidates, pit)
		if !ok {
			oldest := slices.MinFunc(candidates, func(a, b core.CatalogEntry) int { return a.BackupCreatedAt.Compare(b.BackupCreatedAt) })
			return RestoreItem{}, fmt.Sprintf("tables: %q has no backup at or before %s in %s; its oldest is from %s", table, pit.Format(time.RFC3339), region, oldest.BackupCreatedAt.Format(time.RFC3339)), nil
		}
		b, err := db.DescribeBackup(ctx, e.BackupArn)
		if err != nil && !errors.As(err, &notFound) {
			return RestoreItem{}, "", fmt.Errorf("describe backup %s: %w", e.BackupArn, err)
		}
		if err != nil || b.Status != core.BackupStatusAvail {
			candidates = slices.DeleteFunc(candidates, func(c core.CatalogEntry) bool { return c.BackupArn == e.BackupArn })
			continue // a catalog entry whose backup was pruned or is unusable
		}
		foundBy := "catalog"
		if e.Manifest == nil && e.RunID == "" {
			foundBy = "backup-name"
		}
		item := RestoreItem{Table: table, Target: req.TargetName(table), BackupArn: e.BackupArn, BackupName: e.BackupName, BackupCreatedAt: e.BackupCreatedAt, FoundBy: foundBy}
		if err := core.ValidateName("target name of "+table, item.Target); err != nil {
			var bad *core.InvalidInput
			errors.As(err, &bad)
			return RestoreItem{}, bad.Field + ": " + bad.Problem + "; set targetNames for it", nil
		}
		_, err = db.DescribeTable(ctx, item.Target)
		var missing *core.TableNotFound
		switch {
		case err == nil:
			return RestoreItem{}, fmt.Sprintf("target table %q already exists in %s; a restore never overwrites: choose another name with nameSuffix or targetNames", item.Target, region), nil
		case !errors.As(err, &missing):
			return RestoreItem{}, "", fmt.Errorf("check target %s in %s: %w", item.Target, region, err)
		}
		return item, "", nil
	}
	return RestoreItem{}, fmt.Sprintf("tables: %q has no backup made by this tool in %s; check the name", table, region), nil
}

func countFoundByName(items []RestoreItem) int {
	n := 0
	for _, it := range items {
		if it.FoundBy == "backup-name" {
			n++
		}
	}
	return n
}

func anyEmpty(found map[string][]core.CatalogEntry, tables []string) bool {
	for _, t := range tables {
		if len(found[t]) == 0 {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
