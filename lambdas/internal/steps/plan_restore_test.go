package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

const (
	catalogName = core.DefaultCatalogTable
	restoreRun  = "restore-1"
)

// hoursAgo is a whole-second time, as backup names carry.
func hoursAgo(n int) time.Time { return t0.Add(-time.Duration(n) * time.Hour) }

// xrBackup is one cross-region backup in a destination region: the backup
// of the temporary table, as the backup workflow leaves it.
type xrBackup struct {
	table   string    // the source table
	region  string    // the source region (default src)
	taken   time.Time // when the source backup was taken
	run     string
	catalog bool // recorded in the catalog
}

// addXRBackup adds the backup of b's temporary table to db, named as the
// tool names it, and its catalog entry when b.catalog is set. It returns
// the entry either way.
func addXRBackup(db *fakeDB, b xrBackup) core.CatalogEntry {
	if b.run == "" {
		b.run = "run-" + b.taken.Format(time.RFC3339)
	}
	if b.region == "" {
		b.region = src
	}
	temp := core.TempTableName(b.region, b.table)
	info := db.addBackup(temp, core.BackupInfo{
		Name: core.BackupName(b.table, b.run, b.taken), Created: b.taken.Add(20 * time.Minute), SizeBytes: 1 << 20,
	})
	e := core.CatalogEntry{
		SourceTable: b.table, SourceRegion: b.region, BackupArn: info.Arn, BackupName: info.Name,
		SourceBackupArn: sourceBackupArn(b.table, fmt.Sprintf("%d", b.taken.Unix())), BackupCreatedAt: b.taken,
		RecordedAt: b.taken.Add(30 * time.Minute), RunID: b.run, SizeBytes: 1 << 20, ItemCount: 10,
		Manifest: &core.Manifest{SourceRegion: b.region, SourceTable: b.table, BillingMode: core.BillingPayPerRequest},
	}
	if b.catalog {
		db.addEntry(catalogName, e)
	}
	return e
}

func newPlanner(cloud *fakeCloud) *PlanRestore {
	return &PlanRestore{
		Ledger:        Ledger{Table: "ledger", DB: newMemLedger()},
		DefaultRegion: dst, CatalogTable: catalogName, PollLimitMinutes: 720,
		Clients: clients[RestorePlanner](cloud), Now: fixedClock(t0),
	}
}

// planned is a plan with its items as the run ledger holds them.
type planned struct {
	RestorePlan
	Items []RestoreItem
}

// plan runs the planner on input, reads the items it wrote to the run
// ledger, and checks invariant 8's second half: the planner only reads
// DynamoDB, whatever the outcome, and a refused plan writes no items.
func plan(t *testing.T, cloud *fakeCloud, h *PlanRestore, input string) (planned, error) {
	t.Helper()
	out, err := h.Handle(context.Background(), PlanRestoreInput{Input: json.RawMessage(input), RunID: restoreRun, StartedAt: t0})
	if writes := cloud.writeCalls(); len(writes) != 0 {
		t.Errorf("the planner changed something: %v", writes)
	}
	got := planned{RestorePlan: out}
	qerr := h.Ledger.DB.QueryLedger(context.Background(), h.Ledger.Table, core.LedgerRun(restoreRun), core.LedgerItemPrefix, func(r core.LedgerRecord) error {
		var item RestoreItem
		if err := json.Unmarshal(r.Data, &item); err != nil {
			return err
		}
		if r.Key != core.LedgerItemKey(len(got.Items)) {
			t.Errorf("item record %q, want %q", r.Key, core.LedgerItemKey(len(got.Items)))
		}
		got.Items = append(got.Items, item)
		return nil
	})
	if qerr != nil {
		t.Fatal(qerr)
	}
	if err == nil && !out.DryRun && (out.Tables != len(got.Items) || len(out.Items) != len(got.Items)) {
		t.Errorf("plan of %d tables with %d Map items; the ledger has %d", out.Tables, len(out.Items), len(got.Items))
	}
	for i, index := range out.Items {
		if index != i {
			t.Errorf("Map item %d is %d", i, index)
		}
	}
	return got, err
}

// invalid checks that err is one InvalidInput for field whose message says
// each of hints.
func invalid(t *testing.T, err error, field string, hints ...string) *core.InvalidInput {
	t.Helper()
	var bad *core.InvalidInput
	if !errors.As(err, &bad) {
		t.Fatalf("err = %v (%T), want *core.InvalidInput", err, err)
	}
	if err != error(bad) {
		t.Errorf("InvalidInput is wrapped (%v); the handler must return it as is", err)
	}
	if bad.Field != field {
		t.Errorf("Field = %q, want %q (message: %s)", bad.Field, field, err)
	}
	for _, h := range hints {
		if !strings.Contains(err.Error(), h) {
			t.Errorf("message %q does not say %q", err, h)
		}
	}
	return bad
}

