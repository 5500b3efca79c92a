package steps

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// CopyStatusReader reads the copy status items of a destination's catalog.
type CopyStatusReader interface {
	CopyStatuses(ctx context.Context, catalog, sourceRegion string, fn func(core.CopyStatus) error) error
}

// CopyStatusStore is CopyStatusReader, and confirms the status of a copy a
// skip proved current as of later (false: a newer copy's status is there
// now, and stays).
type CopyStatusStore interface {
	CopyStatusReader
	ConfirmCopyStatus(ctx context.Context, catalog string, s core.CopyStatus) (bool, error)
	// ListTableNames and DescribeTable find the restores in flight in the
	// destination region: the temporary tables being created.
	ListTableNames(ctx context.Context) ([]string, error)
	DescribeTable(ctx context.Context, name string) (core.Table, error)
}

// Decisions a plan makes for a table in a destination region.
const (
	DecisionCopy = "copy"
	DecisionSkip = "skip"
)

// Decision is what the plan decided for one table in one destination
// region (Region empty: in every one): a skip of a table that cannot be
// copied now (Reason names why), or the RPO decision (Decision is its
// kind, Reason says why, and RPO holds the whole of it).
type Decision struct {
	Table    string         `json:"table"`
	Region   string         `json:"region,omitempty"`
	Decision string         `json:"decision"`
	Reason   string         `json:"reason,omitempty"`
	RPO      *core.Decision `json:"rpo,omitempty"`
}

// candidate is a listed table with what each destination's catalog knows
// of its newest copy (nil: no copy yet).
type candidate struct {
	ListedTable
	destinations []string
	status       map[string]*core.CopyStatus
}

// CopyPlan is one admitted copy of an item: its destination, and the
// measured history of the phases that happen there.
type CopyPlan struct {
	Region            string            `json:"region"`
	Restore           core.PhaseHistory `json:"restore"`
	DestinationBackup core.PhaseHistory `json:"destinationBackup"`
}

// CopyItem is the run ledger's item record of an admitted table (item#i):
// what its child execution reads first.
type CopyItem struct {
	Table        string            `json:"table"`
	SizeBytes    int64             `json:"sizeBytes"`
	SourceBackup core.PhaseHistory `json:"sourceBackup,omitzero"`
	Copies       []CopyPlan        `json:"copies"`
	// Manifest is written by the child's first step: the settings it
	// captured at backup time, for the catalog entries.
	Manifest *core.Manifest `json:"manifest,omitempty"`
}

// PlanCopiesInput is the listing's result as the state machine passes it on.
type PlanCopiesInput struct {
	RunID    string        `json:"runId"`
	Settings core.Settings `json:"settings"`
}

// PlanCopiesOutput is the plan, small whatever the number of tables: the
// indices of the ledger's item records, the Map's items.
type PlanCopiesOutput struct {
	Items       []int `json:"items"`
	Count       int   `json:"count"`
	Concurrency int   `json:"concurrency"`
	// Decided counts the decisions per kind, per table and destination.
	Decided map[string]int `json:"decided"`
}

// PlanCopies decides, for every table the listing found and every
// destination, whether this run copies it; writes one item record per
// admitted table and the other decisions to the run ledger; and returns the
// items for the Map. A dry run admits nothing.
type PlanCopies struct {
	Ledger Ledger
	Status func(region string) CopyStatusStore
	// Changes reads the source region's table metrics; nil, or nil for a
	// region: none, and every due table counts as changed.
	Changes func(region string) ChangeReader
	Now     Clock
}

// ledgerChunkBytes bounds the JSON of one ledger record of decisions (a
// DynamoDB item holds at most 400 KB).
const ledgerChunkBytes = 256 << 10

