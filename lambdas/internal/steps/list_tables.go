package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// TableLister is the part of DynamoDB that ListTables needs.
type TableLister interface {
	ListTableNames(ctx context.Context) ([]string, error) // every page
	DescribeTable(ctx context.Context, name string) (core.Table, error)
	ListTags(ctx context.Context, arn string) (map[string]string, error)
}

// ListTablesInput is the first step's input.
type ListTablesInput struct {
	// Input is the execution input: optional overrides of the settings.
	Input     json.RawMessage `json:"input,omitempty"`
	RunID     string          `json:"runId"`     // the execution name
	StartedAt time.Time       `json:"startedAt"` // the execution start time
}

// ListTablesOutput carries the resolved settings of the run; the tables
// listed are in the run ledger (listed# records of ListedTable), which keeps
// the state small whatever their number and names.
type ListTablesOutput struct {
	RunID     string        `json:"runId"`
	StartedAt time.Time     `json:"startedAt"`
	Settings  core.Settings `json:"settings"`
	// Done is true when the listing is complete.
	Done bool `json:"done"`
	// Listed counts the tables written to the ledger.
	Listed int `json:"listed"`
	// Tables names the tables selected, ACTIVE or UPDATING (not in the
	// output: in the ledger).
	Tables []string `json:"-"`
	// Considered counts the source tables seen before filtering.
	Considered int `json:"considered"`
	// NotActive lists matching tables skipped because of their status
	// (being created or deleted, or unusable); the summary reports them.
	NotActive []string `json:"notActive"`
}

// ListTables resolves the run's settings and lists the source tables to back
// up. It validates everything before calling DynamoDB.
type ListTables struct {
	// Defaults are the settings from the environment, or DefaultsErr when
	// the environment is invalid.
	Defaults    core.Settings
	DefaultsErr error
	Clients     func(region string) TableLister
	// Ledger receives the tables listed.
	Ledger Ledger
	// Own names the tool's own tables (the run ledger, the catalog), which
	// are never backed up.
	Own []string
	// Parallel bounds the concurrent DescribeTable calls (default 8).
	Parallel int
}

func (h *ListTables) Handle(ctx context.Context, in ListTablesInput) (ListTablesOutput, error) {
	if h.DefaultsErr != nil {
		return ListTablesOutput{}, h.DefaultsErr
	}
	if in.RunID == "" {
		return ListTablesOutput{}, &core.InvalidInput{Field: "runId", Problem: "is required (the state machine passes $$.Execution.Name)"}
	}
	overrides, err := core.ParseOverrides(in.Input)
	if err != nil {
		return ListTablesOutput{}, err
	}
	settings, err := overrides.Apply(h.Defaults)
	if err != nil {
		return ListTablesOutput{}, err
	}
	out := ListTablesOutput{RunID: in.RunID, StartedAt: in.StartedAt.UTC(), Settings: settings, Tables: []string{}, NotActive: []string{}}
	if out.StartedAt.IsZero() {
		return ListTablesOutput{}, &core.InvalidInput{Field: "startedAt", Problem: "is required (the state machine passes $$.Execution.StartTime)"}
	}

	db := h.Clients(settings.SourceRegion)
	names, err := db.ListTableNames(ctx)
	if err != nil {
		return ListTablesOutput{}, fmt.Errorf("list tables in %s: %w", settings.SourceRegion, err)
	}
	out.Considered = len(names)
	filter := core.FilterFromSettings(settings)
	var candidates []string
	for _, n := range names {
		if filter.MatchName(n) && !slices.Contains(h.Own, n) {
			candidates = append(candidates, n)
		}
	}
	verdicts, tables, err := h.inspect(ctx, db, filter, candidates)
	if err != nil {
		return ListTablesOutput{}, err
	}
	var listed []ListedTable
	for i, n := range candidates {
		switch verdicts[i] {
		case selected:
			out.Tables = append(out.Tables, n)
		case inactive:
			out.NotActive = append(out.NotActive, n)
		default:
			continue
		}
		t := tables[i]
		listed = append(listed, ListedTable{Name: n, Arn: t.Arn, Status: t.Status, SizeBytes: t.SizeBytes, ItemCount: t.ItemCount})
	}
	records, err := chunkRecords(core.LedgerListedKey, listed, func(ts []ListedTable) any { return listedChunk{Tables: ts} })
	if err != nil {
		return ListTablesOutput{}, err
	}
	if err := h.Ledger.put(ctx, in.RunID, out.StartedAt, records...); err != nil {
		return ListTablesOutput{}, err
	}
	out.Listed, out.Done = len(listed), true
	slog.InfoContext(ctx, "tables listed", "runId", in.RunID, "region", settings.SourceRegion,
		"considered", out.Considered, "selected", len(out.Tables), "notActive", len(out.NotActive))
	return out, nil
}

type verdict int

const (
	filteredOut verdict = iota
	selected
	inactive
)

// inspect describes each candidate (and reads its tags when a tag filter is
// set) with bounded parallelism. A table deleted in between is dropped.
func (h *ListTables) inspect(ctx context.Context, db TableLister, filter core.TableFilter, names []string) ([]verdict, []core.Table, error) {
	verdicts := make([]verdict, len(names))
	tables := make([]core.Table, len(names))
	parallel := h.Parallel
	if parallel <= 0 {
		parallel = 8
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		slots = make(chan struct{}, parallel)
	)
	for i, name := range names {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			v, t, err := h.inspectOne(ctx, db, filter, name)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			verdicts[i], tables[i] = v, t
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, nil, errs[0]
	}
	return verdicts, tables, nil
}

func (h *ListTables) inspectOne(ctx context.Context, db TableLister, filter core.TableFilter, name string) (verdict, core.Table, error) {
	t, err := db.DescribeTable(ctx, name)
	var notFound *core.TableNotFound
	if errors.As(err, &notFound) {
		return filteredOut, t, nil
	}
	if err != nil {
		return filteredOut, t, fmt.Errorf("describe %s: %w", name, err)
	}
	if filter.NeedsTags() {
		tags, err := db.ListTags(ctx, t.Arn)
		if errors.As(err, &notFound) && t.Status != core.TableActive {
			// DynamoDB answers ResourceNotFound for the tags of a table
			// that is not ACTIVE: whether it matches is unknown, so it is
			// reported as not backed up rather than silently left out.
			return inactive, t, nil
		}
		if errors.As(err, &notFound) {
			return filteredOut, t, nil // deleted in between
		}
		if err != nil {
			return filteredOut, t, fmt.Errorf("list tags of %s: %w", name, err)
		}
		if !filter.MatchTags(tags) {
			return filteredOut, t, nil
		}
	}
	// An UPDATING table (capacity or index changes, which can take hours)
	// can be backed up; one being created or deleted, or unusable, cannot.
	if t.Status != core.TableActive && t.Status != core.TableUpdating {
		return inactive, t, nil
	}
	return selected, t, nil
}
