package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func defaultSettings(t *testing.T, env map[string]string) core.Settings {
	t.Helper()
	base := map[string]string{"SOURCE_REGION": src, "DESTINATION_REGIONS": dst}
	for k, v := range env {
		base[k] = v
	}
	s, err := core.SettingsFromEnv(func(k string) string { return base[k] })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bigSource fills the source region with 260 tables, more than two pages
// of ListTables: t000..t259, where every third is tagged env=prod and every
// tenth is CREATING, UPDATING or DELETING in turn (only UPDATING ones can be
// backed up), plus temporary tables of the tool.
func bigSource(db *fakeDB) {
	for i := range 260 {
		t := core.Table{Name: fmt.Sprintf("t%03d", i), Status: core.TableActive}
		if i%10 == 0 {
			t.Status = []string{core.TableCreating, "UPDATING", core.TableDeleting}[i/10%3]
		}
		tags := map[string]string{"team": "x"}
		if i%3 == 0 {
			tags["env"] = "prod"
		}
		db.addTable(t, tags)
	}
	// Temporary tables never count as source tables, even tagged env=prod.
	for _, name := range []string{"t001", "t002"} {
		db.addTable(core.Table{Name: core.TempTableName(dst, name)}, map[string]string{"env": "prod"})
	}
}

func TestListTablesOver260Tables(t *testing.T) {
	tests := []struct {
		name          string
		input         string
		wantTables    func(i int) bool // which t%03d are selected when ACTIVE
		wantListTags  bool
		wantDescribed int
	}{
		{
			name:       "every table",
			input:      ``,
			wantTables: func(i int) bool { return true }, wantDescribed: 260,
		},
		{
			name:       "include and exclude",
			input:      `{"include":["t1*","t2?5"],"exclude":["t15*"]}`,
			wantTables: func(i int) bool { return i >= 100 && i < 200 && (i < 150 || i >= 160) || i >= 200 && i%10 == 5 }, wantDescribed: 96,
		},
		{
			name:       "tag filter",
			input:      `{"tagFilter":{"env":"prod"}}`,
			wantTables: func(i int) bool { return i%3 == 0 }, wantListTags: true, wantDescribed: 260,
		},
		{
			name:       "tag filter with any value",
			input:      `{"tagFilter":{"team":"*"}}`,
			wantTables: func(i int) bool { return true }, wantListTags: true, wantDescribed: 260,
		},
		{
			name:       "tag filter matching nothing",
			input:      `{"tagFilter":{"env":"staging"}}`,
			wantTables: func(i int) bool { return false }, wantListTags: true, wantDescribed: 260,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			bigSource(db)
			// The tags of tables that are not ACTIVE can be read here;
			// TestListTablesWhenTagsCannotBeRead is the strict case.
			db.tagsAnyStatus = true
			h := &ListTables{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Defaults: defaultSettings(t, nil), Clients: clients[TableLister](cloud), Parallel: 5}

			out, err := h.Handle(context.Background(), ListTablesInput{Input: json.RawMessage(tc.input), RunID: run1, StartedAt: t0})
			if err != nil {
				t.Fatal(err)
			}

			var wantTables, wantInactive []string
			for i := range 260 {
				if !tc.wantTables(i) {
					continue
				}
				if i%10 == 0 && i/10%3 != 1 {
					wantInactive = append(wantInactive, fmt.Sprintf("t%03d", i))
				} else {
					wantTables = append(wantTables, fmt.Sprintf("t%03d", i))
				}
			}
			if !slices.Equal(out.Tables, wantTables) && len(out.Tables)+len(wantTables) > 0 {
				t.Errorf("Tables = %d %v\nwant %d %v", len(out.Tables), out.Tables, len(wantTables), wantTables)
			}
			if !slices.Equal(out.NotActive, wantInactive) {
				t.Errorf("NotActive = %v, want %v", out.NotActive, wantInactive)
			}
			if out.Tables == nil {
				t.Error("Tables is nil; the Map needs a JSON array")
			}
			if out.Considered != 262 || out.RunID != run1 || !out.StartedAt.Equal(t0) {
				t.Errorf("out = considered %d, run %q, started %v", out.Considered, out.RunID, out.StartedAt)
			}
			if n := db.count("ListTableNames"); n != 1 {
				t.Errorf("ListTableNames called %d times", n)
			}
			if n := db.count("DescribeTable"); n != tc.wantDescribed {
				t.Errorf("DescribeTable called %d times, want %d (only name matches)", n, tc.wantDescribed)
			}
			if n := db.count("ListTags"); (n > 0) != tc.wantListTags || tc.wantListTags && n != tc.wantDescribed {
				t.Errorf("ListTags called %d times; tag filter set = %v", n, tc.wantListTags)
			}
			for _, c := range db.calls {
				if strings.Contains(c, core.TempPrefix) {
					t.Errorf("temporary table inspected: %q", c)
				}
			}
		})
	}
}