func targets(p planned) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.Table+"->"+it.Target)
	}
	return out
}

func TestPlanRestoreFromCatalog(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	orders := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(1), catalog: true})
	older := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(2), catalog: true})
	users := addXRBackup(db, xrBackup{table: "users", taken: hoursAgo(3), catalog: true})
	// A real table of the source's name in the target region is no
	// obstacle when the restore goes under another name.
	db.addTable(core.Table{Name: "orders"}, nil)

	got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders","users"],"nameSuffix":"-restored"}`)
	if err != nil {
		t.Fatal(err)
	}

	want := []RestoreItem{
		{PlannedRestore: PlannedRestore{Table: "orders", SourceRegion: src, Target: "orders-restored", BackupArn: orders.BackupArn, BackupName: orders.BackupName, BackupCreatedAt: orders.BackupCreatedAt, FoundBy: "catalog"}, Manifest: orders.Manifest,
			Fallbacks: []FallbackBackup{{BackupArn: older.BackupArn, BackupName: older.BackupName, BackupCreatedAt: older.BackupCreatedAt, FoundBy: "catalog", Manifest: older.Manifest}}},
		{PlannedRestore: PlannedRestore{Table: "users", SourceRegion: src, Target: "users-restored", BackupArn: users.BackupArn, BackupName: users.BackupName, BackupCreatedAt: users.BackupCreatedAt, FoundBy: "catalog"}, Manifest: users.Manifest},
	}
	if !reflect.DeepEqual(got.Items, want) {
		t.Errorf("items = %+v\nwant %+v", got.Items, want)
	}
	if got.RunID != restoreRun || !got.StartedAt.Equal(t0) || got.TargetRegion != dst || got.Tables != 2 || got.Concurrency != restoreConcurrency ||
		!got.ApplySettings || got.DryRun || got.PollLimitMinutes != 720 || got.PointInTime != nil || got.CatalogProblem != "" || got.Restores != nil {
		t.Errorf("plan = %+v", got)
	}
	// The catalog answered for every table: no need to list backups.
	if n := db.count("ListBackups"); n != 0 {
		t.Errorf("ListBackups called %d times with a complete catalog", n)
	}
}

func TestPlanRestoreRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		setup func(db *fakeDB)
		input string
		field string
		hints []string
		// noCalls: refused before asking DynamoDB anything.
		noCalls bool
	}{
		{name: "unknown field", input: `{"tables":["orders"],"pointInTme":"2025-06-01T10:00:00Z"}`,
			field: "pointInTme", hints: []string{"unknown field", "pointInTime"}, noCalls: true},
		{name: "not JSON", input: `{"tables":["orders"]`, field: "input", hints: []string{"not valid JSON"}, noCalls: true},
		{name: "not an object", input: `["orders"]`, field: "input", hints: []string{"must be a JSON object"}, noCalls: true},
		{name: "wrong type", input: `{"tables":"orders"}`, field: "tables", hints: []string{"expected []string"}, noCalls: true},
		{name: "no tables", input: `{}`, field: "input", hints: []string{"tables: name at least one table"}, noCalls: true},
		{name: "malformed time", input: `{"tables":["orders"],"pointInTime":"2025-06-01 10:00"}`,
			field: "input", hints: []string{"pointInTime", `"2025-06-01 10:00" is not an RFC 3339 time`}, noCalls: true},
		{name: "future time", input: `{"tables":["orders"],"pointInTime":"2025-06-02T00:00:00Z"}`,
			field: "input", hints: []string{"pointInTime: 2025-06-02T00:00:00Z is in the future"}, noCalls: true},
		{name: "unknown region", input: `{"tables":["orders"],"targetRegion":"eu-west"}`,
			field: "input", hints: []string{`targetRegion: "eu-west" is not an AWS region name`}, noCalls: true},
		{name: "invalid table name", input: `{"tables":["orders/2024"]}`,
			field: "input", hints: []string{`tables[0]: "orders/2024" may contain only`}, noCalls: true},
		{name: "table listed twice", input: `{"tables":["orders","orders"]}`,
			field: "input", hints: []string{`"orders" is listed twice`}, noCalls: true},
		{name: "bad suffix", input: `{"tables":["orders"],"nameSuffix":"+1"}`,
			field: "input", hints: []string{`nameSuffix: "+1"`}, noCalls: true},
		{name: "target name for another table", input: `{"tables":["orders"],"targetNames":{"users":"users-copy"}}`,
			field: "input", hints: []string{`targetNames: "users" is not one of the tables to restore`}, noCalls: true},
		{name: "invalid target name", input: `{"tables":["orders"],"targetNames":{"orders":"x"}}`,
			field: "input", hints: []string{`targetNames.orders: "x" must be 3 to 255`}, noCalls: true},

		{name: "unknown table", input: `{"tables":["orders","ghost"]}`,
			field: "input", hints: []string{`"ghost" has no backup made by this tool in eu-west-1; check the name`}},
		{name: "nothing at or before the point in time", input: `{"tables":["orders"],"pointInTime":"2025-06-01T00:00:00Z"}`,
			field: "input", hints: []string{`"orders" has no backup at or before 2025-06-01T00:00:00Z in eu-west-1; its oldest is from 2025-06-01T07:00:00Z`}},
		{name: "target table exists", setup: func(db *fakeDB) { db.addTable(core.Table{Name: "orders"}, map[string]string{"team": "payments"}) },
			input: `{"tables":["orders"]}`,
			field: "input", hints: []string{`target table "orders" already exists in eu-west-1`, "never overwrites", "nameSuffix or targetNames"}},
		{name: "target table exists under an override", setup: func(db *fakeDB) { db.addTable(core.Table{Name: "orders-copy"}, nil) },
			input: `{"tables":["orders"],"targetNames":{"orders":"orders-copy"}}`,
			field: "input", hints: []string{`target table "orders-copy" already exists`}},
		{name: "two tables mapped to one target", input: `{"tables":["orders","users"],"targetNames":{"orders":"restored","users":"restored"}}`,
			field: "input", hints: []string{`tables "orders" and "users" would both be restored as "restored"; set targetNames`}},
		{name: "suffix and override collide", input: `{"tables":["orders","users"],"nameSuffix":"-x","targetNames":{"users":"orders-x"}}`,
			field: "input", hints: []string{`would both be restored as "orders-x"`}},
		{name: "suffix makes the name too long", setup: func(db *fakeDB) {
			addXRBackup(db, xrBackup{table: strings.Repeat("l", 250), taken: hoursAgo(1), catalog: true})
		}, input: `{"tables":["` + strings.Repeat("l", 250) + `"],"nameSuffix":"-restored"}`,
			field: "input", hints: []string{"must be 3 to 255 characters long, it has 259", "set targetNames for it"}},
		{name: "several problems at once", setup: func(db *fakeDB) {
			addXRBackup(db, xrBackup{table: "users", taken: hoursAgo(8), catalog: true})
			db.addTable(core.Table{Name: "users"}, nil)
		},
			input: `{"tables":["ghost","users","orders"],"pointInTime":"2025-06-01T06:00:00Z"}`,
			field: "input", hints: []string{"3 problems: ", `"ghost" has no backup`, `"orders" has no backup at or before`, `"users" already exists`}},
		{name: "every table, with no backups", setup: func(db *fakeDB) {
			db.backups, db.catalogs = nil, map[string]*fakeCatalog{}
			db.addCatalog(catalogName)
		}, input: `{"tables":["*"]}`, field: "input", hints: []string{"there are no backups made by this tool in eu-west-1"}},
		{name: "every table, with a target name for a table without backups", input: `{"tables":["*"],"targetNames":{"ghost":"ghost-copy"}}`,
			field: "input", hints: []string{`targetNames: "ghost" has no backup made by this tool in eu-west-1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(5), catalog: true})
			addXRBackup(db, xrBackup{table: "users", taken: hoursAgo(5), catalog: true})
			if tc.setup != nil {
				tc.setup(db)
			}
			tables := slices.Sorted(maps.Keys(db.tables))

			got, err := plan(t, cloud, newPlanner(cloud), tc.input)

			invalid(t, err, tc.field, tc.hints...)
			if len(got.Items) != 0 {
				t.Errorf("a refused plan has items: %+v", got.Items)
			}
			if calls := cloud.allCalls(); tc.noCalls && len(calls) != 0 {
				t.Errorf("refused after calling %v; want refused before any call", calls)
			}
			if after := slices.Sorted(maps.Keys(db.tables)); !slices.Equal(after, tables) {
				t.Errorf("tables changed from %v to %v", tables, after)
			}
		})
	}
}

func TestPlanRestoreDefaults(t *testing.T) {
	t.Run("target region from the environment", func(t *testing.T) {
		cloud := newCloud()
		addXRBackup(cloud.db(dst), xrBackup{table: "orders", taken: hoursAgo(1), catalog: true})
		got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders"]}`)
		if err != nil || got.TargetRegion != dst || len(got.Items) != 1 {
			t.Fatalf("plan = %+v, %v", got, err)
		}
	})
	t.Run("target region from the input", func(t *testing.T) {
		cloud := newCloud()
		addXRBackup(cloud.db(dst2), xrBackup{table: "orders", taken: hoursAgo(1), catalog: true})
		got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders"],"targetRegion":"ap-southeast-2"}`)
		if err != nil || got.TargetRegion != dst2 || len(got.Items) != 1 {
			t.Fatalf("plan = %+v, %v", got, err)
		}
		if calls := cloud.db(dst).calls; len(calls) != 0 {
			t.Errorf("calls in the default region %s: %v", dst, calls)
		}
	})
	t.Run("no target region anywhere", func(t *testing.T) {
		cloud := newCloud()
		h := newPlanner(cloud)
		h.DefaultRegion = ""
		_, err := plan(t, cloud, h, `{"tables":["orders"]}`)
		invalid(t, err, "input", "targetRegion: not given, and the function has no region of its own")
		if calls := cloud.allCalls(); len(calls) != 0 {
			t.Errorf("calls = %v", calls)
		}
	})
	t.Run("invalid environment", func(t *testing.T) {
		cloud := newCloud()
		h := newPlanner(cloud)
		envErr := &core.InvalidInput{Field: "CATALOG_TABLE", Problem: "bad"}
		h.DefaultsErr = envErr
		_, err := plan(t, cloud, h, `{"tables":["orders"]}`)
		if err != error(envErr) {
			t.Errorf("err = %v, want the environment's error as is", err)
		}
		if calls := cloud.allCalls(); len(calls) != 0 {
			t.Errorf("calls = %v", calls)
		}
	})
	t.Run("dry run and settings pass through", func(t *testing.T) {
		cloud := newCloud()
		addXRBackup(cloud.db(dst), xrBackup{table: "orders", taken: hoursAgo(3), catalog: true})
		got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders"],"dryRun":true,"applySettings":false,"pointInTime":"2025-06-01T11:30:00+01:00"}`)
		if err != nil {
			t.Fatal(err)
		}
		wantPIT := time.Date(2025, 6, 1, 10, 30, 0, 0, time.UTC)
		if !got.DryRun || got.ApplySettings || got.PointInTime == nil || !got.PointInTime.Equal(wantPIT) || got.PointInTime.Location() != time.UTC {
			t.Errorf("plan = %+v (point in time %v)", got, got.PointInTime)
		}
		if len(got.Items) != 1 || got.Items[0].Target != "orders" {
			t.Errorf("items = %+v, want orders under its own name", got.Items)
		}
		// A dry run's plan lists the tables, and the Map gets none.
		if len(got.Restores) != 1 || got.Restores[0] != got.Items[0].PlannedRestore || len(got.RestorePlan.Items) != 0 || got.Tables != 1 {
			t.Errorf("dry run's plan = %+v", got.RestorePlan)
		}
		// It says that the backups' availability is checked later.
		if !strings.Contains(got.Availability, "checked when its table's restore starts") || !strings.Contains(got.Availability, "next older backup") {
			t.Errorf("dry run's availability note = %q", got.Availability)
		}
	})
}

