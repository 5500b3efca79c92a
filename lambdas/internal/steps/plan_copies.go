package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// CopyStatusReader reads the copy status items of a destination's catalog.
type CopyStatusReader interface {
	CopyStatuses(ctx context.Context, catalog, sourceRegion string, fn func(core.CopyStatus) error) error
}

// Decisions a plan makes for a table in a destination region.
const (
	DecisionCopy = "copy"
	DecisionSkip = "skip"
)

// Decision is what the plan decided for one table in one destination
// region (Region empty: in every one).
type Decision struct {
	Table    string `json:"table"`
	Region   string `json:"region,omitempty"`
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
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
	Status func(region string) CopyStatusReader
	Now    Clock
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
	decisions := decide(candidates)
	out := PlanCopiesOutput{Items: []int{}, Concurrency: in.Settings.MaxConcurrency, Decided: map[string]int{}}
	copies := map[string][]string{}
	var others []Decision
	for _, d := range decisions {
		out.Decided[d.Decision]++
		if d.Decision == DecisionCopy && !in.Settings.DryRun {
			copies[d.Table] = append(copies[d.Table], d.Region)
			continue
		}
		others = append(others, d)
	}
	now := h.Now.now()
	var records []core.LedgerRecord
	for _, c := range candidates {
		regions := copies[c.Name]
		if len(regions) == 0 {
			continue
		}
		r, err := record(core.LedgerItemKey(len(out.Items)), copyItem(c, regions))
		if err != nil {
			return PlanCopiesOutput{}, err
		}
		records = append(records, r)
		out.Items = append(out.Items, len(out.Items))
	}
	chunks, err := chunkRecords(core.LedgerDecidedKey, others, func(ds []Decision) any { return map[string][]Decision{"decisions": ds} })
	if err != nil {
		return PlanCopiesOutput{}, err
	}
	if err := h.Ledger.put(ctx, in.RunID, now, append(records, chunks...)...); err != nil {
		return PlanCopiesOutput{}, err
	}
	out.Count = len(out.Items)
	slog.InfoContext(ctx, "copies planned", "runId", in.RunID, "tables", len(candidates), "admitted", out.Count, "decided", out.Decided, "dryRun", in.Settings.DryRun)
	return out, nil
}

// decide is the decision of the plan for each table and destination: every
// table that can be backed up (ACTIVE or UPDATING) is copied to every
// destination; any other is skipped.
func decide(candidates []candidate) []Decision {
	var out []Decision
	for _, c := range candidates {
		// An UPDATING table (capacity or index changes, which can take
		// hours) can be backed up; one being created or deleted, or
		// unusable, cannot.
		if c.Status != core.TableActive && c.Status != core.TableUpdating {
			out = append(out, Decision{Table: c.Name, Decision: DecisionSkip, Reason: ReasonNotActive})
			continue
		}
		if c.Skip != "" { // the listing could not read its tags under a tag filter
			out = append(out, Decision{Table: c.Name, Decision: DecisionSkip, Reason: ReasonTagsUnknown})
			continue
		}
		for _, region := range c.destinations {
			out = append(out, Decision{Table: c.Name, Region: region, Decision: DecisionCopy})
		}
	}
	return out
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

// skippedByPlan reads the tables a run's plan skipped, from its decision
// records: one result per table (a skip in every region is one decision).
func (l Ledger) skippedByPlan(ctx context.Context, runID string) ([]TableResult, error) {
	var out []TableResult
	err := l.DB.QueryLedger(ctx, l.Table, core.LedgerRun(runID), core.LedgerDecidedPrefix, func(r core.LedgerRecord) error {
		var chunk struct {
			Decisions []Decision `json:"decisions"`
		}
		if err := json.Unmarshal(r.Data, &chunk); err != nil {
			return fmt.Errorf("ledger record %q of run %s: %w", r.Key, runID, err)
		}
		for _, d := range chunk.Decisions {
			if d.Decision == DecisionSkip {
				out = append(out, TableResult{Table: d.Table, Region: d.Region, Status: StatusSkipped, Error: d.Reason, Cause: skipCauses[d.Reason]})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the decisions of run %s: %w", runID, err)
	}
	return out, nil
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
