package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// TableLister is the part of DynamoDB that ListTables needs.
type TableLister interface {
	// ListTablesPage reads the page of table names after after ("" for
	// the first); last is "" when there are no more.
	ListTablesPage(ctx context.Context, after string) (names []string, last string, err error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
	ListTags(ctx context.Context, arn string) (map[string]string, error)
}

// ListTablesInput is the listing's input. The state machine calls ListTables
// until it answers done, passing back the cursor it returned.
type ListTablesInput struct {
	// Input is the execution input: optional overrides of the settings.
	Input     json.RawMessage `json:"input,omitempty"`
	RunID     string          `json:"runId"`     // the execution name
	StartedAt time.Time       `json:"startedAt"` // the execution start time
	// Cursor is where the previous invocation stopped; absent on the first.
	Cursor *ListingCursor `json:"cursor,omitempty"`
	// BudgetSeconds shortens this invocation's time budget (see
	// listingBudget); it never lengthens it. The state machine does not
	// set it: tests make a listing take several invocations with it.
	BudgetSeconds float64 `json:"budgetSeconds,omitempty"`
}

// ListingCursor is where a listing stands between invocations: everything
// up to and including the table After is handled, and written to the run
// ledger in chunks 0 to Chunk-1.
type ListingCursor struct {
	After      string `json:"after,omitempty"`
	Chunk      int    `json:"chunk"`
	Listed     int    `json:"listed"`
	Considered int    `json:"considered"`
	NotActive  int    `json:"notActive"`
	// Settings are the run's, resolved by the first invocation: a later
	// one uses them as they were, whatever the environment says by then.
	Settings core.Settings `json:"settings"`
}

// ListTablesOutput is the listing's progress. The tables themselves are in
// the run ledger (core.LedgerListedKey chunks, each a ListedChunk), so the
// state stays small for 10,000 tables with 255-character names.
type ListTablesOutput struct {
	RunID     string        `json:"runId"`
	StartedAt time.Time     `json:"startedAt"`
	Settings  core.Settings `json:"settings"`
	Cursor    ListingCursor `json:"cursor"`
	// Done is true when every table is listed: the ledger then holds
	// chunks 0 to Cursor.Chunk-1.
	Done bool `json:"done"`
	// Listed counts the tables written to the ledger: those the filters
	// select, NotActive included.
	Listed int `json:"listed"`
	// Considered counts the source tables seen before filtering.
	Considered int `json:"considered"`
	// NotActive counts the listed tables that cannot be backed up now (a
	// Skip reason in their ledger record).
	NotActive int `json:"notActive"`
}

// ListedChunk is the JSON document of one ledger record of listed tables.
type ListedChunk struct {
	Tables []ListedTable `json:"tables"`
}

// ListedTable is one source table the filters select.
type ListedTable struct {
	Name      string            `json:"name"`
	Arn       string            `json:"arn"`
	Status    string            `json:"status"`
	SizeBytes int64             `json:"sizeBytes"`
	ItemCount int64             `json:"itemCount"`
	Tags      map[string]string `json:"tags,omitempty"` // absent when they could not be read
	// Created and Replicated tell whether the metrics can prove the table
	// unchanged (see core.ChangeWindow).
	Created    time.Time `json:"created,omitzero"`
	Replicated bool      `json:"replicated,omitempty"`
	// Skip says why the table cannot be backed up in this run (being
	// created or deleted, or tags that cannot be read while a tag filter
	// is set); empty when it can.
	Skip string `json:"skip,omitempty"`
}

// cachedTags is the JSON document of a tag cache record (partition
// core.LedgerTags(region), key: the table name). A table's ARN is made of
// its region, account and name (Service Authorization Reference, Amazon
// DynamoDB, resource types,
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html),
// so a table deleted and created again under its name keeps it: the
// record holds the creation time too, and is of the same table only when
// both agree.
type cachedTags struct {
	Arn     string            `json:"arn"`
	Created time.Time         `json:"created"`
	Tags    map[string]string `json:"tags"`
	ReadAt  time.Time         `json:"readAt"`
}

// of reports whether the record is of table t (not of an earlier table of
// that name).
func (c *cachedTags) of(t core.Table) bool {
	return c != nil && c.Arn == t.Arn && c.Created.Equal(t.Created)
}