func TestPlanRestorePointInTime(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	b9 := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(3), catalog: true})  // 09:00
	b11 := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(1), catalog: true}) // 11:00
	b10 := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(2), catalog: true}) // 10:00
	tests := []struct {
		pit  string
		want core.CatalogEntry
	}{
		{"", b11},
		{"2025-06-01T12:00:00Z", b11},
		{"2025-06-01T11:00:00Z", b11},
		{"2025-06-01T10:59:59Z", b10},
		{"2025-06-01T10:30:00Z", b10},
		{"2025-06-01T10:00:00Z", b10},
		{"2025-06-01T09:30:00Z", b9},
		{"2025-06-01T09:00:00Z", b9},
		{"2025-06-01T11:30:00+02:00", b9},
	}
	for _, tc := range tests {
		t.Run("at "+tc.pit, func(t *testing.T) {
			in := `{"tables":["orders"],"nameSuffix":"-pit"}`
			if tc.pit != "" {
				in = `{"tables":["orders"],"nameSuffix":"-pit","pointInTime":"` + tc.pit + `"}`
			}
			got, err := plan(t, cloud, newPlanner(cloud), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != 1 || got.Items[0].BackupArn != tc.want.BackupArn || !got.Items[0].BackupCreatedAt.Equal(tc.want.BackupCreatedAt) {
				t.Errorf("chose %+v, want the backup of %v", got.Items, tc.want.BackupCreatedAt)
			}
		})
	}
	t.Run("before the oldest", func(t *testing.T) {
		_, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders"],"pointInTime":"2025-06-01T08:59:59Z"}`)
		invalid(t, err, "input", "no backup at or before 2025-06-01T08:59:59Z", "its oldest is from 2025-06-01T09:00:00Z")
	})
}