func (h *PlanCopies) Handle(ctx context.Context, in PlanCopiesInput) (PlanCopiesOutput, error) {
	if in.RunID == "" {
		return PlanCopiesOutput{}, &core.InvalidInput{Field: "runId", Problem: "is required"}
	}
	// The listing validated the settings; these name what the plan reads.
	if err := core.ValidateRegion("settings.sourceRegion", in.Settings.SourceRegion); err != nil {
		return PlanCopiesOutput{}, err
	}
	for _, r := range in.Settings.DestinationRegions {
		if err := core.ValidateRegion("settings.destinationRegions", r); err != nil {
			return PlanCopiesOutput{}, err
		}
	}
	candidates, err := h.candidates(ctx, in)
	if err != nil {
		return PlanCopiesOutput{}, err
	}
	now := h.Now.now()
	var changes ChangeReader
	if h.Changes != nil {
		changes = h.Changes(in.Settings.SourceRegion)
	}
	inFlight, err := h.restoresInFlight(ctx, in.Settings.DestinationRegions)
	if err != nil {
		return PlanCopiesOutput{}, err
	}
	decisions, concurrency, err := decide(ctx, changes, in.Settings, candidates, inFlight, now)
	if err != nil {
		return PlanCopiesOutput{}, err
	}
	out := PlanCopiesOutput{Items: []int{}, Concurrency: concurrency, Decided: map[string]int{}}
	copies := map[string][]string{}
	for _, d := range decisions {
		out.Decided[d.Decision]++
		if d.Decision == DecisionCopy && !in.Settings.DryRun {
			copies[d.Table] = append(copies[d.Table], d.Region)
		}
	}
	// The items go in the order the copies were admitted (longest predicted
	// first, which keeps the run's makespan near its bound), each with its
	// destinations in the settings' order.
	byName := make(map[string]candidate, len(candidates))
	for _, c := range candidates {
		byName[c.Name] = c
	}
	var records []core.LedgerRecord
	for _, d := range decisions {
		regions := copies[d.Table]
		if len(regions) == 0 {
			continue
		}
		delete(copies, d.Table)
		slices.SortFunc(regions, func(a, b string) int {
			return slices.Index(in.Settings.DestinationRegions, a) - slices.Index(in.Settings.DestinationRegions, b)
		})
		r, err := record(core.LedgerItemKey(len(out.Items)), copyItem(byName[d.Table], regions))
		if err != nil {
			return PlanCopiesOutput{}, err
		}
		records = append(records, r)
		out.Items = append(out.Items, len(out.Items))
	}
	chunks, err := chunkRecords(core.LedgerDecidedKey, decisions, func(ds []Decision) any { return map[string][]Decision{"decisions": ds} })
	if err != nil {
		return PlanCopiesOutput{}, err
	}
	if err := h.Ledger.put(ctx, in.RunID, now, append(records, chunks...)...); err != nil {
		return PlanCopiesOutput{}, err
	}
	if !in.Settings.DryRun {
		if err := h.confirmSkips(ctx, in.Settings, candidates, decisions); err != nil {
			return PlanCopiesOutput{}, err
		}
	}
	out.Count = len(out.Items)
	slog.InfoContext(ctx, "copies planned", "runId", in.RunID, "tables", len(candidates), "admitted", out.Count, "decided", out.Decided, "dryRun", in.Settings.DryRun)
	return out, nil
}

// decide is the decision of the plan for each table and destination: a
// table that cannot be backed up now is skipped; every other gets its RPO
// decision (DecideCopies), the copies admitted first, in the order the Map
// should start them. It also returns the Map's concurrency.
func decide(ctx context.Context, changes ChangeReader, s core.Settings, candidates []candidate, inFlight map[string]int, now time.Time) ([]Decision, int, error) {
	var skips []Decision
	var copyable []CopyCandidate
	for _, c := range candidates {
		// An UPDATING table (capacity or index changes, which can take
		// hours) can be backed up; one being created or deleted, or
		// unusable, cannot.
		switch {
		case c.Status != core.TableActive && c.Status != core.TableUpdating:
			skips = append(skips, Decision{Table: c.Name, Decision: DecisionSkip, Reason: ReasonNotActive})
		case c.Skip != "": // the listing could not read its tags under a tag filter
			skips = append(skips, Decision{Table: c.Name, Decision: DecisionSkip, Reason: ReasonTagsUnknown})
		default:
			copyable = append(copyable, CopyCandidate{Table: c.Name, Tags: c.Tags, SizeBytes: c.SizeBytes,
				Created: c.Created, HasReplicas: c.Replicated, Copies: c.status})
		}
	}
	decided, err := DecideCopies(ctx, changes, s, copyable, inFlight, now)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Decision, 0, len(decided.Admitted)+len(decided.Others)+len(skips))
	for _, d := range slices.Concat(decided.Admitted, decided.Others) {
		out = append(out, Decision{Table: d.Table, Region: d.Destination, Decision: string(d.Kind), Reason: d.Reason, RPO: &d})
	}
	return append(out, skips...), decided.Concurrency, nil
}

