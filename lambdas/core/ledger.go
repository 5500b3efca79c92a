package core

import (
	"encoding/json"
	"fmt"
	"time"
)

// The run ledger is a DynamoDB table in the state machine's own region
// (EnvLedgerTable, a deployment setting) that carries what does not fit a state payload: the tables
// a run listed, the items its Map works on, every decision and every
// outcome. A Map item is then just an index, so a run of 10,000 tables with
// 255-character names stays far under Step Functions' 256 KiB per state.
//
// Its key is LedgerPartitionKey (S) and LedgerSortKey (S); each item's value
// is one JSON document in LedgerData, and LedgerExpiresAt (N, epoch seconds)
// is the table's TTL attribute.
const (
	LedgerPartitionKey = "pk"
	LedgerSortKey      = "sk"
	LedgerData         = "data"
	LedgerExpiresAt    = "expiresAt"
	// LedgerRetention is how long ledger items live; TTL removes them
	// (typically within a few days of expiry).
	LedgerRetention = 30 * 24 * time.Hour
)

// LedgerRecord is one ledger item of a partition: its sort key and its
// JSON document.
type LedgerRecord struct {
	Key  string
	Data json.RawMessage
}

// LedgerRun is the partition of one run (backup or restore), by execution name.
func LedgerRun(runID string) string { return "run#" + runID }

// LedgerTags is the partition that caches the tags of a region's tables.
func LedgerTags(region string) string { return "tags#" + region }

// Sort keys within a run's partition. Numbers are zero-padded so that the
// keys sort in numeric order.
const (
	LedgerHeaderKey     = "run"
	LedgerListedPrefix  = "listed#"
	LedgerItemPrefix    = "item#"
	LedgerDecidedPrefix = "decision#"
	LedgerOutcomePrefix = "outcome#"
)

// LedgerListedKey is the key of the n-th chunk of listed tables.
func LedgerListedKey(n int) string { return fmt.Sprintf("%s%06d", LedgerListedPrefix, n) }

// LedgerItemKey is the key of Map item i.
func LedgerItemKey(i int) string { return fmt.Sprintf("%s%06d", LedgerItemPrefix, i) }

// LedgerDecidedKey is the key of the n-th chunk of decisions.
func LedgerDecidedKey(n int) string { return fmt.Sprintf("%s%06d", LedgerDecidedPrefix, n) }

// LedgerOutcomeKey is the key of item i's outcome in region ("" for the
// table as a whole).
func LedgerOutcomeKey(i int, region string) string {
	if region == "" {
		region = "-"
	}
	return fmt.Sprintf("%s%06d#%s", LedgerOutcomePrefix, i, region)
}