// TestPlanRestoreWithoutCatalog is the restore that must work when the
// catalog is gone: backups are found by the tool's name marker alone.
func TestPlanRestoreWithoutCatalog(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	old := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(30)})
	newest := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(6)})
	users := addXRBackup(db, xrBackup{table: "users", taken: hoursAgo(8)})
	temp := core.TempTableName(src, "orders")
	// Newer backups that are not usable, or not the tool's cross-region
	// copies, must be passed over.
	for _, b := range []struct {
		table string
		info  core.BackupInfo
	}{
		{temp, core.BackupInfo{Name: core.BackupName("orders", "creating", hoursAgo(1)), Status: core.BackupStatusCreate}},
		{temp, core.BackupInfo{Name: core.BackupName("orders", "system", hoursAgo(1)), Type: "SYSTEM"}},
		{temp, core.BackupInfo{Name: core.BackupName("orders", "aws-backup", hoursAgo(1)), Type: "AWS_BACKUP"}},
		{temp, core.BackupInfo{Name: "nightly-orders", Created: hoursAgo(1)}},
		// A source-side backup of a real "orders" table in this region.
		{"orders", core.BackupInfo{Name: core.BackupName("orders", "local", hoursAgo(1))}},
	} {
		db.addBackup(b.table, b.info)
	}

	tests := []struct {
		name, input string
		want        []core.CatalogEntry
	}{
		{"newest", `{"tables":["orders"],"nameSuffix":"-r"}`, []core.CatalogEntry{newest}},
		{"point in time", `{"tables":["orders"],"nameSuffix":"-r","pointInTime":"2025-06-01T00:00:00Z"}`, []core.CatalogEntry{old}},
		{"several tables", `{"tables":["users","orders"],"nameSuffix":"-r"}`, []core.CatalogEntry{users, newest}},
		{"every table", `{"tables":["*"],"nameSuffix":"-r"}`, []core.CatalogEntry{newest, users}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(db.calls)
			got, err := plan(t, cloud, newPlanner(cloud), tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != len(tc.want) {
				t.Fatalf("items = %+v, want %d", got.Items, len(tc.want))
			}
			for i, w := range tc.want {
				it := got.Items[i]
				if it.Table != w.SourceTable || it.BackupArn != w.BackupArn || it.BackupName != w.BackupName ||
					!it.BackupCreatedAt.Equal(w.BackupCreatedAt) || it.FoundBy != "backup-name" || it.Target != w.SourceTable+"-r" {
					t.Errorf("item %d = %+v, want the backup of %s from %v found by name", i, it, w.SourceTable, w.BackupCreatedAt)
				}
			}
			if !strings.Contains(got.CatalogProblem, "catalog table "+catalogName+" does not exist in "+dst) {
				t.Errorf("CatalogProblem = %q", got.CatalogProblem)
			}
			calls := db.calls[before:]
			if n := slices.Index(calls, "ListBackups "); n < 0 || slices.Contains(calls[n+1:], "ListBackups ") {
				t.Errorf("calls = %v, want one ListBackups of every table", calls)
			}
			if n := len(slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return !strings.HasPrefix(c, "Entries ") })); n != 1 {
				t.Errorf("calls = %v, want one catalog read that finds it missing", calls)
			}
		})
	}
}

func TestPlanRestoreDamagedCatalog(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(10), catalog: true})
	// The newest backup's entry is the one that cannot be read.
	newest := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(2)})
	db.addDamaged(catalogName, "orders", 1)

	got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders"],"nameSuffix":"-r"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 1 || got.Items[0].BackupArn != newest.BackupArn || got.Items[0].FoundBy != "backup-name" {
		t.Errorf("items = %+v, want the newest backup, found by name", got.Items)
	}
	if !strings.Contains(got.CatalogProblem, "1 catalog entries could not be read") {
		t.Errorf("CatalogProblem = %q", got.CatalogProblem)
	}
	// The older backup, which the catalog does know, is still reported as
	// the catalog's.
	got, err = plan(t, cloud, newPlanner(cloud), `{"tables":["orders"],"nameSuffix":"-r","pointInTime":"2025-06-01T03:00:00Z"}`)
	if err != nil || len(got.Items) != 1 || got.Items[0].FoundBy != "catalog" {
		t.Errorf("at 03:00: items = %+v, %v; want the catalog's entry", got.Items, err)
	}
}

