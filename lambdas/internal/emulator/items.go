package emulator

import (
	"encoding/json"
	"hash/fnv"
	"sort"
	"strings"
)

const (
	maxBatchWrite = 25
	maxBatchGet   = 100
	maxPageBytes  = 1 << 20
	maxItemBytes  = 400 * 1024
)

// ---- keys ----

func hasKeys(it item, ks []keySchemaElement) bool {
	for _, k := range ks {
		if _, ok := it[k.AttributeName]; !ok {
			return false
		}
	}
	return true
}

// encodeKey renders the values of the key attributes ks of it canonically.
func encodeKey(it item, ks []keySchemaElement) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = canonical(mustParseAttr(it[k.AttributeName]))
	}
	return strings.Join(parts, "\x00")
}

// keyOf returns only the key attributes of it.
func keyOf(it item, ks ...[]keySchemaElement) item {
	out := item{}
	for _, schema := range ks {
		for _, k := range schema {
			if v, ok := it[k.AttributeName]; ok {
				out[k.AttributeName] = v
			}
		}
	}
	return out
}

// checkItemKey validates the primary key attributes of an item being written.
func (t *table) checkItemKey(it item) error {
	for _, k := range t.keySchema {
		raw, ok := it[k.AttributeName]
		if !ok {
			return invalidParam("Missing the key %s in the item", k.AttributeName)
		}
		if err := t.checkKeyValue(k.AttributeName, raw); err != nil {
			return err
		}
	}
	for _, ix := range append(append([]*index{}, t.gsis...), t.lsis...) {
		for _, k := range ix.keySchema {
			raw, ok := it[k.AttributeName]
			if !ok {
				continue
			}
			a := mustParseAttr(raw)
			if want := t.attrType(k.AttributeName); a.typ != want {
				return invalidParam("Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", k.AttributeName, want, a.typ, ix.name)
			}
			if (a.typ == "S" && a.str() == "") || (a.typ == "B" && len(a.bin()) == 0) {
				return invalidParam("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.name, k.AttributeName)
			}
		}
	}
	return nil
}

func (t *table) checkKeyValue(name string, raw json.RawMessage) error {
	if err := validateAttr(raw); err != nil {
		return err
	}
	a := mustParseAttr(raw)
	if want := t.attrType(name); a.typ != want {
		return invalidParam("Type mismatch for key %s expected: %s actual: %s", name, want, a.typ)
	}
	if (a.typ == "S" && a.str() == "") || (a.typ == "B" && len(a.bin()) == 0) {
		return invalidParam("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s",
			map[string]string{"S": "string", "B": "binary"}[a.typ], name)
	}
	return nil
}

// checkKey validates a Key parameter: exactly the table's key attributes.
func (t *table) checkKey(key item) error {
	if len(key) != len(t.keySchema) {
		return validationError("The provided key element does not match the schema")
	}
	for _, k := range t.keySchema {
		raw, ok := key[k.AttributeName]
		if !ok {
			return validationError("The provided key element does not match the schema")
		}
		if err := validateAttr(raw); err != nil {
			return err
		}
		if mustParseAttr(raw).typ != t.attrType(k.AttributeName) {
			return validationError("The provided key element does not match the schema")
		}
	}
	return nil
}

// itemTable finds a table for an item operation. DynamoDB reports tables
// that do not exist, or are not ACTIVE/UPDATING, as ResourceNotFoundException.
func (e *Emulator) itemTable(rc *requestContext, name string) (*table, error) {
	if err := validateName("tableName", name); err != nil {
		return nil, err
	}
	t, ok := e.region(rc.region).tables[name]
	if !ok || (t.status != statusActive && t.status != statusUpdating) {
		return nil, newError(codeResourceNotFound, "Requested resource not found")
	}
	return t, nil
}

// ---- expression plumbing shared by item operations ----

type exprParams struct {
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]json.RawMessage
}