// vanishing lists a table that no longer exists when described.
type vanishing struct{ *fakeDB }

func (v vanishing) ListTableNames(ctx context.Context) ([]string, error) {
	names, err := v.fakeDB.ListTableNames(ctx)
	return append(names, "deleted-meanwhile"), err
}

func TestListTablesDropsTablesDeletedMeanwhile(t *testing.T) {
	for _, input := range []string{`{}`, `{"tagFilter":{"team":"*"}}`} {
		t.Run(input, func(t *testing.T) {
			cloud := newCloud()
			cloud.db(src).addTable(core.Table{Name: "orders"}, map[string]string{"team": "a"})
			h := &ListTables{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Defaults: defaultSettings(t, nil), Clients: func(r string) TableLister { return vanishing{cloud.db(r)} }}

			out, err := h.Handle(context.Background(), ListTablesInput{Input: json.RawMessage(input), RunID: run1, StartedAt: t0})

			if err != nil || !slices.Equal(out.Tables, []string{"orders"}) || len(out.NotActive) != 0 || out.Considered != 2 {
				t.Errorf("out = %+v, err = %v", out, err)
			}
		})
	}
}

func TestListTablesErrorsKeepTheirType(t *testing.T) {
	for _, op := range []string{"ListTableNames", "DescribeTable", "ListTags"} {
		t.Run(op, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			bigSource(db)
			db.fail[op] = &core.Throttled{Operation: op, Region: src}
			h := &ListTables{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Defaults: defaultSettings(t, nil), Clients: clients[TableLister](cloud)}

			_, err := h.Handle(context.Background(), ListTablesInput{Input: json.RawMessage(`{"tagFilter":{"env":"prod"}}`), RunID: run1, StartedAt: t0})

			var throttled *core.Throttled
			if !errors.As(err, &throttled) || throttled.Operation != op {
				t.Errorf("err = %v, want Throttled from %s", err, op)
			}
		})
	}
}

