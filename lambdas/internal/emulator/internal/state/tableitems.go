package state

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/expr"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// This file keeps what a table knows of its items besides the items
// themselves, up to date on every write: their total size and the items
// and size of each secondary index (what a refresh of ItemCount and
// TableSizeBytes measures), and the items of each partition in sort-key
// order (what a Query reads). So neither a refresh nor a Query has to read
// every item of the table.

// partition is the items of one partition key value, in the order a Query
// of the table reads them forward.
type partition []partEntry

type partEntry struct {
	sortKey expr.KeyValue // zero for a table without a sort key
	key     string        // the item's encoded primary key, its key in table.items
}

// comparePartEntries orders items by sort key, then by primary key, as
// comparePositions does for a Query of the table.
func comparePartEntries(a, b partEntry) int {
	return cmp.Or(a.sortKey.Compare(b.sortKey), strings.Compare(a.key, b.key))
}

// entry is where the item stored at key sits: its partition and its place
// in it.
func (t *table) entry(key string, it wire.Item) (string, partEntry) {
	e := partEntry{key: key}
	if rk := t.rangeKey(); rk != "" {
		e.sortKey = expr.ParseKey(it[rk])
	}
	return expr.Canonical(it[t.hashKey()]), e
}

// putItem stores it at key, replacing the item stored there.
func (t *table) putItem(key string, it wire.Item) {
	t.deleteItem(key)
	t.items[key] = it
	t.count(it, 1)
	p, e := t.entry(key, it)
	t.partitions[p] = insertSorted(t.partitions[p], e, comparePartEntries)
}

// deleteItem deletes the item stored at key, if any.
func (t *table) deleteItem(key string) {
	old, ok := t.items[key]
	if !ok {
		return
	}
	delete(t.items, key)
	t.count(old, -1)
	p, e := t.entry(key, old)
	if rest := removeSorted(t.partitions[p], e, comparePartEntries); len(rest) > 0 {
		t.partitions[p] = rest
	} else {
		delete(t.partitions, p)
	}
}

// count adds it (sign 1) to the table's size and its indexes' counts and
// sizes, or takes it away (sign -1).
func (t *table) count(it wire.Item, sign int64) {
	size := expr.ItemSize(it)
	t.bytes += sign * size
	for _, ix := range t.indexes() {
		if hasKeys(it, ix.keySchema) {
			u := t.indexTotals[ix.name]
			u.items += sign
			u.bytes += sign * size
			t.indexTotals[ix.name] = u
		}
	}
}

// setItems replaces all the items of the table, and recounts them. It is
// also how a change of the table's indexes is counted: setItems(t.items).
func (t *table) setItems(items map[string]wire.Item) {
	t.items = items
	t.bytes = 0
	t.indexTotals = map[string]indexUsage{}
	t.partitions = map[string]partition{}
	for key, it := range items {
		t.count(it, 1)
		p, e := t.entry(key, it)
		t.partitions[p] = append(t.partitions[p], e)
	}
	for _, p := range t.partitions {
		slices.SortFunc(p, comparePartEntries)
	}
}

// indexes is the table's secondary indexes, global then local.
func (t *table) indexes() []*index {
	return append(append([]*index{}, t.gsis...), t.lsis...)
}
