package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// ListTablesPage pages the region's tables in name order, 100 to a page, as
// DynamoDB does.
func (d *fakeDB) ListTablesPage(ctx context.Context, after string) ([]string, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("ListTablesPage", after); err != nil {
		return nil, "", err
	}
	var names []string
	for _, n := range slices.Sorted(maps.Keys(d.tables)) {
		if n > after {
			names = append(names, n)
		}
	}
	if len(names) > 100 {
		return names[:100], names[99], nil
	}
	return names, "", nil
}

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

// lister is a ListTables on cloud with an in-memory ledger.
func lister(t *testing.T, cloud *fakeCloud) (*ListTables, *memLedger) {
	ledger := newMemLedger()
	return &ListTables{Defaults: defaultSettings(t, nil), Clients: clients[TableLister](cloud), Parallel: 5,
		Ledger: Ledger{Table: "ledger", DB: ledger}, Now: fixedClock(t0)}, ledger
}

// listAll calls h as the state machine does, from the first invocation
// until one answers done, and returns every output.
func listAll(t *testing.T, h *ListTables, in ListTablesInput) []ListTablesOutput {
	t.Helper()
	var outs []ListTablesOutput
	for range 1000 {
		out, err := h.Handle(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
		if out.Done {
			return outs
		}
		in.Cursor = &out.Cursor
	}
	t.Fatal("the listing did not end in 1000 invocations")
	return nil
}

// listedIn reads every listed table of a run from the ledger, in key order,
// checking that the chunks are numbered 0, 1, ... n-1.
func listedIn(t *testing.T, l *memLedger, runID string, n int) []ListedTable {
	t.Helper()
	var tables []ListedTable
	var keys []string
	err := l.QueryLedger(context.Background(), "ledger", core.LedgerRun(runID), core.LedgerListedPrefix, func(r core.LedgerRecord) error {
		keys = append(keys, r.Key)
		var c ListedChunk
		if err := json.Unmarshal(r.Data, &c); err != nil {
			return err
		}
		tables = append(tables, c.Tables...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range n {
		want = append(want, core.LedgerListedKey(i))
	}
	if !slices.Equal(keys, want) {
		t.Errorf("listed chunks %v, want %v", keys, want)
	}
	return tables
}

// split separates the tables to back up from those listed with a skip
// reason, by name.
func split(tables []ListedTable) (selected, notActive []string) {
	for _, t := range tables {
		if t.Skip == "" {
			selected = append(selected, t.Name)
		} else {
			notActive = append(notActive, t.Name)
		}
	}
	return selected, notActive
}

// Tags are read for every table that can be backed up, tag filter or not:
// the listing hands every table's tags on (per-table settings such as the
// RPO are tags), and the tag cache keeps this cheap from the second run on.
func TestListTablesOver260Tables(t *testing.T) {
	tests := []struct {
		name          string
		input         string
		wantTables    func(i int) bool // which t%03d are selected when ACTIVE
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
			wantTables: func(i int) bool { return i%3 == 0 }, wantDescribed: 260,
		},
		{
			name:       "tag filter with any value",
			input:      `{"tagFilter":{"team":"*"}}`,
			wantTables: func(i int) bool { return true }, wantDescribed: 260,
		},
		{
			name:       "tag filter matching nothing",
			input:      `{"tagFilter":{"env":"staging"}}`,
			wantTables: func(i int) bool { return false }, wantDescribed: 260,
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
			h, ledger := lister(t, cloud)

			outs := listAll(t, h, ListTablesInput{Input: json.RawMessage(tc.input), RunID: run1, StartedAt: t0})

			if len(outs) != 1 {
				t.Fatalf("%d invocations; without a budget one lists 262 tables", len(outs))
			}
			out := outs[0]
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
			listed := listedIn(t, ledger, run1, out.Cursor.Chunk)
			selected, inactive := split(listed)
			if !slices.Equal(selected, wantTables) {
				t.Errorf("selected = %d %v\nwant %d %v", len(selected), selected, len(wantTables), wantTables)
			}
			if !slices.Equal(inactive, wantInactive) {
				t.Errorf("not active = %v, want %v", inactive, wantInactive)
			}
			if out.Listed != len(listed) || out.NotActive != len(wantInactive) || out.Considered != 262 || out.RunID != run1 || !out.StartedAt.Equal(t0) {
				t.Errorf("out = listed %d, not active %d, considered %d, run %q, started %v", out.Listed, out.NotActive, out.Considered, out.RunID, out.StartedAt)
			}
			for _, lt := range listed {
				if lt.Arn != db.tableArn(lt.Name) || lt.Tags["team"] != "x" {
					t.Errorf("listed %+v: want its ARN and tags", lt)
				}
			}
			if n := db.count("ListTablesPage"); n != 3 {
				t.Errorf("ListTablesPage called %d times, want 3 pages", n)
			}
			if n := db.count("DescribeTable"); n != tc.wantDescribed {
				t.Errorf("DescribeTable called %d times, want %d (only name matches)", n, tc.wantDescribed)
			}
			if n, want := db.count("ListTags"), tc.wantDescribed; n != want {
				t.Errorf("ListTags called %d times, want %d", n, want)
			}
			for _, c := range db.calls {
				if strings.Contains(c, core.TempPrefix) {
					t.Errorf("temporary table inspected: %q", c)
				}
			}
		})
	}
}

// fakeWall is a clock for the time budget that moves only when told.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func (w *fakeWall) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t
}

func (w *fakeWall) tick(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t = w.t.Add(d)
}

// ticking takes one second of the budget per DescribeTable.
type ticking struct {
	*fakeDB
	wall *fakeWall
}

func (d ticking) DescribeTable(ctx context.Context, name string) (core.Table, error) {
	d.wall.tick(time.Second)
	return d.fakeDB.DescribeTable(ctx, name)
}

// A listing that runs out of time, in the middle of a page or not, goes on
// in the next invocation exactly after the last table it handled: every
// table is listed once, in order, and described once. An invocation always
// handles at least one table, so that a listing ends however short its
// budget.
func TestListTablesResumesWhereTheBudgetEnded(t *testing.T) {
	tests := []struct {
		budget          float64
		parallel        int
		wantInvocations int // 0: more than one
	}{
		{budget: 30, parallel: 1, wantInvocations: 9}, // 30 of 260 tables a time: mid-page stops
		{budget: 0.001, parallel: 1, wantInvocations: 260},
		{budget: 30, parallel: 5},
		{budget: 0, parallel: 5, wantInvocations: 2},    // 260 s of work, 240 s a time (listingCap)
		{budget: 1000, parallel: 5, wantInvocations: 2}, // a budget never lengthens an invocation
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%gs, %d at once", tc.budget, tc.parallel), func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			bigSource(db)
			wall := &fakeWall{t: t0}
			h, ledger := lister(t, cloud)
			h.Clients = func(string) TableLister { return ticking{db, wall} }
			h.Parallel, h.Wall = tc.parallel, wall.now

			outs := listAll(t, h, ListTablesInput{Input: json.RawMessage(`{"tagFilter":{"env":"prod"}}`), RunID: run1, StartedAt: t0, BudgetSeconds: tc.budget})

			last := outs[len(outs)-1]
			if tc.wantInvocations > 0 && len(outs) != tc.wantInvocations || tc.wantInvocations == 0 && len(outs) < 2 {
				t.Errorf("%d invocations, want %d", len(outs), tc.wantInvocations)
			}
			for i, o := range outs[:len(outs)-1] {
				if o.Done || o.Cursor.After == "" {
					t.Fatalf("invocation %d: done %v, cursor %+v", i, o.Done, o.Cursor)
				}
			}
			listed := listedIn(t, ledger, run1, last.Cursor.Chunk)
			selected, inactive := split(listed)
			var want []string
			for i := 0; i < 260; i += 3 {
				if i%10 != 0 {
					want = append(want, fmt.Sprintf("t%03d", i))
				}
			}
			// Every tenth table is not ACTIVE: its tags cannot be read.
			if !slices.Equal(selected, want) || len(inactive) != 26 {
				t.Errorf("selected %d %v\nwant %d %v; not active %v", len(selected), selected, len(want), want, inactive)
			}
			if last.Considered != 262 || last.Listed != len(listed) || last.NotActive != 26 {
				t.Errorf("last output %+v", last)
			}
			if n := db.count("DescribeTable"); n != 260 {
				t.Errorf("DescribeTable called %d times for 260 tables: work was redone or lost", n)
			}
		})
	}
}