const (
	// TagCacheMaxAge bounds how old the cached tags of a table may be. Tag
	// reads are eventually consistent anyway: DynamoDB shows a tag change
	// to ListTagsOfResource only after a few seconds (Amazon DynamoDB API
	// Reference, TagResource,
	// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TagResource.html),
	// and ListTagsOfResource is held to 10 calls per second per account
	// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTagsOfResource.html):
	// 1,000 seconds for 10,000 tables. With the cache, a change of a
	// table's tags takes effect within this bound, and a new or re-created
	// table's tags are read the first time it is listed.
	TagCacheMaxAge = 6 * time.Hour

	// listingMargin is how long before the function's deadline a listing
	// stops starting work, and listingCap how long after its start: the
	// function timeout is 5 minutes (infra/stacks/function.go), so an
	// invocation ends well within it, with its ledger writes done.
	listingMargin = 60 * time.Second
	listingCap    = 4 * time.Minute

	// listedChunkBytes bounds the JSON of one ledger record of listed
	// tables: DynamoDB's item size limit is 400 KB, attribute names and
	// the keys included (Amazon DynamoDB Developer Guide, Constraints,
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html).
	listedChunkBytes = 350 * 1024
)

// refreshAge is how old tags read at readAt may get before they are read
// again: from half TagCacheMaxAge to TagCacheMaxAge, drawn anew at each
// read (from the table's name and the read's time, so that it is the same
// in every invocation), so that the tags of a fleet first read in one run
// are due again over several later runs, and spread further at each
// renewal.
func refreshAge(table string, readAt time.Time) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(table))
	h.Write([]byte(readAt.UTC().Format(time.RFC3339Nano)))
	half := TagCacheMaxAge / 2
	return half + time.Duration(h.Sum64()%uint64(half))
}

// ListTables resolves the run's settings and lists the source tables to back
// up, a time budget at a time (see listingBudget): it describes each table
// the name filters select, reads its tags unless the tag cache holds them
// (every table's, for the tag filter and per-table settings such as the RPO
// tag), writes the selected tables to the run ledger and returns a cursor
// from which the next invocation resumes. It validates everything before
// calling DynamoDB.
type ListTables struct {
	// Defaults are the settings from the environment, or DefaultsErr when
	// the environment is invalid.
	Defaults    core.Settings
	DefaultsErr error
	Clients     func(region string) TableLister
	// Ledger is the run ledger: the listed tables go to the run's
	// partition, and the tag cache is the partition core.LedgerTags.
	Ledger Ledger
	// Own names the tool's own tables (the run ledger, the catalog), which
	// are never backed up.
	Own []string
	// Parallel bounds the tables inspected at once (default 8): a few
	// hundred DescribeTable calls a second at most, far below the 2,500
	// requests per second DynamoDB's control plane allows (Amazon DynamoDB
	// Developer Guide, Best practices for managing the control plane,
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-control-plane.html).
	// ListTagsOfResource is paced by the client at its own rate.
	Parallel int
	// Now is the clock of the cache's ages; Wall the clock of the time
	// budget, which is the function's real time whatever Now says.
	Now  Clock
	Wall func() time.Time
}

func (h *ListTables) Handle(ctx context.Context, in ListTablesInput) (ListTablesOutput, error) {
	wall := h.Wall
	if wall == nil {
		wall = time.Now
	}
	start := wall()
	cur, err := h.cursor(in)
	if err != nil {
		return ListTablesOutput{}, err
	}
	stop := listingBudget(ctx, start, in.BudgetSeconds)
	region := cur.Settings.SourceRegion
	db := h.Clients(region)
	filter := core.FilterFromSettings(cur.Settings)
	now := h.Now.now()

	var (
		listed []ListedTable
		cache  []core.LedgerRecord
		stats  inspectStats
		done   bool
	)
	for progressed := false; !done && (!progressed || wall().Before(stop)); {
		names, last, err := db.ListTablesPage(ctx, cur.After)
		if err != nil {
			return ListTablesOutput{}, fmt.Errorf("list tables in %s: %w", region, err)
		}
		var candidates []string
		for _, n := range names {
			if filter.MatchName(n) && !slices.Contains(h.Own, n) {
				candidates = append(candidates, n)
			}
		}
		page := &pageWork{h: h, db: db, region: region, filter: filter, now: now, wall: wall, stop: stop, anyDone: progressed}
		results, err := page.inspect(ctx, candidates)
		if err != nil {
			return ListTablesOutput{}, err
		}
		// Every name before the first candidate left for the next
		// invocation is handled.
		handled := len(names)
		if len(results) < len(candidates) {
			handled = slices.Index(names, candidates[len(results)])
		}
		for _, r := range results {
			stats.add(r)
			if r.cache != nil {
				c, err := record(r.name, r.cache)
				if err != nil {
					return ListTablesOutput{}, err
				}
				cache = append(cache, c)
			}
			if r.table != nil {
				listed = append(listed, *r.table)
				cur.Listed++
				if r.table.Skip != "" {
					cur.NotActive++
				}
			}
		}
		if handled > 0 {
			cur.After = names[handled-1]
			cur.Considered += handled
			progressed = true
		}
		done = handled == len(names) && (last == "" || len(names) == 0)
		if handled < len(names) {
			break // out of time within the page
		}
	}

	if err := h.Ledger.DB.PutLedger(ctx, h.Ledger.Table, core.LedgerTags(region), cache, now); err != nil {
		return ListTablesOutput{}, fmt.Errorf("write the tag cache of %s: %w", region, err)
	}
	chunks, err := listedChunks(listed, cur.Chunk)
	if err != nil {
		return ListTablesOutput{}, err
	}
	if err := h.Ledger.put(ctx, in.RunID, now, chunks...); err != nil {
		return ListTablesOutput{}, err
	}
	cur.Chunk += len(chunks)

	slog.InfoContext(ctx, "tables listed", "runId", in.RunID, "region", region, "done", done,
		"listed", cur.Listed, "considered", cur.Considered, "notActive", cur.NotActive,
		"thisInvocation", len(listed), "tagReads", stats.reads, "tagCacheHits", stats.hits,
		"seconds", wall().Sub(start).Seconds())
	return ListTablesOutput{
		RunID: in.RunID, StartedAt: in.StartedAt.UTC(), Settings: cur.Settings, Cursor: cur, Done: done,
		Listed: cur.Listed, Considered: cur.Considered, NotActive: cur.NotActive,
	}, nil
}