// TestPlanRestoreTrustsTheCatalog: the plan describes no backup
// (DescribeBackup is 10 calls a second: 1,000 seconds for 10,000 tables). It
// takes the newest entry at or before the point in time as the catalog has
// it, gone or not, and gives each table the next older ones, newest first
// and at most maxFallbacks, for StartRestore to fall back on.
func TestPlanRestoreTrustsTheCatalog(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	var entries []core.CatalogEntry // newest first
	for h := 1; h <= 6; h++ {
		entries = append(entries, addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(h), catalog: true}))
	}
	// The newest backup was deleted after its entry was written, and the
	// one after it is being deleted: the plan does not look.
	db.backups = slices.DeleteFunc(db.backups, func(b *fakeBackup) bool { return b.Arn == entries[0].BackupArn })
	for _, b := range db.backups {
		if b.Arn == entries[1].BackupArn {
			b.Status = core.BackupStatusDeleted
		}
	}
	fallback := func(e core.CatalogEntry) FallbackBackup {
		return FallbackBackup{BackupArn: e.BackupArn, BackupName: e.BackupName, BackupCreatedAt: e.BackupCreatedAt, FoundBy: "catalog", Manifest: e.Manifest}
	}
	tests := []struct {
		name, pit string
		chosen    int
		fallbacks []int
	}{
		{"the newest", "", 0, []int{1, 2, 3}},
		{"at a point in time", "2025-06-01T08:30:00Z", 3, []int{4, 5}},
		{"the oldest", "2025-06-01T06:00:00Z", 5, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := `{"tables":["orders"],"nameSuffix":"-r"}`
			if tc.pit != "" {
				in = `{"tables":["orders"],"nameSuffix":"-r","pointInTime":"` + tc.pit + `"}`
			}
			got, err := plan(t, cloud, newPlanner(cloud), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != 1 || got.Items[0].BackupArn != entries[tc.chosen].BackupArn {
				t.Fatalf("items = %+v, want the backup of %v", got.Items, entries[tc.chosen].BackupCreatedAt)
			}
			var want []FallbackBackup
			for _, i := range tc.fallbacks {
				want = append(want, fallback(entries[i]))
			}
			if it := got.Items[0]; !reflect.DeepEqual(it.Fallbacks, want) {
				t.Errorf("fallbacks = %+v\nwant %+v", it.Fallbacks, want)
			}
			if it := got.Items[0]; (tc.pit == "") != (it.PointInTime == nil) {
				t.Errorf("item's point in time = %v, want %q", it.PointInTime, tc.pit)
			}
		})
	}
	if n := cloud.totalCalls("DescribeBackup"); n != 0 {
		t.Errorf("DescribeBackup called %d times; the plan must not call it", n)
	}
}