// candidates reads the listed tables from the ledger and each destination's
// copy status of them (one paginated Query per destination).
func (h *PlanCopies) candidates(ctx context.Context, in PlanCopiesInput) ([]candidate, error) {
	var out []candidate
	err := h.Ledger.DB.QueryLedger(ctx, h.Ledger.Table, core.LedgerRun(in.RunID), core.LedgerListedPrefix, func(r core.LedgerRecord) error {
		var chunk ListedChunk
		if err := json.Unmarshal(r.Data, &chunk); err != nil {
			return fmt.Errorf("ledger record %q of run %s: %w", r.Key, in.RunID, err)
		}
		for _, t := range chunk.Tables {
			out = append(out, candidate{ListedTable: t, destinations: in.Settings.DestinationRegions, status: map[string]*core.CopyStatus{}})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the tables listed by run %s: %w", in.RunID, err)
	}
	// A listing invocation that was retried may have left a chunk of an
	// attempt that listed further: a table is planned once.
	byName := make(map[string]int, len(out))
	out = slices.DeleteFunc(out, func(c candidate) bool {
		_, seen := byName[c.Name]
		byName[c.Name] = 0
		return seen
	})
	for i, c := range out {
		byName[c.Name] = i
	}
	for _, region := range in.Settings.DestinationRegions {
		err := h.Status(region).CopyStatuses(ctx, in.Settings.CatalogTable, in.Settings.SourceRegion, func(s core.CopyStatus) error {
			if i, ok := byName[s.Table]; ok {
				out[i].status[region] = &s
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read the copy status in %s: %w", region, err)
		}
	}
	return out, nil
}

// copyItem is the item record of candidate c, copied to regions.
func copyItem(c candidate, regions []string) CopyItem {
	item := CopyItem{Table: c.Name, SizeBytes: c.SizeBytes}
	for _, region := range regions {
		p := CopyPlan{Region: region}
		if s := c.status[region]; s != nil {
			p.Restore, p.DestinationBackup = s.Phases[core.PhaseRestore], s.Phases[core.PhaseDestinationBackup]
			if h := s.Phases[core.PhaseSourceBackup]; h.Seconds > 0 {
				item.SourceBackup = h
			}
		}
		item.Copies = append(item.Copies, p)
	}
	return item
}

// chunkRecords puts list into ledger records keyed key(0), key(1), ...,
// each wrap(part) of at most ledgerChunkBytes of JSON.
func chunkRecords[T any](key func(int) string, list []T, wrap func([]T) any) ([]core.LedgerRecord, error) {
	var out []core.LedgerRecord
	for start := 0; start < len(list); {
		end, size := start, 0
		for end < len(list) {
			b, err := json.Marshal(list[end])
			if err != nil {
				return nil, err
			}
			if size += len(b) + 1; size > ledgerChunkBytes && end > start {
				break
			}
			end++
		}
		r, err := record(key(len(out)), wrap(list[start:end]))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		start = end
	}
	return out, nil
}

// item reads the item record i of a run.
func (l Ledger) item(ctx context.Context, runID string, i int) (CopyItem, error) {
	if runID == "" || i < 0 {
		return CopyItem{}, &core.InvalidInput{Field: "runId, index", Problem: "name a run ledger item (runId and an index of at least 0)"}
	}
	raw, found, err := l.DB.GetLedger(ctx, l.Table, core.LedgerRun(runID), core.LedgerItemKey(i))
	if err != nil {
		return CopyItem{}, fmt.Errorf("read item %d of run %s: %w", i, runID, err)
	}
	if !found {
		return CopyItem{}, &core.InvalidInput{Field: "index", Problem: fmt.Sprintf("run %s has no item %d in ledger %s", runID, i, l.Table)}
	}
	var item CopyItem
	if err := json.Unmarshal(raw, &item); err != nil {
		return CopyItem{}, fmt.Errorf("item %d of run %s: %w", i, runID, err)
	}
	return item, nil
}

// restoresInFlight counts, per destination region, the tool's temporary
// tables being created: the restores another run (an overlapping one)
// still holds a slot for. A table that went in between is not counted.
func (h *PlanCopies) restoresInFlight(ctx context.Context, regions []string) (map[string]int, error) {
	out := map[string]int{}
	for _, region := range regions {
		db := h.Status(region)
		names, err := db.ListTableNames(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the tables of %s: %w", region, err)
		}
		for _, name := range names {
			if !core.IsTempTableName(name) {
				continue
			}
			t, err := db.DescribeTable(ctx, name)
			var gone *core.TableNotFound
			switch {
			case errors.As(err, &gone):
			case err != nil:
				return nil, fmt.Errorf("describe %s in %s: %w", name, region, err)
			case t.Status == core.TableCreating:
				out[region]++
			}
		}
	}
	return out, nil
}

// confirmSkips writes, for each copy a skip proved current as of later
// than its catalog's copy status says, the new "current as of" into that
// destination's catalog, a few at a time: a restore reports it.
func (h *PlanCopies) confirmSkips(ctx context.Context, s core.Settings, candidates []candidate, decisions []Decision) error {
	byName := make(map[string]candidate, len(candidates))
	for _, c := range candidates {
		byName[c.Name] = c
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, 8)
	)
	for _, d := range decisions {
		old := byName[d.Table].status[d.Region]
		if d.Decision != string(core.DecisionUnchanged) || d.RPO == nil || old == nil || !d.RPO.CurrentAsOf.After(old.CurrentAsOf) {
			continue
		}
		confirmed := *old
		confirmed.CurrentAsOf = d.RPO.CurrentAsOf
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			if _, err := h.Status(d.Region).ConfirmCopyStatus(ctx, s.CatalogTable, confirmed); err != nil {
				mu.Lock()
				first = cmp.Or(first, fmt.Errorf("confirm the copy of %s in %s: %w", d.Table, d.Region, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// planDecisions reads every decision of a run's plan from its decision
// records.
func (l Ledger) planDecisions(ctx context.Context, runID string) ([]Decision, error) {
	var out []Decision
	err := l.DB.QueryLedger(ctx, l.Table, core.LedgerRun(runID), core.LedgerDecidedPrefix, func(r core.LedgerRecord) error {
		var chunk struct {
			Decisions []Decision `json:"decisions"`
		}
		if err := json.Unmarshal(r.Data, &chunk); err != nil {
			return fmt.Errorf("ledger record %q of run %s: %w", r.Key, runID, err)
		}
		out = append(out, chunk.Decisions...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the decisions of run %s: %w", runID, err)
	}
	return out, nil
}

// planResults are the results a plan's decisions give without a copy: a
// table skipped, and a table whose RPO tag is not an RPO (it fails, named
// with the problem). The other decisions are not results: a copy's comes
// from its child execution, and a table not copied by its RPO is fine.
func planResults(decisions []Decision) []TableResult {
	var out []TableResult
	for _, d := range decisions {
		switch d.Decision {
		case DecisionSkip:
			out = append(out, TableResult{Table: d.Table, Region: d.Region, Status: StatusSkipped, Error: d.Reason, Cause: skipCauses[d.Reason]})
		case string(core.DecisionInvalid):
			out = append(out, TableResult{Table: d.Table, Region: d.Region, Status: StatusFailed, Error: "InvalidInput", Cause: d.Reason})
		}
	}
	return out
}

// ReasonNotActive is the reason a table is skipped for when it is being
// created or deleted, or unusable.
const ReasonNotActive = "TableNotActive"

// ReasonTagsUnknown is the reason a table is skipped for when a tag filter
// is set and the listing could not read its tags.
const ReasonTagsUnknown = "TagsUnknown"

// skipCauses explains each reason a plan skips a table for.
var skipCauses = map[string]string{
	ReasonNotActive:   "the table was not ACTIVE or UPDATING when the run listed it",
	ReasonTagsUnknown: "a tag filter is set and the table's tags could not be read when the run listed it",
}