// cursor checks the input and returns where this invocation starts: the
// input's cursor, or on the first invocation a new one with the run's
// settings resolved.
func (h *ListTables) cursor(in ListTablesInput) (ListingCursor, error) {
	if in.RunID == "" {
		return ListingCursor{}, &core.InvalidInput{Field: "runId", Problem: "is required (the state machine passes $$.Execution.Name)"}
	}
	if in.StartedAt.IsZero() {
		return ListingCursor{}, &core.InvalidInput{Field: "startedAt", Problem: "is required (the state machine passes $$.Execution.StartTime)"}
	}
	if in.BudgetSeconds < 0 {
		return ListingCursor{}, &core.InvalidInput{Field: "budgetSeconds", Problem: "must not be negative"}
	}
	if in.Cursor != nil {
		c := *in.Cursor
		if err := c.Settings.Validate(core.InputNames); err != nil {
			return ListingCursor{}, &core.InvalidInput{Field: "cursor", Problem: "holds invalid settings: " + err.Error()}
		}
		if c.After != "" {
			if err := core.ValidateName("cursor.after", c.After); err != nil {
				return ListingCursor{}, err
			}
		}
		if c.Chunk < 0 || c.Listed < 0 || c.Considered < 0 || c.NotActive < 0 {
			return ListingCursor{}, &core.InvalidInput{Field: "cursor", Problem: "holds a negative count"}
		}
		return c, nil
	}
	if h.DefaultsErr != nil {
		return ListingCursor{}, h.DefaultsErr
	}
	overrides, err := core.ParseOverrides(in.Input)
	if err != nil {
		return ListingCursor{}, err
	}
	settings, err := overrides.Apply(h.Defaults)
	if err != nil {
		return ListingCursor{}, err
	}
	return ListingCursor{Settings: settings}, nil
}

// listingBudget is when an invocation that started at start stops starting
// work: listingMargin before the function's deadline, at most listingCap
// after its start, or budgetSeconds after it when that is sooner. An
// invocation always handles at least one table, so that a listing ends.
func listingBudget(ctx context.Context, start time.Time, budgetSeconds float64) time.Time {
	stop := start.Add(listingCap)
	if deadline, ok := ctx.Deadline(); ok {
		stop = minTime(stop, deadline.Add(-listingMargin))
	}
	if budgetSeconds > 0 {
		stop = minTime(stop, start.Add(time.Duration(budgetSeconds*float64(time.Second))))
	}
	return stop
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// listedChunks splits tables into ledger records numbered from first, each
// within listedChunkBytes.
func listedChunks(tables []ListedTable, first int) ([]core.LedgerRecord, error) {
	var (
		records []core.LedgerRecord
		buf     []json.RawMessage
		size    int
	)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		r, err := record(core.LedgerListedKey(first+len(records)), struct {
			Tables []json.RawMessage `json:"tables"`
		}{buf})
		records = append(records, r)
		buf, size = nil, 0
		return err
	}
	const envelope = len(`{"tables":[]}`)
	for _, t := range tables {
		b, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		if envelope+size+len(b)+1 > listedChunkBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		buf = append(buf, b)
		size += len(b) + 1 // and a comma
	}
	return records, flush()
}