// TestPlanRestoreCallsPerTable: planning every table of a whole catalog
// costs one catalog read and one DescribeTable (no documented rate) per
// table: no call with a documented rate (DescribeBackup 10/s, ListBackups
// 5/s).
func TestPlanRestoreCallsPerTable(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	const n = 300
	for i := range n {
		for h := 1; h <= 3; h++ {
			addXRBackup(db, xrBackup{table: fmt.Sprintf("t%03d", i), taken: hoursAgo(h), catalog: true})
		}
	}
	got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["*"],"nameSuffix":"-r"}`)
	if err != nil || len(got.Items) != n {
		t.Fatalf("planned %d tables, %v", len(got.Items), err)
	}
	want := map[string]int{"Entries": 1, "DescribeTable": n}
	for _, op := range []string{"Entries", "DescribeTable", "DescribeBackup", "ListBackups"} {
		if c := db.count(op); c != want[op] {
			t.Errorf("%s called %d times, want %d", op, c, want[op])
		}
	}
}

// TestPlanRestoreEveryTable: "*" is every table of a catalog that reads
// whole, without listing the backups (ListBackups is 5 calls a second, 100
// backups a page); a table whose backups the catalog lacks is found by name
// when named. An empty catalog answers for nothing: then every table is
// found by name.
func TestPlanRestoreEveryTable(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	for _, table := range []string{"zeta", "alpha", "mid"} {
		addXRBackup(db, xrBackup{table: table, taken: hoursAgo(3), catalog: true})
		addXRBackup(db, xrBackup{table: table, taken: hoursAgo(1), catalog: true})
	}
	// One table's backup is only findable by name.
	addXRBackup(db, xrBackup{table: "beta", taken: hoursAgo(4)})
	check := func(got planned, want []string) {
		t.Helper()
		if !slices.Equal(targets(got), want) {
			t.Errorf("items = %v, want %v", targets(got), want)
		}
		for _, it := range got.Items {
			wantBy, wantAt := "catalog", hoursAgo(1)
			if it.Table == "beta" {
				wantBy, wantAt = "backup-name", hoursAgo(4)
			}
			if it.FoundBy != wantBy || !it.BackupCreatedAt.Equal(wantAt) {
				t.Errorf("%s: found by %s from %v, want %s from %v", it.Table, it.FoundBy, it.BackupCreatedAt, wantBy, wantAt)
			}
		}
	}

	got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["*"],"nameSuffix":"-r","targetNames":{"mid":"middle"}}`)
	if err != nil {
		t.Fatal(err)
	}
	check(got, []string{"alpha->alpha-r", "mid->middle", "zeta->zeta-r"})
	if n, m := db.count("Entries "+catalogName+" "), db.count("ListBackups"); n != 1 || m != 0 {
		t.Errorf("calls = %v, want one read of the whole catalog and no listing of backups", db.calls)
	}

	got, err = plan(t, cloud, newPlanner(cloud), `{"tables":["beta","alpha"],"nameSuffix":"-r"}`)
	if err != nil {
		t.Fatal(err)
	}
	check(got, []string{"beta->beta-r", "alpha->alpha-r"})
	// The plan says that beta comes back without its settings.
	if !strings.Contains(got.CatalogProblem, "1 table(s) restore from a backup that has no catalog entry") {
		t.Errorf("CatalogProblem = %q", got.CatalogProblem)
	}

	db.catalogs = map[string]*fakeCatalog{}
	db.addCatalog(catalogName)
	got, err = plan(t, cloud, newPlanner(cloud), `{"tables":["*"],"nameSuffix":"-r"}`)
	if err != nil || len(got.Items) != 4 || got.CatalogProblem == "" {
		t.Errorf("with an empty catalog: items %v, catalog problem %q, %v; want every table found by name", targets(got), got.CatalogProblem, err)
	}
}

func TestPlanRestoreLongTableNames(t *testing.T) {
	long := strings.Repeat("L", 250) + "-tail" // 255 characters
	setup := func() *fakeCloud {
		cloud := newCloud()
		addXRBackup(cloud.db(dst), xrBackup{table: long, taken: hoursAgo(2)})
		addXRBackup(cloud.db(dst), xrBackup{table: "orders", taken: hoursAgo(2)})
		return cloud
	}
	t.Run("found only by name, among every table", func(t *testing.T) {
		cloud := setup()
		_, err := plan(t, cloud, newPlanner(cloud), `{"tables":["*"],"nameSuffix":"-r"}`)
		invalid(t, err, "input", "too long to recover from the backup name", strings.Repeat("L", 40)+"...", "name that table in tables")
	})
	t.Run("named explicitly", func(t *testing.T) {
		cloud := setup()
		got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["`+long+`"],"targetNames":{"`+long+`":"long-restored"}}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != 1 || got.Items[0].Table != long || got.Items[0].Target != "long-restored" || got.Items[0].FoundBy != "backup-name" {
			t.Errorf("items = %+v", got.Items)
		}
	})
	t.Run("named explicitly, under its own name", func(t *testing.T) {
		cloud := setup()
		got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["`+long+`"]}`)
		if err != nil || len(got.Items) != 1 || got.Items[0].Target != long {
			t.Errorf("items = %+v, %v", got.Items, err)
		}
	})
	t.Run("a similar long name is not confused with it", func(t *testing.T) {
		cloud := setup()
		other := strings.Repeat("L", 250) + "-TAIL"
		_, err := plan(t, cloud, newPlanner(cloud), `{"tables":["`+other+`"]}`)
		invalid(t, err, "input", "has no backup made by this tool")
	})
}

func TestPlanRestoreDynamoDBErrors(t *testing.T) {
	tests := []struct {
		op   string
		err  error
		want any
	}{
		{"Entries", &core.Throttled{Operation: "Query"}, new(*core.Throttled)},
		{"ListBackups", &core.Throttled{Operation: "ListBackups"}, new(*core.Throttled)},
		{"DescribeTable", &core.Throttled{Operation: "DescribeTable"}, new(*core.Throttled)},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(2), catalog: true})
			addXRBackup(db, xrBackup{table: "users", taken: hoursAgo(2)}) // not in the catalog
			db.fail[tc.op] = tc.err

			_, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders","users"],"nameSuffix":"-r"}`)
			checkErr(t, err, tc.want)
			var bad *core.InvalidInput
			if errors.As(err, &bad) {
				t.Errorf("a DynamoDB failure is reported as bad input: %v", err)
			}
		})
	}
}