func TestListTablesAppliesOverrides(t *testing.T) {
	cloud := newCloud()
	cloud.db("us-west-2").addTable(core.Table{Name: "orders"}, nil)
	h := &ListTables{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Defaults: defaultSettings(t, map[string]string{"KEEP_LAST": "5"}), Clients: clients[TableLister](cloud)}

	out, err := h.Handle(context.Background(), ListTablesInput{
		Input: json.RawMessage(`{"sourceRegion":"us-west-2","destinationRegions":["eu-west-1","eu-central-1"],"retentionDays":30,"dryRun":true}`),
		RunID: run1, StartedAt: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := out.Settings
	if s.SourceRegion != "us-west-2" || !slices.Equal(s.DestinationRegions, []string{"eu-west-1", "eu-central-1"}) ||
		s.RetentionDays != 30 || !s.DryRun || s.KeepLast != 5 || s.MaxConcurrency != core.DefaultMaxConcurrency {
		t.Errorf("settings = %+v", s)
	}
	if !slices.Equal(out.Tables, []string{"orders"}) || cloud.db(src).count("ListTableNames") != 0 {
		t.Errorf("tables = %v; want them listed in the overridden source region only", out.Tables)
	}
}

func TestListTablesRefusesBadInputBeforeAnyCall(t *testing.T) {
	defaults := defaultSettings(t, nil)
	tests := []struct {
		name        string
		defaultsErr error
		in          ListTablesInput
		wantField   string
	}{
		{"invalid environment", &core.InvalidInput{Field: "KEEP_LAST", Problem: "must be from 1 to 1000"}, ListTablesInput{RunID: run1, StartedAt: t0}, "KEEP_LAST"},
		{"missing run id", nil, ListTablesInput{StartedAt: t0}, "runId"},
		{"missing start time", nil, ListTablesInput{RunID: run1}, "startedAt"},
		{"unknown field", nil, ListTablesInput{Input: json.RawMessage(`{"retention":3}`), RunID: run1, StartedAt: t0}, "retention"},
		{"wrong type", nil, ListTablesInput{Input: json.RawMessage(`{"keepLast":"3"}`), RunID: run1, StartedAt: t0}, "keepLast"},
		{"not an object", nil, ListTablesInput{Input: json.RawMessage(`["orders"]`), RunID: run1, StartedAt: t0}, "input"},
		{"trailing data", nil, ListTablesInput{Input: json.RawMessage(`{} {}`), RunID: run1, StartedAt: t0}, "input"},
		{"bad region", nil, ListTablesInput{Input: json.RawMessage(`{"sourceRegion":"mars-1"}`), RunID: run1, StartedAt: t0}, "sourceRegion"},
		{"destination is source", nil, ListTablesInput{Input: json.RawMessage(`{"destinationRegions":["us-east-1"]}`), RunID: run1, StartedAt: t0}, "destinationRegions"},
		{"bad glob", nil, ListTablesInput{Input: json.RawMessage(`{"include":["["]}`), RunID: run1, StartedAt: t0}, "include"},
		{"zero keep-last", nil, ListTablesInput{Input: json.RawMessage(`{"keepLast":0}`), RunID: run1, StartedAt: t0}, "keepLast"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			bigSource(cloud.db(src))
			h := &ListTables{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Defaults: defaults, DefaultsErr: tc.defaultsErr, Clients: clients[TableLister](cloud)}
			if tc.defaultsErr != nil {
				h.Defaults = core.Settings{}
			}

			_, err := h.Handle(context.Background(), tc.in)

			var invalid *core.InvalidInput
			if !errors.As(err, &invalid) || invalid.Field != tc.wantField {
				t.Fatalf("err = %v, want InvalidInput for %s", err, tc.wantField)
			}
			if calls := cloud.allCalls(); len(calls) != 0 {
				t.Errorf("DynamoDB called before the input was checked: %v", calls[:min(len(calls), 5)])
			}
		})
	}
}

// TestListTablesWhenTagsCannotBeRead: DynamoDB may answer ResourceNotFound
// for the tags of a table that is not ACTIVE. With a tag filter, such a
// table is neither backed up nor silently left out: it is reported as not
// active, and the ACTIVE tables are selected by their tags.
func TestListTablesWhenTagsCannotBeRead(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	bigSource(db)
	h := &ListTables{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Defaults: defaultSettings(t, nil), Clients: clients[TableLister](cloud), Parallel: 5}

	out, err := h.Handle(context.Background(), ListTablesInput{Input: json.RawMessage(`{"tagFilter":{"env":"prod"}}`), RunID: run1, StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}

	var wantTables, wantInactive []string
	for i := range 260 {
		switch {
		case i%10 == 0:
			wantInactive = append(wantInactive, fmt.Sprintf("t%03d", i))
		case i%3 == 0:
			wantTables = append(wantTables, fmt.Sprintf("t%03d", i))
		}
	}
	if !slices.Equal(out.Tables, wantTables) {
		t.Errorf("Tables = %v\nwant %v", out.Tables, wantTables)
	}
	if !slices.Equal(out.NotActive, wantInactive) {
		t.Errorf("NotActive = %v\nwant %v", out.NotActive, wantInactive)
	}
}

// The tool's own tables in the source region (the run ledger, a catalog)
// are never backed up, whatever the filters say.
func TestListTablesLeavesOutTheToolsOwnTables(t *testing.T) {
	cloud := newCloud()
	for _, name := range []string{"orders", core.DefaultLedgerTable, core.DefaultCatalogTable} {
		cloud.db(src).addTable(core.Table{Name: name, Status: core.TableActive}, nil)
	}
	h := &ListTables{Ledger: Ledger{Table: "ledger", DB: newMemLedger()}, Defaults: defaultSettings(t, nil), Clients: func(r string) TableLister { return cloud.db(r) },
		Own: []string{core.DefaultLedgerTable, core.DefaultCatalogTable}}
	out, err := h.Handle(context.Background(), ListTablesInput{Input: json.RawMessage(`{"include":["*"]}`), RunID: run1, StartedAt: t0})
	if err != nil || !slices.Equal(out.Tables, []string{"orders"}) {
		t.Errorf("out = %+v, err = %v", out, err)
	}
}

// The listing writes the tables it found, ACTIVE or not, to the run
// ledger's listed# records, and its output does not name them.
func TestListTablesWritesTheLedger(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	db.addTable(core.Table{Name: "orders", Status: core.TableActive, SizeBytes: 42}, nil)
	db.addTable(core.Table{Name: "archive", Status: core.TableCreating}, nil)
	ledger := newMemLedger()
	h := &ListTables{Ledger: Ledger{Table: "ledger", DB: ledger}, Defaults: defaultSettings(t, nil), Clients: clients[TableLister](cloud)}
	out, err := h.Handle(t.Context(), ListTablesInput{RunID: "run-1", StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	var listed []ListedTable
	_ = ledger.QueryLedger(t.Context(), "", core.LedgerRun("run-1"), core.LedgerListedPrefix, func(r core.LedgerRecord) error {
		var c listedChunk
		err := json.Unmarshal(r.Data, &c)
		listed = append(listed, c.Tables...)
		return err
	})
	slices.SortFunc(listed, func(a, b ListedTable) int { return strings.Compare(a.Name, b.Name) })
	if len(listed) != 2 || listed[0].Name != "archive" || listed[0].Status != core.TableCreating || listed[1].Name != "orders" || listed[1].SizeBytes != 42 {
		t.Errorf("listed = %+v", listed)
	}
	if !out.Done || out.Listed != 2 {
		t.Errorf("out = %+v, want done with 2 listed", out)
	}
	if b, _ := json.Marshal(out); strings.Contains(string(b), `"orders"`) {
		t.Errorf("the output names a table: %s", b)
	}
}
