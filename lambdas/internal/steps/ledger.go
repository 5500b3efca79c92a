package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// RunLedger is the part of the run ledger (see core.LedgerRun) the steps
// use: a DynamoDB table in the state machine's own region.
type RunLedger interface {
	PutLedger(ctx context.Context, table, pk string, records []core.LedgerRecord, now time.Time) error
	GetLedger(ctx context.Context, table, pk, key string) (json.RawMessage, bool, error)
	QueryLedger(ctx context.Context, table, pk, prefix string, fn func(core.LedgerRecord) error) error
}

// Ledger is a run ledger table and its client.
type Ledger struct {
	Table string
	DB    RunLedger
}

// put writes records into run's partition.
func (l Ledger) put(ctx context.Context, runID string, now time.Time, records ...core.LedgerRecord) error {
	if err := l.DB.PutLedger(ctx, l.Table, core.LedgerRun(runID), records, now); err != nil {
		return fmt.Errorf("write the ledger of run %s: %w", runID, err)
	}
	return nil
}

// record is one ledger record of v as JSON.
func record(key string, v any) (core.LedgerRecord, error) {
	b, err := json.Marshal(v)
	return core.LedgerRecord{Key: key, Data: b}, err
}

// RecordOutcome writes the outcome of Map item i of a run: a TableResult
// for the table as a whole (region ""), or a DestinationResult for one
// region. Summarize reads them back (see readOutcomes).
func (l Ledger) RecordOutcome(ctx context.Context, runID string, i int, region string, outcome any, now time.Time) error {
	r, err := record(core.LedgerOutcomeKey(i, region), outcome)
	if err != nil {
		return err
	}
	return l.put(ctx, runID, now, r)
}

// ledgerIndex reads the index from a key "<prefix>%06d[#...]".
func ledgerIndex(key, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, "#")
	i, err := strconv.Atoi(digits)
	return i, err == nil
}

// readOutcomes folds a run's outcome records into one TableResult per Map
// item: its table-level record, with each region's DestinationResult.
func (l Ledger) readOutcomes(ctx context.Context, runID string) (map[int]*TableResult, error) {
	out := map[int]*TableResult{}
	err := l.DB.QueryLedger(ctx, l.Table, core.LedgerRun(runID), core.LedgerOutcomePrefix, func(r core.LedgerRecord) error {
		i, ok := ledgerIndex(r.Key, core.LedgerOutcomePrefix)
		if !ok {
			return fmt.Errorf("ledger record %q of run %s: not an outcome key", r.Key, runID)
		}
		t := out[i]
		if t == nil {
			t = &TableResult{}
			out[i] = t
		}
		if strings.HasSuffix(r.Key, "#-") {
			var whole TableResult
			if err := json.Unmarshal(r.Data, &whole); err != nil {
				return fmt.Errorf("ledger record %q of run %s: %w", r.Key, runID, err)
			}
			whole.Destinations = append(t.Destinations, whole.Destinations...)
			*t = whole
			return nil
		}
		var d struct {
			DestinationResult
			Table string `json:"table"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return fmt.Errorf("ledger record %q of run %s: %w", r.Key, runID, err)
		}
		if t.Table == "" {
			t.Table = d.Table
		}
		t.Destinations = append(t.Destinations, d.DestinationResult)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the outcomes of run %s: %w", runID, err)
	}
	return out, nil
}

// itemTables reads the table of every Map item of a run (the "table" field
// of its item record).
func (l Ledger) itemTables(ctx context.Context, runID string) (map[int]string, error) {
	out := map[int]string{}
	err := l.DB.QueryLedger(ctx, l.Table, core.LedgerRun(runID), core.LedgerItemPrefix, func(r core.LedgerRecord) error {
		i, ok := ledgerIndex(r.Key, core.LedgerItemPrefix)
		if !ok {
			return fmt.Errorf("ledger record %q of run %s: not an item key", r.Key, runID)
		}
		var v struct {
			Table string `json:"table"`
		}
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return fmt.Errorf("ledger record %q of run %s: %w", r.Key, runID, err)
		}
		out[i] = v.Table
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the items of run %s: %w", runID, err)
	}
	return out, nil
}