// TestPlanRestoreTwoSourceRegions: two source regions copy a table of the
// same name into one destination. Without sourceRegion the restore is
// refused, naming both; with it, that region's backup is restored, from
// the catalog or, without one, by its temporary table's name.
func TestPlanRestoreTwoSourceRegions(t *testing.T) {
	const other = "us-west-2"
	for _, withCatalog := range []bool{true, false} {
		t.Run(fmt.Sprintf("catalog %v", withCatalog), func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			mine := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(3), catalog: withCatalog})
			theirs := addXRBackup(db, xrBackup{table: "orders", region: other, taken: hoursAgo(1), catalog: withCatalog})
			addXRBackup(db, xrBackup{table: "users", region: other, taken: hoursAgo(1), catalog: withCatalog})
			if withCatalog {
				_, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders"],"nameSuffix":"-r"}`)
				invalid(t, err, "input", `"orders" was copied into eu-west-1 from 2 source regions (`+src+`, `+other+`); set sourceRegion`)
				_, err = plan(t, cloud, newPlanner(cloud), `{"tables":["*"],"nameSuffix":"-r"}`)
				invalid(t, err, "input", `"orders" was copied into eu-west-1 from 2 source regions`)
			}
			for region, want := range map[string]core.CatalogEntry{src: mine, other: theirs} {
				got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["orders"],"nameSuffix":"-r","sourceRegion":"`+region+`"}`)
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Items) != 1 || got.Items[0].BackupArn != want.BackupArn {
					t.Errorf("from %s: items = %+v, want %s", region, got.Items, want.BackupArn)
				}
				if withCatalog && (got.Items[0].SourceRegion != region || got.SourceRegion != region) {
					t.Errorf("from %s: the plan names source region %q, its item %q", region, got.SourceRegion, got.Items[0].SourceRegion)
				}
			}
			got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["*"],"nameSuffix":"-r","sourceRegion":"`+src+`"}`)
			if err != nil || !slices.Equal(targets(got), []string{"orders->orders-r"}) {
				t.Errorf("every table from %s: %v, %v", src, targets(got), err)
			}
		})
	}
}

// TestPlanRestoreDryRunOfManyTables: a dry run's plan lists what fits its
// output and says where the rest is; the ledger has every table.
func TestPlanRestoreDryRunOfManyTables(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	const n = 1500
	for i := range n {
		name := fmt.Sprintf("%s-%04d", strings.Repeat("t", 240), i)
		addXRBackup(db, xrBackup{table: name, taken: hoursAgo(1), catalog: true})
	}
	got, err := plan(t, cloud, newPlanner(cloud), `{"tables":["*"],"nameSuffix":"","dryRun":true}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got.RestorePlan)
	if len(b) > 200<<10 || len(got.Restores) == 0 || len(got.Restores)+got.MoreRestores != n || got.MoreRestores == 0 {
		t.Errorf("dry run's plan: %d bytes, %d listed, %d more", len(b), len(got.Restores), got.MoreRestores)
	}
	if len(got.Items) != n || got.Tables != n || !strings.Contains(got.FullPlan, `partition "run#`+restoreRun+`"`) {
		t.Errorf("ledger has %d items; tables %d; fullPlan %q", len(got.Items), got.Tables, got.FullPlan)
	}
}

// A restore reports how far a backup run's skip proved the newest copy
// current (its copy status in the catalog), and only for that copy: an
// older backup's data is its own time.
func TestPlanRestoreReportsCurrentAsOf(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	newest := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(3), catalog: true})
	addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(6), catalog: true})
	proven := hoursAgo(1)
	if err := db.PutCopyStatus(context.Background(), catalogName, core.CopyStatus{Table: "orders", SourceRegion: newest.SourceRegion,
		DataTime: newest.BackupCreatedAt, CurrentAsOf: proven}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, input string
		want        time.Time
	}{
		{"the newest copy", `{"tables":["orders"],"nameSuffix":"-r"}`, proven},
		{"an older copy", `{"tables":["orders"],"nameSuffix":"-r","pointInTime":"` + hoursAgo(5).Format(time.RFC3339) + `"}`, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plan(t, cloud, newPlanner(cloud), tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != 1 || !got.Items[0].CurrentAsOf.Equal(tc.want) {
				t.Errorf("items = %+v, want current as of %v", got.Items, tc.want)
			}
		})
	}
}
