package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// memLedger is an in-memory run ledger.
type memLedger struct {
	mu    sync.Mutex
	items map[string]json.RawMessage // pk + "\x00" + sk
}

func newMemLedger() *memLedger { return &memLedger{items: map[string]json.RawMessage{}} }

func (m *memLedger) PutLedger(_ context.Context, _, pk string, records []core.LedgerRecord, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range records {
		m.items[pk+"\x00"+r.Key] = r.Data
	}
	return nil
}

func (m *memLedger) GetLedger(_ context.Context, _, pk, key string) (json.RawMessage, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.items[pk+"\x00"+key]
	return d, ok, nil
}

func (m *memLedger) QueryLedger(_ context.Context, _, pk, prefix string, fn func(core.LedgerRecord) error) error {
	m.mu.Lock()
	keys := slices.Sorted(maps.Keys(m.items))
	m.mu.Unlock()
	for _, k := range keys {
		if sk, ok := strings.CutPrefix(k, pk+"\x00"); ok && strings.HasPrefix(sk, prefix) {
			if err := fn(core.LedgerRecord{Key: sk, Data: m.items[k]}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Summarize reads a run's outcomes from its ledger: a table's destinations,
// a table that failed before its copies, a child execution that failed
// outright (named from its item), and an item with no outcome at all.
func TestSummarizeReadsTheRunLedger(t *testing.T) {
	ctx := context.Background()
	db := newMemLedger()
	l := Ledger{Table: "ledger", DB: db}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	const run = "run-1"
	for i, table := range []string{"orders", "users", "crashed", "vanished"} {
		r, _ := record(core.LedgerItemKey(i), map[string]string{"table": table})
		if err := l.put(ctx, run, now, r); err != nil {
			t.Fatal(err)
		}
	}
	outcomes := []struct {
		i       int
		region  string
		outcome any
	}{
		{0, "r1", map[string]any{"table": "orders", "region": "r1", "status": StatusSucceeded}},
		{0, "r2", map[string]any{"table": "orders", "region": "r2", "status": StatusFailed, "error": "QuotaExceeded", "cause": "too many restores"}},
		{0, "", TableResult{Table: "orders", Seconds: 60, Bytes: 1 << 30}},
		{1, "", TableResult{Table: "users", Status: StatusFailed, Error: "TableNotFound", Cause: "gone"}},
		// Another run's outcome is not read.
	}
	for _, o := range outcomes {
		if err := l.RecordOutcome(ctx, run, o.i, o.region, o.outcome, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.RecordOutcome(ctx, "run-2", 3, "", TableResult{Table: "vanished"}, now); err != nil {
		t.Fatal(err)
	}
	results := []TableResult{}
	raw := fmt.Sprintf(`[{}, {}, {"ExecutionArn": "arn:x", "Input": %q, "Status": "FAILED", "Error": "States.Timeout", "Cause": "took too long"}, {}]`,
		`{"runId":"run-1","index":2}`)
	if err := json.Unmarshal([]byte(raw), &results); err != nil {
		t.Fatal(err)
	}
	h := &Summarize{Now: func() time.Time { return now }, Ledger: l}
	s, err := h.Handle(ctx, SummarizeInput{RunID: run, Items: 4, Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if s.Tables != 4 || s.Succeeded != 0 || s.Failed != 4 {
		t.Fatalf("tables %d, succeeded %d, failed %d; want 4, 0, 4: %+v", s.Tables, s.Succeeded, s.Failed, s.Failures)
	}
	got := map[string]string{}
	for _, f := range s.Failures {
		got[f.Table] = f.Error + "/" + f.Region
	}
	want := map[string]string{"orders": "QuotaExceeded/r2", "users": "TableNotFound/", "crashed": "States.Timeout/", "vanished": "MissingResults/"}
	if !maps.Equal(got, want) {
		t.Errorf("failures = %v, want %v", got, want)
	}
}