// A Lambda retry runs an invocation again with the same cursor: it writes
// the same ledger records again (the same keys, overwritten), and answers
// the same cursor, so the listing goes on as if it had run once.
func TestListTablesRetryIsIdempotent(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	bigSource(db)
	wall := &fakeWall{t: t0}
	h, ledger := lister(t, cloud)
	h.Clients = func(string) TableLister { return ticking{db, wall} }
	h.Parallel, h.Wall = 1, wall.now
	in := ListTablesInput{Input: json.RawMessage(`{"tagFilter":{"env":"prod"}}`), RunID: run1, StartedAt: t0, BudgetSeconds: 50}
	ctx := context.Background()

	first, err := h.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Cursor = &first.Cursor
	second, err := h.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	before := maps.Clone(ledger.items)
	retried, err := h.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}

	if !jsonEqual(t, retried, second) {
		t.Errorf("retry answered %+v\nthe first try %+v", retried.Cursor, second.Cursor)
	}
	if !maps.EqualFunc(ledger.items, before, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
		t.Errorf("the retry changed the ledger: %d records before, %d after", len(before), len(ledger.items))
	}
	in.Cursor = &retried.Cursor
	rest := listAll(t, h, in)
	listed := listedIn(t, ledger, run1, rest[len(rest)-1].Cursor.Chunk)
	names := make([]string, len(listed))
	for i, lt := range listed {
		names[i] = lt.Name
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) || len(names) != 78+26 {
		t.Errorf("listed %d tables (sorted %v, no duplicates %v)", len(names), slices.IsSorted(names), len(slices.Compact(slices.Clone(names))) == len(names))
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	return jsonSize(t, a) == jsonSize(t, b) && string(mustJSON(t, a)) == string(mustJSON(t, b))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// putCache writes a tag cache record as an earlier run would have.
func putCache(t *testing.T, l *memLedger, table string, c cachedTags) {
	t.Helper()
	r, err := record(table, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.PutLedger(context.Background(), "ledger", core.LedgerTags(src), []core.LedgerRecord{r}, t0); err != nil {
		t.Fatal(err)
	}
}

// The tag cache: recent tags of the same table are used as they are; tags
// missing, too old (TagCacheMaxAge), of a re-created table (another ARN) or
// unreadable are read, and the cache record is replaced. A table whose tags
// DynamoDB refuses to read (not ACTIVE) falls back on its older tags.
func TestListTablesTagCache(t *testing.T) {
	arn := func(name string) string { return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", src, account, name) }
	created := t0.Add(-30 * 24 * time.Hour)
	cache := func(arn string, tags map[string]string, age time.Duration) *cachedTags {
		return &cachedTags{Arn: arn, Created: created, Tags: tags, ReadAt: t0.Add(-age)}
	}
	prod, dev := map[string]string{"env": "prod"}, map[string]string{"env": "dev"}
	tests := []struct {
		name     string
		status   string
		cached   *cachedTags // nil: none
		corrupt  bool
		at       time.Duration // the listing runs at t0 + at
		wantRead bool
		wantTags map[string]string // empty: unknown
		wantSkip bool              // listed not to be backed up (without a tag filter)
	}{
		{name: "miss", wantRead: true, wantTags: dev},
		{name: "hit", cached: cache(arn("orders"), prod, time.Hour), wantTags: prod},
		{name: "hit just before its refresh age", cached: cache(arn("orders"), prod, 0), at: refreshAge("orders", t0) - time.Second, wantTags: prod},
		{name: "due at its refresh age", cached: cache(arn("orders"), prod, 0), at: refreshAge("orders", t0), wantRead: true, wantTags: dev},
		{name: "stale", cached: cache(arn("orders"), prod, TagCacheMaxAge), wantRead: true, wantTags: dev},
		{name: "of another table", cached: cache(arn("orders")+"-other", prod, time.Minute), wantRead: true, wantTags: dev},
		{name: "re-created table (same ARN)", cached: &cachedTags{Arn: arn("orders"), Created: created.Add(-time.Hour), Tags: prod, ReadAt: t0.Add(-time.Minute)}, wantRead: true, wantTags: dev},
		{name: "unreadable record", corrupt: true, wantRead: true, wantTags: dev},
		{name: "being created, tags refused, stale tags", status: core.TableCreating, wantRead: true, cached: cache(arn("orders"), dev, 48*time.Hour), wantTags: dev, wantSkip: true},
		{name: "being created, tags refused, tags of another table", status: core.TableCreating, wantRead: true, cached: cache("other", dev, time.Minute), wantSkip: true},
		{name: "updating, tags refused, stale tags", status: core.TableUpdating, cached: cache(arn("orders"), dev, 48*time.Hour), wantRead: true, wantTags: dev},
		{name: "updating, tags refused, none cached", status: core.TableUpdating, wantRead: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			db.addTable(core.Table{Name: "orders", Status: cmpOr(tc.status, core.TableActive), Created: created}, dev)
			h, ledger := lister(t, cloud)
			now := t0.Add(tc.at)
			h.Now = fixedClock(now)
			switch {
			case tc.corrupt:
				_ = ledger.PutLedger(context.Background(), "ledger", core.LedgerTags(src), []core.LedgerRecord{{Key: "orders", Data: json.RawMessage(`"v0"`)}}, t0)
			case tc.cached != nil:
				putCache(t, ledger, "orders", *tc.cached)
			}

			// Without a tag filter every table is listed, with its tags.
			outs := listAll(t, h, ListTablesInput{RunID: run1, StartedAt: t0})

			listed := listedIn(t, ledger, run1, outs[0].Cursor.Chunk)
			if len(listed) != 1 {
				t.Fatalf("listed %+v", listed)
			}
			got := listed[0]
			if want := tc.wantTags; len(want) == 0 && len(got.Tags) != 0 || len(want) > 0 && !maps.Equal(got.Tags, want) {
				t.Errorf("tags %v, want %v", got.Tags, want)
			}
			if (got.Skip != "") != tc.wantSkip {
				t.Errorf("skip %q", got.Skip)
			}
			if n := db.count("ListTags"); (n == 1) != tc.wantRead || n > 1 {
				t.Errorf("ListTags called %d times, want a read: %v", n, tc.wantRead)
			}
			data, found, _ := ledger.GetLedger(context.Background(), "ledger", core.LedgerTags(src), "orders")
			var c cachedTags
			_ = json.Unmarshal(data, &c)
			readOK := tc.wantRead && tc.status == "" // DynamoDB reads the tags of ACTIVE tables only
			if readOK && (!found || c.Arn != arn("orders") || !c.Created.Equal(created) || !c.ReadAt.Equal(now) || !maps.Equal(c.Tags, dev)) {
				t.Errorf("cache record after a read = %s", data)
			}
			if !readOK && tc.cached != nil && !jsonEqual(t, c, *tc.cached) {
				t.Errorf("cache record = %s, want it untouched", data)
			}

			// With a tag filter, a table whose tags are unknown is listed
			// as not to be backed up, never silently left out.
			cloud2 := newCloud()
			cloud2.dbs[src] = db
			h.Clients = clients[TableLister](cloud2)
			filtered := listAll(t, h, ListTablesInput{Input: json.RawMessage(`{"tagFilter":{"env":"dev"}}`), RunID: "run-2", StartedAt: t0})
			listed = listedIn(t, ledger, "run-2", filtered[0].Cursor.Chunk)
			switch {
			case len(tc.wantTags) == 0:
				if len(listed) != 1 || listed[0].Skip == "" {
					t.Errorf("with a tag filter and unknown tags: listed %+v, want a skip reason", listed)
				}
			case maps.Equal(tc.wantTags, dev):
				if len(listed) != 1 {
					t.Errorf("with a tag filter env=dev: listed %+v", listed)
				}
			default:
				if len(listed) != 0 {
					t.Errorf("with a tag filter env=dev and cached env=prod: listed %+v", listed)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// The cache's ages are spread over half TagCacheMaxAge to all of it, anew at
// each read, so that a fleet whose tags were read in one run is not read
// again all at once, nor in step later.
func TestRefreshAgeIsSpread(t *testing.T) {
	for name, age := range map[string]func(i int) time.Duration{
		"over tables": func(i int) time.Duration { return refreshAge(fmt.Sprintf("table-%d", i), t0) },
		"over reads":  func(i int) time.Duration { return refreshAge("orders", t0.Add(time.Duration(i)*time.Hour)) },
	} {
		lo, hi := TagCacheMaxAge, time.Duration(0)
		for i := range 1000 {
			a := age(i)
			if a < TagCacheMaxAge/2 || a >= TagCacheMaxAge {
				t.Fatalf("%s: refreshAge = %v, want from %v to %v", name, a, TagCacheMaxAge/2, TagCacheMaxAge)
			}
			lo, hi = min(lo, a), max(hi, a)
		}
		if lo > TagCacheMaxAge*55/100 || hi < TagCacheMaxAge*95/100 {
			t.Errorf("%s: ages from %v to %v, not spread", name, lo, hi)
		}
	}
}

// 2,000 tables with 255-character names, each with large tags: the ledger
// records stay within DynamoDB's 400 KB item size, and the listing's output
// (a state of the state machine) stays a few hundred bytes, whatever the
// number of tables (the end-to-end test lists 10,000).
func TestListTablesChunksLongNamesUnderTheItemSize(t *testing.T) {
	const n = 2000
	cloud := newCloud()
	db := cloud.db(src)
	tags := map[string]string{}
	for i := range 5 {
		tags[fmt.Sprintf("%0128d", i)] = strings.Repeat("v", 256) // a tag key is at most 128 characters, a value 256
	}
	for i := range n {
		name := fmt.Sprintf("%s%05d", strings.Repeat("n", 250), i)
		db.tables[name] = &fakeTable{Table: core.Table{Name: name, Arn: db.tableArn(name), Status: core.TableActive}, tags: tags}
	}
	h, ledger := lister(t, cloud)
	h.Parallel = 16

	outs := listAll(t, h, ListTablesInput{RunID: strings.Repeat("r", 80), StartedAt: t0})

	out := outs[0]
	if out.Listed != n || !out.Done {
		t.Fatalf("out = %+v", out)
	}
	if size := jsonSize(t, out); size > 2048 {
		t.Errorf("output is %d bytes", size)
	}
	listed := listedIn(t, ledger, strings.Repeat("r", 80), out.Cursor.Chunk)
	if len(listed) != n {
		t.Errorf("%d tables in the ledger", len(listed))
	}
	const itemLimit = 400 * 1024
	for k, data := range ledger.items {
		pk, sk, _ := strings.Cut(k, "\x00")
		// The attribute names and values of a ledger item.
		size := len("pk") + len(pk) + len("sk") + len(sk) + len("data") + len(data) + len("expiresAt") + 11
		if size > itemLimit {
			t.Errorf("record %s is %d bytes, over DynamoDB's item size of %d", sk, size, itemLimit)
		}
	}
	t.Logf("%d tables in %d chunks", len(listed), out.Cursor.Chunk)
	if out.Cursor.Chunk < n*(255+300+5*400)/itemLimit {
		t.Errorf("%d chunks: fewer than the data needs", out.Cursor.Chunk)
	}
}

// vanishing lists a table that no longer exists when described.
type vanishing struct{ *fakeDB }

func (v vanishing) ListTablesPage(ctx context.Context, after string) ([]string, string, error) {
	names, last, err := v.fakeDB.ListTablesPage(ctx, after)
	if after == "" {
		names = append([]string{"deleted-meanwhile"}, names...)
	}
	return names, last, err
}

func TestListTablesDropsTablesDeletedMeanwhile(t *testing.T) {
	for _, input := range []string{`{}`, `{"tagFilter":{"team":"*"}}`} {
		t.Run(input, func(t *testing.T) {
			cloud := newCloud()
			cloud.db(src).addTable(core.Table{Name: "orders"}, map[string]string{"team": "a"})
			h, ledger := lister(t, cloud)
			h.Clients = func(r string) TableLister { return vanishing{cloud.db(r)} }

			outs := listAll(t, h, ListTablesInput{Input: json.RawMessage(input), RunID: run1, StartedAt: t0})

			selected, inactive := split(listedIn(t, ledger, run1, outs[0].Cursor.Chunk))
			if !slices.Equal(selected, []string{"orders"}) || len(inactive) != 0 || outs[0].Considered != 2 {
				t.Errorf("selected %v, not active %v, out %+v", selected, inactive, outs[0])
			}
		})
	}
}

// An error ends the invocation with its type kept (the state machine
// retries Throttled), and nothing written: the retry starts from the same
// cursor.
func TestListTablesErrorsKeepTheirType(t *testing.T) {
	for _, op := range []string{"ListTablesPage", "DescribeTable", "ListTags"} {
		t.Run(op, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			bigSource(db)
			db.fail[op] = &core.Throttled{Operation: op, Region: src}
			h, ledger := lister(t, cloud)

			_, err := h.Handle(context.Background(), ListTablesInput{Input: json.RawMessage(`{"tagFilter":{"env":"prod"}}`), RunID: run1, StartedAt: t0})

			var throttled *core.Throttled
			if !errors.As(err, &throttled) || throttled.Operation != op {
				t.Errorf("err = %v, want Throttled from %s", err, op)
			}
			if len(ledger.items) != 0 {
				t.Errorf("%d ledger records written by a failed invocation", len(ledger.items))
			}
		})
	}
}

// The first invocation resolves the settings; later ones take them from the
// cursor, whatever the environment says by then.
func TestListTablesAppliesOverridesOnce(t *testing.T) {
	cloud := newCloud()
	cloud.db("us-west-2").addTable(core.Table{Name: "orders"}, nil)
	cloud.db("us-west-2").addTable(core.Table{Name: "users"}, nil)
	h, ledger := lister(t, cloud)
	h.Defaults = defaultSettings(t, map[string]string{"KEEP_LAST": "5"})
	wall := &fakeWall{t: t0}
	h.Wall = wall.now
	h.Clients = func(r string) TableLister { return ticking{cloud.db(r), wall} }
	h.Parallel = 1
	in := ListTablesInput{
		Input: json.RawMessage(`{"sourceRegion":"us-west-2","destinationRegions":["eu-west-1","eu-central-1"],"retentionDays":30,"dryRun":true}`),
		RunID: run1, StartedAt: t0, BudgetSeconds: 1,
	}

	first, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	h.Defaults, h.DefaultsErr = core.Settings{}, &core.InvalidInput{Field: "KEEP_LAST", Problem: "changed meanwhile"}
	in.Cursor = &first.Cursor
	second, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}

	for _, out := range []ListTablesOutput{first, second} {
		s := out.Settings
		if s.SourceRegion != "us-west-2" || !slices.Equal(s.DestinationRegions, []string{"eu-west-1", "eu-central-1"}) ||
			s.RetentionDays != 30 || !s.DryRun || s.KeepLast != 5 || s.MaxConcurrency != core.DefaultMaxConcurrency {
			t.Errorf("settings = %+v", s)
		}
	}
	selected, _ := split(listedIn(t, ledger, run1, second.Cursor.Chunk))
	if first.Done || !second.Done || !slices.Equal(selected, []string{"orders", "users"}) || cloud.db(src).count("ListTablesPage") != 0 {
		t.Errorf("done %v then %v, tables = %v; want them listed in the overridden source region only", first.Done, second.Done, selected)
	}
}

func TestListTablesRefusesBadInputBeforeAnyCall(t *testing.T) {
	defaults := defaultSettings(t, nil)
	good := ListingCursor{After: "t100", Chunk: 1, Settings: defaults}
	badSettings := good
	badSettings.Settings.KeepLast = 0
	badName := good
	badName.After = "no spaces"
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
		{"negative budget", nil, ListTablesInput{RunID: run1, StartedAt: t0, BudgetSeconds: -1}, "budgetSeconds"},
		{"cursor with bad settings", nil, ListTablesInput{RunID: run1, StartedAt: t0, Cursor: &badSettings}, "cursor"},
		{"cursor with a bad name", nil, ListTablesInput{RunID: run1, StartedAt: t0, Cursor: &badName}, "cursor.after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			bigSource(cloud.db(src))
			h, ledger := lister(t, cloud)
			h.DefaultsErr = tc.defaultsErr
			if tc.defaultsErr != nil {
				h.Defaults = core.Settings{}
			}

			_, err := h.Handle(context.Background(), tc.in)

			var invalid *core.InvalidInput
			if !errors.As(err, &invalid) || invalid.Field != tc.wantField {
				t.Fatalf("err = %v, want InvalidInput for %s", err, tc.wantField)
			}
			if calls := cloud.allCalls(); len(calls) != 0 || len(ledger.items) != 0 {
				t.Errorf("DynamoDB called before the input was checked: %v, %d ledger records", calls[:min(len(calls), 5)], len(ledger.items))
			}
		})
	}
}

// TestListTablesWhenTagsCannotBeRead: DynamoDB may answer ResourceNotFound
// for the tags of a table that is not ACTIVE. With a tag filter, such a
// table is neither backed up nor silently left out: it is listed with a
// skip reason, and the ACTIVE tables are selected by their tags.
func TestListTablesWhenTagsCannotBeRead(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	bigSource(db)
	h, ledger := lister(t, cloud)

	outs := listAll(t, h, ListTablesInput{Input: json.RawMessage(`{"tagFilter":{"env":"prod"}}`), RunID: run1, StartedAt: t0})

	var wantTables, wantInactive []string
	for i := range 260 {
		switch {
		case i%10 == 0:
			wantInactive = append(wantInactive, fmt.Sprintf("t%03d", i))
		case i%3 == 0:
			wantTables = append(wantTables, fmt.Sprintf("t%03d", i))
		}
	}
	selected, inactive := split(listedIn(t, ledger, run1, outs[0].Cursor.Chunk))
	if !slices.Equal(selected, wantTables) {
		t.Errorf("selected = %v\nwant %v", selected, wantTables)
	}
	if !slices.Equal(inactive, wantInactive) || outs[0].NotActive != len(wantInactive) {
		t.Errorf("not active = %v (%d)\nwant %v", inactive, outs[0].NotActive, wantInactive)
	}
}

// The tool's own tables in the source region (the run ledger, a catalog)
// are never backed up, whatever the filters say.
func TestListTablesLeavesOutTheToolsOwnTables(t *testing.T) {
	cloud := newCloud()
	for _, name := range []string{"orders", core.DefaultLedgerTable, core.DefaultCatalogTable} {
		cloud.db(src).addTable(core.Table{Name: name, Status: core.TableActive}, nil)
	}
	h, ledger := lister(t, cloud)
	h.Own = []string{core.DefaultLedgerTable, core.DefaultCatalogTable}
	outs := listAll(t, h, ListTablesInput{Input: json.RawMessage(`{"include":["*"]}`), RunID: run1, StartedAt: t0})
	if selected, _ := split(listedIn(t, ledger, run1, outs[0].Cursor.Chunk)); !slices.Equal(selected, []string{"orders"}) {
		t.Errorf("selected %v", selected)
	}
}

func TestListingBudget(t *testing.T) {
	start := t0
	tests := []struct {
		name     string
		deadline time.Duration // after start; 0: none
		budget   float64
		want     time.Duration
	}{
		{"Lambda's 5-minute timeout", 5 * time.Minute, 0, 4 * time.Minute},
		{"15-minute timeout: the cap", 15 * time.Minute, 0, listingCap},
		{"2 minutes left", 2 * time.Minute, 0, time.Minute},
		{"no deadline", 0, 0, listingCap},
		{"shortened", 5 * time.Minute, 10, 10 * time.Second},
		{"never lengthened", 5 * time.Minute, 3600, 4 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(tc.deadline))
				defer cancel()
			}
			if got := listingBudget(ctx, start, tc.budget); !got.Equal(start.Add(tc.want)) {
				t.Errorf("stop at start + %v, want + %v", got.Sub(start), tc.want)
			}
		})
	}
}