func (e *Emulator) env(p exprParams) *exprEnv {
	return newExprEnv(p.ExpressionAttributeNames, p.ExpressionAttributeValues, e.reserved)
}

// optionalCondition parses src if it is set.
func optionalCondition(kind, src string, env *exprEnv) (condition, error) {
	if src == "" {
		return nil, nil
	}
	return parseCondition(kind, src, env)
}

func optionalProjection(src string, env *exprEnv) ([]docPath, error) {
	if src == "" {
		return nil, nil
	}
	return parseProjection(src, env)
}

// checkCondition evaluates a ConditionExpression against the current item
// (nil when absent).
func checkCondition(cond condition, current item, returnOnFailure string) error {
	if cond == nil {
		return nil
	}
	probe := current
	if probe == nil {
		probe = item{}
	}
	if cond.eval(probe) {
		return nil
	}
	err := conditionalCheckFailed()
	if returnOnFailure == "ALL_OLD" && current != nil {
		err.Item = current
	}
	return err
}

func validateItem(it item) error {
	if it == nil {
		return constraintError(nil, "item", "Member must not be null")
	}
	for _, v := range it {
		if err := validateAttr(v); err != nil {
			return err
		}
	}
	if it.size() > maxItemBytes {
		return validationError("Item size has exceeded the maximum allowed size")
	}
	return nil
}

// ---- PutItem ----

