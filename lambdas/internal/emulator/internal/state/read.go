package state

import (
	"encoding/json"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/expr"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// maxPageBytes caps the data a Query or Scan page reads.
const maxPageBytes = 1 << 20

// readSource is the table or index a Query/Scan reads.
type readSource struct {
	t     *table
	index *index // nil for the base table
}

func (s readSource) keySchema() []wire.KeySchemaElement {
	if s.index != nil {
		return s.index.keySchema
	}
	return s.t.keySchema
}

// cursorKey is the key that identifies an item's position in a read:
// the table key plus the index key for index reads.
func (s readSource) cursorKey(it wire.Item) wire.Item {
	if s.index != nil {
		return keyOf(it, s.t.keySchema, s.index.keySchema)
	}
	return keyOf(it, s.t.keySchema)
}

// projectForIndex applies an index's projection to an item.
func (s readSource) projectForIndex(it wire.Item) wire.Item {
	if s.index == nil || s.index.projection.ProjectionType == "ALL" {
		return it
	}
	out := s.cursorKey(it)
	if s.index.projection.ProjectionType == "INCLUDE" {
		for _, name := range s.index.projection.NonKeyAttributes {
			if v, ok := it[name]; ok {
				out[name] = v
			}
		}
	}
	return out
}

func (c *Call) readSource(tableName, indexName string, consistent bool) (readSource, error) {
	t, err := c.itemTable(tableName)
	if err != nil {
		return readSource{}, err
	}
	src := readSource{t: t}
	if indexName != "" {
		if src.index = t.findIndex(indexName); src.index == nil {
			return readSource{}, wire.Validation("The table does not have the specified index: %s", indexName)
		}
		if consistent && src.index.global {
			return readSource{}, wire.Validation("Consistent reads are not supported on global secondary indexes")
		}
	}
	return src, nil
}

// position orders items within a read: by the range key of the source (for
// queries), then by the canonical index key and table key.
type position struct {
	hasRange bool
	rangeVal json.RawMessage
	group    string
	key      string
}

func (s readSource) position(it wire.Item, byRange bool) position {
	p := position{key: encodeKey(it, s.t.keySchema)}
	ks := s.keySchema()
	if byRange && len(ks) > 1 {
		p.hasRange, p.rangeVal = true, it[ks[1].AttributeName]
	}
	if s.index != nil && !byRange {
		p.group = encodeKey(it, s.index.keySchema)
	}
	return p
}

func comparePositions(a, b position) int {
	if a.hasRange && b.hasRange {
		if c := expr.Compare(a.rangeVal, b.rangeVal); c != 0 {
			return c
		}
	}
	if c := strings.Compare(a.group, b.group); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

type pageRequest struct {
	limit      int
	startKey   wire.Item
	filter     expr.Condition
	projection expr.Projection
	countOnly  bool
	forward    bool
	byRange    bool
}

// checkStartKey rejects an ExclusiveStartKey without the source's key
// attributes.
func (s readSource) checkStartKey(req pageRequest) error {
	if req.startKey == nil {
		return nil
	}
	for _, k := range s.keySchema() {
		if _, ok := req.startKey[k.AttributeName]; !ok {
			return wire.Validation("The provided starting key is invalid: The provided key element does not match the schema")
		}
	}
	return nil
}

// candidates is the items a read evaluates, in order, after the start key:
// each call returns the next one, false when there is none.
type candidates func() (wire.Item, bool)

// sorted is the candidates of a read among items, in any order: sorted,
// and from after the start key.
func (s readSource) sorted(items []wire.Item, req pageRequest) candidates {
	type ranked struct {
		it  wire.Item
		pos position
	}
	all := make([]ranked, len(items))
	for i, it := range items {
		all[i] = ranked{it, s.position(it, req.byRange)}
	}
	order := func(a, b position) int {
		if c := comparePositions(a, b); req.forward {
			return c
		} else {
			return -c
		}
	}
	slices.SortFunc(all, func(a, b ranked) int { return order(a.pos, b.pos) })
	i := 0
	if req.startKey != nil {
		start := s.position(req.startKey, req.byRange)
		i = sort.Search(len(all), func(i int) bool { return order(all[i].pos, start) > 0 })
	}
	return func() (wire.Item, bool) {
		if i >= len(all) {
			return nil, false
		}
		i++
		return all[i-1].it, true
	}
}

// inPartition is the candidates of a Query of the table (not an index):
// the items of the key condition's partition that meet it, in order, from
// after the start key.
func (s readSource) inPartition(p string, keyCond expr.Condition, req pageRequest) candidates {
	t := s.t
	entries := t.partitions[p]
	step, i := 1, 0
	if !req.forward {
		step, i = -1, len(entries)-1
	}
	if req.startKey != nil {
		_, start := t.entry(encodeKey(req.startKey, t.keySchema), req.startKey)
		at, found := slices.BinarySearchFunc(entries, start, comparePartEntries)
		switch {
		case req.forward && found:
			i = at + 1
		case req.forward:
			i = at
		default:
			i = at - 1
		}
	}
	return func() (wire.Item, bool) {
		for ; i >= 0 && i < len(entries); i += step {
			if it := t.items[entries[i].key]; keyCond.Eval(it) {
				i += step
				return it, true
			}
		}
		return nil, false
	}
}

// readPage reads one page of candidates, applying Limit (on items
// evaluated), the 1 MB page cap, the filter and the projection. Items is
// always present unless only a count was asked for.
func (s readSource) readPage(next candidates, req pageRequest) *wire.ReadOutput {
	out := &wire.ReadOutput{}
	if !req.countOnly {
		out.Items = []wire.Item{}
	}
	var bytesRead int64
	for it, ok := next(); ok; {
		out.ScannedCount++
		bytesRead += expr.ItemSize(it)
		if req.filter == nil || req.filter.Eval(it) {
			out.Count++
			if !req.countOnly {
				out.Items = append(out.Items, req.projection.Apply(s.projectForIndex(it)))
			}
		}
		if req.limit > 0 && out.ScannedCount == req.limit {
			out.LastEvaluatedKey = s.cursorKey(it)
			break
		}
		following, more := next()
		if bytesRead >= maxPageBytes && more {
			out.LastEvaluatedKey = s.cursorKey(it)
			break
		}
		it, ok = following, more
	}
	return out
}

// keyCondition is a Query's parsed KeyConditionExpression and the
// partition key value it selects (expr.Canonical).
type keyCondition struct {
	cond      expr.Condition
	partition string
}

// read prepares a Query (with its key condition) or a Scan: the source to
// read and the page request, with every expression parsed.
func (c *Call) read(in *wire.ReadInput, query bool) (readSource, pageRequest, keyCondition, error) {
	var req pageRequest
	src, err := c.readSource(in.TableName, in.IndexName, in.ConsistentRead)
	if err != nil {
		return src, req, keyCondition{}, err
	}
	if query && in.KeyConditionExpression == "" {
		return src, req, keyCondition{}, wire.Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	env := expr.NewEnv(in.ExpressionAttributes)
	var keyCond keyCondition
	if query {
		if keyCond.cond, keyCond.partition, err = env.KeyCondition(in.KeyConditionExpression, src.keySchema()); err != nil {
			return src, req, keyCond, err
		}
	}
	req = pageRequest{forward: in.ScanIndexForward == nil || *in.ScanIndexForward, startKey: in.ExclusiveStartKey, byRange: query}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return src, req, keyCondition{}, wire.Constraint(*in.Limit, "limit", "Member must have value greater than or equal to 1")
		}
		req.limit = int(*in.Limit)
	}
	switch in.Select {
	case "", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES":
	case "COUNT":
		req.countOnly = true
		if in.ProjectionExpression != "" {
			return src, req, keyCondition{}, wire.Validation("Cannot specify the AttributesToGet or ProjectionExpression when choosing to get only the Count")
		}
	default:
		return src, req, keyCondition{}, wire.Constraint(in.Select, "select", "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
	}
	if req.filter, err = env.Condition("FilterExpression", in.FilterExpression); err != nil {
		return src, req, keyCondition{}, err
	}
	if req.projection, err = env.Projection(in.ProjectionExpression); err != nil {
		return src, req, keyCondition{}, err
	}
	return src, req, keyCond, env.CheckUnused()
}

// Query reads one page of the items of a partition, of the table or an index.
func (c *Call) Query(in *wire.ReadInput) (*wire.ReadOutput, error) {
	src, req, keyCond, err := c.read(in, true)
	if err != nil {
		return nil, err
	}
	if err := src.checkStartKey(req); err != nil {
		return nil, err
	}
	if src.index == nil {
		return src.readPage(src.inPartition(keyCond.partition, keyCond.cond, req), req), nil
	}
	var items []wire.Item
	for _, it := range src.t.items {
		if hasKeys(it, src.keySchema()) && keyCond.cond.Eval(it) {
			items = append(items, it)
		}
	}
	return src.readPage(src.sorted(items, req), req), nil
}

// Scan reads one page of all items, of the table or an index, optionally one segment.
func (c *Call) Scan(in *wire.ReadInput) (*wire.ReadOutput, error) {
	src, req, _, err := c.read(in, false)
	if err != nil {
		return nil, err
	}
	segment, total := int32(0), int32(1)
	if in.Segment != nil || in.TotalSegments != nil {
		if in.Segment == nil || in.TotalSegments == nil {
			return nil, wire.Validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
		}
		segment, total = *in.Segment, *in.TotalSegments
		if total < 1 || total > 1000000 || segment < 0 || segment >= total {
			return nil, wire.Validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", segment, total)
		}
	}
	if err := src.checkStartKey(req); err != nil {
		return nil, err
	}
	var items []wire.Item
	for _, it := range src.t.items {
		if !hasKeys(it, src.keySchema()) {
			continue
		}
		if total > 1 && segmentOf(it, src.t.keySchema, total) != segment {
			continue
		}
		items = append(items, it)
	}
	return src.readPage(src.sorted(items, req), req), nil
}

func segmentOf(it wire.Item, ks []wire.KeySchemaElement, total int32) int32 {
	h := fnv.New32a()
	h.Write([]byte(expr.Canonical(it[ks[0].AttributeName])))
	return int32(h.Sum32() % uint32(total))
}
