package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// RestorePlanner is the part of DynamoDB, in the target region, that
// PlanRestore needs.
type RestorePlanner interface {
	Entries(ctx context.Context, catalog, sourceRegion, sourceTable string) ([]core.CatalogEntry, int, error)
	CopyStatusReader
	ListBackups(ctx context.Context, table string, since time.Time) ([]core.BackupInfo, error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
}

// PlanRestoreInput is the restore execution's input with the run's identity.
type PlanRestoreInput struct {
	Input     json.RawMessage `json:"input"`
	RunID     string          `json:"runId"`
	StartedAt time.Time       `json:"startedAt"`
}

// RestorePlan is what the restore will do: the execution's state after
// PlanRestore, and the output of a dry run. Its tables are in the run
// ledger, one item record per table (core.LedgerItemKey), so that the plan
// of 10,000 tables with 255-character names stays small: Items are their
// indices, the Distributed Map's items.
type RestorePlan struct {
	RunID            string     `json:"runId"`
	StartedAt        time.Time  `json:"startedAt"`
	TargetRegion     string     `json:"targetRegion"`
	SourceRegion     string     `json:"sourceRegion,omitempty"`
	PointInTime      *time.Time `json:"pointInTime,omitempty"`
	ApplySettings    bool       `json:"applySettings"`
	DryRun           bool       `json:"dryRun"`
	PollLimitMinutes int        `json:"pollLimitMinutes"`
	// Items are the indices of the tables to restore (none in a dry run),
	// Tables how many there are, and Concurrency how many restore at once.
	Items       []int `json:"items"`
	Tables      int   `json:"tables"`
	Concurrency int   `json:"concurrency"`
	// Restores, in a dry run, lists as many planned tables as fit the
	// output (maxPlanListBytes); MoreRestores counts the others, and
	// FullPlan says where every one is.
	Restores     []PlannedRestore `json:"restores,omitempty"`
	MoreRestores int              `json:"moreRestores,omitempty"`
	FullPlan     string           `json:"fullPlan,omitempty"`
	// CatalogProblem says why backups were looked up by name, and which
	// tables restore without their settings; empty when none do. It is
	// always present, for the report.
	CatalogProblem string `json:"catalogProblem"`
	// Availability, in a dry run, says when the planned backups are
	// checked: when each table's restore starts, not by the plan.
	Availability string `json:"availability,omitempty"`
}

// PlannedRestore is one table of a restore plan, as a dry run shows it.
type PlannedRestore struct {
	Table           string    `json:"table"`
	SourceRegion    string    `json:"sourceRegion,omitempty"`
	Target          string    `json:"target"`
	BackupArn       string    `json:"backupArn"`
	BackupName      string    `json:"backupName"`
	BackupCreatedAt time.Time `json:"backupCreatedAt"`
	// FoundBy is "catalog", or "backup-name" when the catalog had no entry
	// and the backup was found by the tool's name marker (no settings then).
	FoundBy string `json:"foundBy"`
	// CurrentAsOf, when a backup run proved the table unchanged after this
	// copy (a skip), is how far: the restored data is the table's as of then.
	CurrentAsOf time.Time `json:"currentAsOf,omitzero"`
}

// RestoreItem is one table to restore, the run ledger's item record: what
// StartRestore and FinishRestore need, the settings to reapply included
// (Manifest is nil for a backup found by its name).
type RestoreItem struct {
	PlannedRestore
	Manifest *core.Manifest `json:"manifest,omitempty"`
	// PointInTime is the restore's point in time, if it has one.
	PointInTime *time.Time `json:"pointInTime,omitempty"`
	// Fallbacks are the next older backups at or before the point in
	// time, newest first, at most maxFallbacks: StartRestore restores the
	// first that is still there if the chosen backup is gone.
	Fallbacks []FallbackBackup `json:"fallbacks,omitempty"`
}

// FallbackBackup is a backup to restore a table from if the newer ones
// planned before it are gone when the restore starts.
type FallbackBackup struct {
	BackupArn       string         `json:"backupArn"`
	BackupName      string         `json:"backupName"`
	BackupCreatedAt time.Time      `json:"backupCreatedAt"`
	FoundBy         string         `json:"foundBy"`
	Manifest        *core.Manifest `json:"manifest,omitempty"`
}

// maxFallbacks bounds the older backups a table's item carries, so that
// the item stays small (each may carry a manifest).
const maxFallbacks = 3

// availability is what a dry run says about the backups it lists. The plan
// does not describe them: DescribeBackup is limited to 10 calls a second
// (Amazon DynamoDB API Reference, DescribeBackup,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeBackup.html),
// 1,000 seconds for 10,000 tables, past a Lambda invocation; and a restore
// of many tables runs for hours while the backup workflow keeps pruning, so
// only the check at the restore's start means anything.
var availability = fmt.Sprintf("each backup is as the catalog (or, without it, ListBackups) recorded it; "+
	"whether it is still there is checked when its table's restore starts, and if it is gone by then, "+
	"the next older backup at or before the point in time is restored instead (up to %d), which the report says", maxFallbacks)

// restoreConcurrency is how many tables a restore works on at once: at most
// 40 restores in progress leaves room, under the account's "up to 50
// concurrent restores (any type of restore)" (Amazon DynamoDB API
// Reference, RestoreTableFromBackup,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_RestoreTableFromBackup.html),
// for the backup workflow and for people; a restore past the quota is
// retried (QuotaExceeded).
const restoreConcurrency = 40

// maxPlanListBytes bounds the planned tables a dry run lists, so that its
// output stays far under Step Functions' 256 KiB per state
// ("Step Functions service quotas",
// https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
const maxPlanListBytes = 192 << 10

// PlanRestore validates a restore request completely, finds each table's
// backup in the target region, and refuses with one message listing every
// problem. It changes no table or backup: it writes the plan, one item
// record per table, to the run ledger (a refused plan writes nothing).
type PlanRestore struct {
	// Ledger is the run ledger the plan's items are written to.
	Ledger Ledger
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
	if in.RunID == "" {
		return RestorePlan{}, &core.InvalidInput{Field: "runId", Problem: "is required"}
	}
	plan := RestorePlan{
		RunID: in.RunID, StartedAt: in.StartedAt, TargetRegion: region, SourceRegion: req.SourceRegion,
		ApplySettings: req.Apply(), DryRun: req.DryRun, PollLimitMinutes: h.PollLimitMinutes, Items: []int{}, Concurrency: restoreConcurrency,
	}
	if !pit.IsZero() {
		plan.PointInTime = &pit
	}
	db := h.Clients(region)
	found, err := h.findBackups(ctx, db, req, &plan)
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
	var items []RestoreItem
	for _, table := range tables {
		if sources := sourceRegions(found[table]); len(sources) > 1 {
			problems.Add("tables: %q was copied into %s from %d source regions (%s); set sourceRegion to the one to restore from",
				table, region, len(sources), strings.Join(sources, ", "))
			continue
		}
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
		items = append(items, item)
	}
	if err := problems.Err("input"); err != nil {
		return RestorePlan{}, err
	}
	h.currentAsOf(ctx, db, items)
	if byName := countFoundByName(items); byName > 0 && plan.CatalogProblem == "" {
		plan.CatalogProblem = fmt.Sprintf("%d table(s) restore from a backup that has no catalog entry, without their settings", byName)
	}
	if err := h.record(ctx, &plan, items); err != nil {
		return RestorePlan{}, err
	}
	slog.InfoContext(ctx, "restore planned", "runId", in.RunID, "region", region, "tables", plan.Tables, "dryRun", plan.DryRun)
	return plan, nil
}

// record writes one item record per table to the run ledger, and puts
// their indices in the plan; a dry run's plan lists the tables instead, as
// many as fit, and says where the full plan is.
func (h *PlanRestore) record(ctx context.Context, plan *RestorePlan, items []RestoreItem) error {
	records := make([]core.LedgerRecord, len(items))
	for i, item := range items {
		r, err := record(core.LedgerItemKey(i), item)
		if err != nil {
			return err
		}
		records[i] = r
	}
	if err := h.Ledger.put(ctx, plan.RunID, h.Now.now(), records...); err != nil {
		return err
	}
	plan.Tables = len(items)
	if !plan.DryRun {
		for i := range items {
			plan.Items = append(plan.Items, i)
		}
		return nil
	}
	plan.Availability = availability
	budget := maxPlanListBytes
	for i, item := range items {
		b, _ := json.Marshal(item.PlannedRestore)
		if budget -= len(b) + 1; budget < 0 {
			plan.MoreRestores = len(items) - i
			break
		}
		plan.Restores = append(plan.Restores, item.PlannedRestore)
	}
	plan.FullPlan = fmt.Sprintf("every planned table is in the run ledger: table %s in %s, partition %q, items %q to %q",
		h.Ledger.Table, plan.TargetRegion, core.LedgerRun(plan.RunID), core.LedgerItemKey(0), core.LedgerItemKey(max(len(items)-1, 0)))
	return nil
}

// sourceRegions lists the source regions that entries were copied from
// (those found by their name have none).
func sourceRegions(entries []core.CatalogEntry) []string {
	var out []string
	for _, e := range entries {
		if e.SourceRegion != "" && !slices.Contains(out, e.SourceRegion) {
			out = append(out, e.SourceRegion)
		}
	}
	slices.Sort(out)
	return out
}

// findBackups returns the candidate backups per source table: the catalog's
// entries, or, when the catalog is missing, damaged, empty or without an
// entry for a named table, the tool's backups found by their name marker.
// With a source region and named tables, it queries each table's entries;
// otherwise it reads the whole catalog once.
func (h *PlanRestore) findBackups(ctx context.Context, db RestorePlanner, req core.RestoreInput, plan *RestorePlan) (map[string][]core.CatalogEntry, error) {
	tables := req.Tables
	found := map[string][]core.CatalogEntry{}
	var notFound *core.TableNotFound
	all := slices.Contains(tables, core.AllTables)
	damaged := 0
	catalogMissing := false
	if all || req.SourceRegion == "" {
		entries, bad, err := db.Entries(ctx, h.CatalogTable, req.SourceRegion, "")
		switch {
		case errors.As(err, &notFound):
			catalogMissing = true
		case err != nil:
			return nil, fmt.Errorf("read catalog %s in %s: %w", h.CatalogTable, plan.TargetRegion, err)
		}
		damaged += bad
		for _, e := range entries {
			if all || slices.Contains(tables, e.SourceTable) {
				found[e.SourceTable] = append(found[e.SourceTable], e)
			}
		}
	} else {
		for _, t := range tables {
			entries, bad, err := db.Entries(ctx, h.CatalogTable, req.SourceRegion, t)
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
	// A catalog that reads whole answers for the tables it has: for every
	// table ("*") when it has any entry, else for the named tables. Listing
	// the backups by name costs a ListBackups call (5 a second) per 100
	// backups of the region: with a week of hourly copies of 10,000 tables,
	// about an hour (Amazon DynamoDB API Reference, ListBackups,
	// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListBackups.html).
	if plan.CatalogProblem == "" && ((all && len(found) > 0) || (!all && !anyEmpty(found, tables))) {
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
		// The temporary table's name hashes its source region and table,
		// so a backup from another source region is told apart.
		if req.SourceRegion != "" && !core.IsShortenedTable(table) && b.Table != core.TempTableName(req.SourceRegion, table) {
			continue
		}
		found[table] = append(found[table], core.CatalogEntry{
			SourceTable: table, BackupArn: b.Arn, BackupName: b.Name, BackupCreatedAt: parsed.Timestamp, SizeBytes: b.SizeBytes,
		})
	}
	return found, nil
}

// planTable chooses one table's backup, and the older ones to fall back
// on, and checks its target. It returns a problem for the user to fix, or
// an error from DynamoDB. It trusts the catalog (or ListBackups) that each
// backup is there; StartRestore finds out.
func (h *PlanRestore) planTable(ctx context.Context, db RestorePlanner, table string, candidates []core.CatalogEntry, pit time.Time, req core.RestoreInput, region string) (RestoreItem, string, error) {
	if core.IsShortenedTable(table) {
		return RestoreItem{}, fmt.Sprintf("tables: a backup of a table whose name is too long to recover from the backup name (%s...) was found without a catalog entry; name that table in tables", table[:40]), nil
	}
	if len(candidates) == 0 {
		return RestoreItem{}, fmt.Sprintf("tables: %q has no backup made by this tool in %s; check the name", table, region), nil
	}
	e, ok := core.ChooseBackup(candidates, pit)
	if !ok {
		oldest := slices.MinFunc(candidates, func(a, b core.CatalogEntry) int { return a.BackupCreatedAt.Compare(b.BackupCreatedAt) })
		return RestoreItem{}, fmt.Sprintf("tables: %q has no backup at or before %s in %s; its oldest is from %s", table, pit.Format(time.RFC3339), region, oldest.BackupCreatedAt.Format(time.RFC3339)), nil
	}
	item := RestoreItem{PlannedRestore: PlannedRestore{
		Table: table, SourceRegion: e.SourceRegion, Target: req.TargetName(table), BackupArn: e.BackupArn, BackupName: e.BackupName,
		BackupCreatedAt: e.BackupCreatedAt, FoundBy: foundBy(e),
	}, Manifest: e.Manifest, Fallbacks: fallbacks(candidates, e)}
	if !pit.IsZero() {
		item.PointInTime = &pit
	}
	if err := core.ValidateName("target name of "+table, item.Target); err != nil {
		var bad *core.InvalidInput
		errors.As(err, &bad)
		return RestoreItem{}, bad.Field + ": " + bad.Problem + "; set targetNames for it", nil
	}
	_, err := db.DescribeTable(ctx, item.Target)
	var missing *core.TableNotFound
	switch {
	case err == nil:
		return RestoreItem{}, fmt.Sprintf("target table %q already exists in %s; a restore never overwrites: choose another name with nameSuffix or targetNames", item.Target, region), nil
	case !errors.As(err, &missing):
		return RestoreItem{}, "", fmt.Errorf("check target %s in %s: %w", item.Target, region, err)
	}
	return item, "", nil
}

// foundBy says where a backup was found: "catalog", or "backup-name" when
// the catalog had no entry and it was found by the tool's name marker (no
// settings then).
func foundBy(e core.CatalogEntry) string {
	if e.Manifest == nil && e.RunID == "" {
		return "backup-name"
	}
	return "catalog"
}

// fallbacks are the candidates older than chosen, newest first, at most
// maxFallbacks of them.
func fallbacks(candidates []core.CatalogEntry, chosen core.CatalogEntry) []FallbackBackup {
	older := slices.DeleteFunc(slices.Clone(candidates), func(c core.CatalogEntry) bool {
		return c.BackupArn == chosen.BackupArn || c.BackupCreatedAt.After(chosen.BackupCreatedAt)
	})
	slices.SortStableFunc(older, func(a, b core.CatalogEntry) int { return b.BackupCreatedAt.Compare(a.BackupCreatedAt) })
	var out []FallbackBackup
	for _, c := range older[:min(len(older), maxFallbacks)] {
		out = append(out, FallbackBackup{BackupArn: c.BackupArn, BackupName: c.BackupName, BackupCreatedAt: c.BackupCreatedAt, FoundBy: foundBy(c), Manifest: c.Manifest})
	}
	return out
}

// currentAsOf reads, per source region, the copy status the backup runs
// keep in the catalog, and gives each item whose backup is its table's
// newest copy the time a later skip proved that copy current as of. It is
// a report, not a choice: without it (an old catalog, a read that fails)
// the restore goes on, reporting the backup's own time.
func (h *PlanRestore) currentAsOf(ctx context.Context, db RestorePlanner, items []RestoreItem) {
	bySource := map[string][]int{}
	for i, it := range items {
		if it.FoundBy == "catalog" && it.SourceRegion != "" {
			bySource[it.SourceRegion] = append(bySource[it.SourceRegion], i)
		}
	}
	for source, idx := range bySource {
		status := map[string]core.CopyStatus{}
		err := db.CopyStatuses(ctx, h.CatalogTable, source, func(s core.CopyStatus) error {
			status[s.Table] = s
			return nil
		})
		if err != nil {
			slog.WarnContext(ctx, "copy status unreadable: restores report their backups' own times", "sourceRegion", source, "error", err)
			continue
		}
		for _, i := range idx {
			s, ok := status[items[i].Table]
			if ok && s.DataTime.Equal(items[i].BackupCreatedAt) && s.CurrentAsOf.After(s.DataTime) {
				items[i].CurrentAsOf = s.CurrentAsOf
			}
		}
	}
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