func (e *Emulator) putItem(rc *requestContext, body []byte) (any, error) {
	var in struct {
		TableName                           string
		Item                                item
		ConditionExpression                 string
		ReturnValues                        string
		ReturnValuesOnConditionCheckFailure string
		exprParams
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	t, err := e.itemTable(rc, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := validateItem(in.Item); err != nil {
		return nil, err
	}
	if err := t.checkItemKey(in.Item); err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validationError("ReturnValues can only be ALL_OLD or NONE")
	}
	env := e.env(in.exprParams)
	cond, err := optionalCondition("ConditionExpression", in.ConditionExpression, env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	key := encodeKey(in.Item, t.keySchema)
	old := t.items[key]
	if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	t.items[key] = in.Item.clone()
	if in.ReturnValues == "ALL_OLD" && old != nil {
		return map[string]any{"Attributes": old}, nil
	}
	return struct{}{}, nil
}

// ---- GetItem ----

func (e *Emulator) getItem(rc *requestContext, body []byte) (any, error) {
	var in struct {
		TableName            string
		Key                  item
		ProjectionExpression string
		ConsistentRead       bool
		exprParams
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	t, err := e.itemTable(rc, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := t.checkKey(in.Key); err != nil {
		return nil, err
	}
	env := e.env(in.exprParams)
	proj, err := optionalProjection(in.ProjectionExpression, env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	it, ok := t.items[encodeKey(in.Key, t.keySchema)]
	if !ok {
		return struct{}{}, nil
	}
	return map[string]any{"Item": project(it, proj)}, nil
}

// ---- DeleteItem ----

func (e *Emulator) deleteItem(rc *requestContext, body []byte) (any, error) {
	var in struct {
		TableName                           string
		Key                                 item
		ConditionExpression                 string
		ReturnValues                        string
		ReturnValuesOnConditionCheckFailure string
		exprParams
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	t, err := e.itemTable(rc, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := t.checkKey(in.Key); err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validationError("ReturnValues can only be ALL_OLD or NONE")
	}
	env := e.env(in.exprParams)
	cond, err := optionalCondition("ConditionExpression", in.ConditionExpression, env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	key := encodeKey(in.Key, t.keySchema)
	old := t.items[key]
	if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	delete(t.items, key)
	if in.ReturnValues == "ALL_OLD" && old != nil {
		return map[string]any{"Attributes": old}, nil
	}
	return struct{}{}, nil
}

// ---- UpdateItem ----

func (e *Emulator) updateItem(rc *requestContext, body []byte) (any, error) {
	var in struct {
		TableName                           string
		Key                                 item
		UpdateExpression                    string
		ConditionExpression                 string
		ReturnValues                        string
		ReturnValuesOnConditionCheckFailure string
		exprParams
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	t, err := e.itemTable(rc, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := t.checkKey(in.Key); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW":
	default:
		return nil, constraintError(in.ReturnValues, "returnValues", "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")
	}
	env := e.env(in.exprParams)
	var update *updateExpr
	if in.UpdateExpression != "" {
		if update, err = parseUpdate(in.UpdateExpression, env); err != nil {
			return nil, err
		}
		for _, p := range update.paths() {
			for _, k := range t.keySchema {
				if p[0].name == k.AttributeName {
					return nil, invalidParam("Cannot update attribute %s. This attribute is part of the key", k.AttributeName)
				}
			}
		}
	}
	cond, err := optionalCondition("ConditionExpression", in.ConditionExpression, env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	key := encodeKey(in.Key, t.keySchema)
	old := t.items[key]
	if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	base := old
	if base == nil {
		base = in.Key.clone()
	}
	next := base
	if update != nil {
		if next, err = update.apply(base); err != nil {
			return nil, err
		}
	}
	if err := validateItem(next); err != nil {
		return nil, err
	}
	if err := t.checkItemKey(next); err != nil {
		return nil, err
	}
	t.items[key] = next

	switch in.ReturnValues {
	case "ALL_OLD":
		if old != nil {
			return map[string]any{"Attributes": old}, nil
		}
	case "ALL_NEW":
		return map[string]any{"Attributes": next}, nil
	case "UPDATED_OLD", "UPDATED_NEW":
		src := next
		if in.ReturnValues == "UPDATED_OLD" {
			src = old
		}
		out := item{}
		if update != nil && src != nil {
			for _, p := range update.paths() {
				if v, ok := src[p[0].name]; ok {
					out[p[0].name] = v
				}
			}
		}
		if len(out) > 0 {
			return map[string]any{"Attributes": out}, nil
		}
	}
	return struct{}{}, nil
}

// ---- Query and Scan ----

// readSource is the table or index a Query/Scan reads.
type readSource struct {
	t     *table
	index *index // nil for the base table
}

func (s readSource) keySchema() []keySchemaElement {
	if s.index != nil {
		return s.index.keySchema
	}
	return s.t.keySchema
}

// cursorKey is the key that identifies an item's position in a read:
// the table key plus the index key for index reads.
func (s readSource) cursorKey(it item) item {
	if s.index != nil {
		return keyOf(it, s.t.keySchema, s.index.keySchema)
	}
	return keyOf(it, s.t.keySchema)
}

// projectForIndex applies an index's projection to an item.
func (s readSource) projectForIndex(it item) item {
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

func (e *Emulator) readSource(rc *requestContext, tableName, indexName string, consistent bool) (readSource, error) {
	t, err := e.itemTable(rc, tableName)
	if err != nil {
		return readSource{}, err
	}
	src := readSource{t: t}
	if indexName != "" {
		if src.index = t.findIndex(indexName); src.index == nil {
			return readSource{}, validationError("The table does not have the specified index: %s", indexName)
		}
		if consistent && src.index.global {
			return readSource{}, validationError("Consistent reads are not supported on global secondary indexes")
		}
	}
	return src, nil
}

// position orders items within a read: by the range key of the source (for
// queries), then by the canonical index key and table key.
type position struct {
	rangeVal *attr
	group    string
	key      string
}

func (s readSource) position(it item, byRange bool) position {
	p := position{key: encodeKey(it, s.t.keySchema)}
	ks := s.keySchema()
	if byRange && len(ks) > 1 {
		a := mustParseAttr(it[ks[1].AttributeName])
		p.rangeVal = &a
	}
	if s.index != nil && !byRange {
		p.group = encodeKey(it, s.index.keySchema)
	}
	return p
}

func comparePositions(a, b position) int {
	if a.rangeVal != nil && b.rangeVal != nil {
		if c, _ := compareAttrs(*a.rangeVal, *b.rangeVal); c != 0 {
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
	startKey   item
	filter     condition
	projection []docPath
	countOnly  bool
	forward    bool
	byRange    bool
}

type pageResult struct {
	Items            []item
	Count            int
	ScannedCount     int
	LastEvaluatedKey item
}

// wire renders a page the way DynamoDB does: Items is always present
// unless only a count was asked for.
func (r pageResult) wire(countOnly bool) map[string]any {
	out := map[string]any{"Count": r.Count, "ScannedCount": r.ScannedCount}
	if !countOnly {
		out["Items"] = r.Items
	}
	if r.LastEvaluatedKey != nil {
		out["LastEvaluatedKey"] = r.LastEvaluatedKey
	}
	return out
}

// readPage reads one page of candidates in order, applying Limit (on items
// evaluated), the 1 MB page cap, the filter and the projection.
func (s readSource) readPage(candidates []item, req pageRequest) (map[string]any, error) {
	sort.Slice(candidates, func(i, j int) bool {
		c := comparePositions(s.position(candidates[i], req.byRange), s.position(candidates[j], req.byRange))
		if req.forward {
			return c < 0
		}
		return c > 0
	})
	if req.startKey != nil {
		for _, k := range s.keySchema() {
			if _, ok := req.startKey[k.AttributeName]; !ok {
				return nil, validationError("The provided starting key is invalid: The provided key element does not match the schema")
			}
		}
		start := s.position(req.startKey, req.byRange)
		i := sort.Search(len(candidates), func(i int) bool {
			c := comparePositions(s.position(candidates[i], req.byRange), start)
			if req.forward {
				return c > 0
			}
			return c < 0
		})
		candidates = candidates[i:]
	}
	res := pageResult{Items: []item{}}
	var bytesRead int64
	for i, it := range candidates {
		res.ScannedCount++
		bytesRead += it.size()
		if req.filter == nil || req.filter.eval(it) {
			res.Count++
			if !req.countOnly {
				res.Items = append(res.Items, project(s.projectForIndex(it), req.projection))
			}
		}
		more := i < len(candidates)-1
		if (req.limit > 0 && res.ScannedCount == req.limit) || (bytesRead >= maxPageBytes && more) {
			res.LastEvaluatedKey = s.cursorKey(it)
			break
		}
	}
	return res.wire(req.countOnly), nil
}

type readInput struct {
	TableName                 string
	IndexName                 string
	Limit                     *int32
	ExclusiveStartKey         item
	FilterExpression          string
	ProjectionExpression      string
	Select                    string
	ConsistentRead            bool
	ScanIndexForward          *bool
	KeyConditionExpression    string
	Segment                   *int32
	TotalSegments             *int32
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]json.RawMessage
}

func (in *readInput) common(env *exprEnv) (pageRequest, error) {
	req := pageRequest{forward: in.ScanIndexForward == nil || *in.ScanIndexForward, startKey: in.ExclusiveStartKey}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return req, constraintError(*in.Limit, "limit", "Member must have value greater than or equal to 1")
		}
		req.limit = int(*in.Limit)
	}
	switch in.Select {
	case "", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES":
	case "COUNT":
		req.countOnly = true
		if in.ProjectionExpression != "" {
			return req, validationError("Cannot specify the AttributesToGet or ProjectionExpression when choosing to get only the Count")
		}
	default:
		return req, constraintError(in.Select, "select", "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
	}
	var err error
	if req.filter, err = optionalCondition("FilterExpression", in.FilterExpression, env); err != nil {
		return req, err
	}
	if req.projection, err = optionalProjection(in.ProjectionExpression, env); err != nil {
		return req, err
	}
	return req, nil
}

func (e *Emulator) query(rc *requestContext, body []byte) (any, error) {
	var in readInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	src, err := e.readSource(rc, in.TableName, in.IndexName, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == "" {
		return nil, validationError("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	env := newExprEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues, e.reserved)
	keyCond, err := parseKeyCondition(in.KeyConditionExpression, env, src.keySchema())
	if err != nil {
		return nil, err
	}
	req, err := in.common(env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	req.byRange = true
	var candidates []item
	for _, it := range src.t.items {
		if hasKeys(it, src.keySchema()) && keyCond.eval(it) {
			candidates = append(candidates, it)
		}
	}
	return src.readPage(candidates, req)
}

func (e *Emulator) scan(rc *requestContext, body []byte) (any, error) {
	var in readInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	src, err := e.readSource(rc, in.TableName, in.IndexName, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	env := newExprEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues, e.reserved)
	req, err := in.common(env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	segment, total := int32(0), int32(1)
	if in.Segment != nil || in.TotalSegments != nil {
		if in.Segment == nil || in.TotalSegments == nil {
			return nil, validationError("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
		}
		segment, total = *in.Segment, *in.TotalSegments
		if total < 1 || total > 1000000 || segment < 0 || segment >= total {
			return nil, validationError("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", segment, total)
		}
	}
	var candidates []item
	for _, it := range src.t.items {
		if !hasKeys(it, src.keySchema()) {
			continue
		}
		if total > 1 && segmentOf(it, src.t.keySchema, total) != segment {
			continue
		}
		candidates = append(candidates, it)
	}
	return src.readPage(candidates, req)
}

func segmentOf(it item, ks []keySchemaElement, total int32) int32 {
	h := fnv.New32a()
	h.Write([]byte(canonical(mustParseAttr(it[ks[0].AttributeName]))))
	return int32(h.Sum32() % uint32(total))
}

// parseKeyCondition parses a KeyConditionExpression and checks that it has
// the shape DynamoDB accepts: partition key equality, optionally AND one
// sort key condition.
func parseKeyCondition(src string, env *exprEnv, ks []keySchemaElement) (condition, error) {
	cond, err := parseCondition("KeyConditionExpression", src, env)
	if err != nil {
		return nil, err
	}
	var parts []condition
	var flatten func(c condition) error
	flatten = func(c condition) error {
		switch c := c.(type) {
		case andCond:
			if err := flatten(c.left); err != nil {
				return err
			}
			return flatten(c.right)
		case parenCond:
			return flatten(c.inner)
		case orCond, notCond:
			return validationError("Invalid operator used in KeyConditionExpression: %s", map[bool]string{true: "OR", false: "NOT"}[isOr(c)])
		}
		parts = append(parts, c)
		return nil
	}
	if err := flatten(cond); err != nil {
		return nil, err
	}
	if len(parts) > 2 {
		return nil, validationError("Conditions can be of length 1 or 2 only")
	}
	hash := ks[0].AttributeName
	rangeKey := ""
	if len(ks) > 1 {
		rangeKey = ks[1].AttributeName
	}
	sawHash := false
	for _, p := range parts {
		name, op, err := keyConditionTarget(p)
		if err != nil {
			return nil, err
		}
		switch {
		case name == hash && op == "=":
			sawHash = true
		case name == hash:
			return nil, validationError("Query key condition not supported")
		case name == rangeKey && op != "<>" && op != "IN" && op != "contains":
		default:
			return nil, validationError("Query condition missed key schema element: %s", hash)
		}
	}
	if !sawHash {
		return nil, validationError("Query condition missed key schema element: %s", hash)
	}
	return cond, nil
}

func isOr(c condition) bool { _, ok := c.(orCond); return ok }

// keyConditionTarget returns the key attribute and operator of one key
// condition term.
func keyConditionTarget(c condition) (string, string, error) {
	pathName := func(o operand) (string, bool) {
		p, ok := o.(pathOperand)
		if !ok || len(p.path) != 1 {
			return "", false
		}
		return p.path[0].name, true
	}
	switch c := c.(type) {
	case compareCond:
		if name, ok := pathName(c.left); ok {
			if _, isValue := c.right.(valueOperand); isValue {
				return name, c.op, nil
			}
		}
	case betweenCond:
		if name, ok := pathName(c.value); ok {
			return name, "BETWEEN", nil
		}
	case funcCond:
		if c.name == "begins_with" && len(c.path) == 1 {
			return c.path[0].name, c.name, nil
		}
		return "", "", validationError("Invalid operator used in KeyConditionExpression: %s", c.name)
	case inCond:
		return "", "", validationError("Invalid operator used in KeyConditionExpression: IN")
	}
	return "", "", validationError("Query key condition not supported")
}

// ---- BatchWriteItem / BatchGetItem ----

type writeRequest struct {
	PutRequest    *struct{ Item item }
	DeleteRequest *struct{ Key item }
}

func (e *Emulator) batchWriteItem(rc *requestContext, body []byte) (any, error) {
	var in struct {
		RequestItems map[string][]writeRequest
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, constraintError(nil, "requestItems", "Member must have length greater than or equal to 1")
	}
	total := 0
	for _, reqs := range in.RequestItems {
		total += len(reqs)
	}
	if total > maxBatchWrite {
		return nil, validationError("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	}
	type op struct {
		t   *table
		key string
		put item
	}
	var ops []op
	for name, reqs := range in.RequestItems {
		t, err := e.itemTable(rc, name)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				if err := validateItem(r.PutRequest.Item); err != nil {
					return nil, err
				}
				if err := t.checkItemKey(r.PutRequest.Item); err != nil {
					return nil, err
				}
				k := encodeKey(r.PutRequest.Item, t.keySchema)
				if seen[k] {
					return nil, validationError("Provided list of item keys contains duplicates")
				}
				seen[k] = true
				ops = append(ops, op{t: t, key: k, put: r.PutRequest.Item.clone()})
			case r.DeleteRequest != nil && r.PutRequest == nil:
				if err := t.checkKey(r.DeleteRequest.Key); err != nil {
					return nil, err
				}
				k := encodeKey(r.DeleteRequest.Key, t.keySchema)
				if seen[k] {
					return nil, validationError("Provided list of item keys contains duplicates")
				}
				seen[k] = true
				ops = append(ops, op{t: t, key: k})
			default:
				return nil, validationError("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
		}
	}
	for _, o := range ops {
		if o.put != nil {
			o.t.items[o.key] = o.put
		} else {
			delete(o.t.items, o.key)
		}
	}
	return map[string]any{"UnprocessedItems": map[string]any{}}, nil
}

func (e *Emulator) batchGetItem(rc *requestContext, body []byte) (any, error) {
	var in struct {
		RequestItems map[string]struct {
			Keys                 []item
			ProjectionExpression string
			ConsistentRead       bool
			exprParams
		}
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	total := 0
	for _, r := range in.RequestItems {
		total += len(r.Keys)
	}
	if total > maxBatchGet {
		return nil, validationError("Too many items requested for the BatchGetItem call")
	}
	responses := map[string][]item{}
	for name, r := range in.RequestItems {
		t, err := e.itemTable(rc, name)
		if err != nil {
			return nil, err
		}
		env := e.env(r.exprParams)
		proj, err := optionalProjection(r.ProjectionExpression, env)
		if err != nil {
			return nil, err
		}
		if err := env.checkUnused(); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		found := []item{}
		for _, key := range r.Keys {
			if err := t.checkKey(key); err != nil {
				return nil, err
			}
			k := encodeKey(key, t.keySchema)
			if seen[k] {
				return nil, validationError("Provided list of item keys contains duplicates")
			}
			seen[k] = true
			if it, ok := t.items[k]; ok {
				found = append(found, project(it, proj))
			}
		}
		responses[name] = found
	}
	return map[string]any{"Responses": responses, "UnprocessedKeys": map[string]any{}}, nil
}