// pageWork inspects the candidates of one page, in order, until the budget
// ends.
type pageWork struct {
	h       *ListTables
	db      TableLister
	region  string
	filter  core.TableFilter
	now     time.Time
	wall    func() time.Time
	stop    time.Time
	anyDone bool // a table was handled in this invocation already
}

// inspected is what became of one candidate: the table to list (nil: the
// filters leave it out, or it is gone) and the tags to cache (nil: none
// read).
type inspected struct {
	name  string
	table *ListedTable
	cache *cachedTags
	hit   bool
}

type inspectStats struct{ reads, hits int }

func (s *inspectStats) add(r inspected) {
	if r.cache != nil {
		s.reads++
	}
	if r.hit {
		s.hits++
	}
}

// inspect starts the candidates in order, Parallel at a time, until the
// budget ends (always at least one per invocation), and returns the
// results of those it started: a prefix of names.
func (p *pageWork) inspect(ctx context.Context, names []string) ([]inspected, error) {
	parallel := p.h.Parallel
	if parallel <= 0 {
		parallel = 8
	}
	results := make([]inspected, len(names))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		slots   = make(chan struct{}, parallel)
		started int
	)
	for i, name := range names {
		slots <- struct{}{}
		if (p.anyDone || i > 0) && !p.wall().Before(p.stop) {
			<-slots
			break
		}
		started++
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			r, err := p.inspectOne(ctx, name)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			results[i] = r
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errs[0]
	}
	return results[:started], nil
}

// inspectOne describes a table and finds its tags: from the cache when they
// are recent and of this very table (same ARN), else from DynamoDB.
func (p *pageWork) inspectOne(ctx context.Context, name string) (inspected, error) {
	r := inspected{name: name}
	t, err := p.db.DescribeTable(ctx, name)
	var notFound *core.TableNotFound
	if errors.As(err, &notFound) {
		return r, nil // deleted in between
	}
	if err != nil {
		return r, fmt.Errorf("describe %s: %w", name, err)
	}
	cached, err := p.cached(ctx, name)
	if err != nil {
		return r, err
	}
	sameTable := cached.of(t)
	var tags map[string]string
	known := sameTable && p.now.Sub(cached.ReadAt) < refreshAge(name, cached.ReadAt)
	if known {
		tags, r.hit = cached.Tags, true
	} else {
		read, err := p.db.ListTags(ctx, t.Arn)
		switch {
		case err == nil:
			tags, known = read, true
			r.cache = &cachedTags{Arn: t.Arn, Created: t.Created, Tags: read, ReadAt: p.now}
		case errors.As(err, &notFound) && t.Status == core.TableActive:
			return r, nil // deleted in between
		case errors.As(err, &notFound):
			// DynamoDB may answer ResourceNotFound for the tags of a table
			// that is not ACTIVE (TagResource reference, above).
		default:
			return r, fmt.Errorf("list tags of %s: %w", name, err)
		}
	}
	if !known && sameTable {
		// Older tags of this table beat none when they cannot be read now.
		tags, known = cached.Tags, true
	}

	lt := &ListedTable{Name: name, Arn: t.Arn, Status: t.Status, SizeBytes: t.SizeBytes, ItemCount: t.ItemCount, Created: t.Created, Replicated: t.Replicated}
	if known {
		lt.Tags = tags
	}
	switch {
	case p.filter.NeedsTags() && known && !p.filter.MatchTags(tags):
		return r, nil
	// An UPDATING table (capacity or index changes, which can take hours)
	// can be backed up; one being created or deleted, or unusable, cannot.
	case t.Status != core.TableActive && t.Status != core.TableUpdating:
		lt.Skip = "the table is " + t.Status
	case p.filter.NeedsTags() && !known:
		lt.Skip = "its tags cannot be read while the table is " + t.Status + ", so the tag filter cannot be checked"
	}
	r.table = lt
	return r, nil
}

// cached reads a table's cache record; nil when there is none.
func (p *pageWork) cached(ctx context.Context, name string) (*cachedTags, error) {
	l := p.h.Ledger
	data, found, err := l.DB.GetLedger(ctx, l.Table, core.LedgerTags(p.region), name)
	if err != nil {
		return nil, fmt.Errorf("read the cached tags of %s: %w", name, err)
	}
	if !found {
		return nil, nil
	}
	var c cachedTags
	if err := json.Unmarshal(data, &c); err != nil {
		// A record that cannot be read is as good as none: the tags are
		// read again, and the record replaced.
		slog.WarnContext(ctx, "cached tags unreadable", "region", p.region, "table", name, "error", err)
		return nil, nil
	}
	return &c, nil
}
