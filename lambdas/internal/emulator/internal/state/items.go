package state

import (
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/expr"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

const (
	maxBatchWrite = 25
	maxBatchGet   = 100
)

// ---- single-item writes: PutItem, DeleteItem, UpdateItem ----

// checkWrite finishes the validation of a write whose other expressions env
// has parsed: it parses the ConditionExpression, rejects unused
// placeholders, and evaluates the condition against the stored item at
// keyItem's key. It returns that key and the stored item (nil when none);
// when the condition fails, the stored item and the error.
func (t *table) checkWrite(w *wire.ItemWrite, env *expr.Env, keyItem wire.Item) (string, wire.Item, error) {
	cond, err := env.Condition("ConditionExpression", w.ConditionExpression)
	if err != nil {
		return "", nil, err
	}
	if err := env.CheckUnused(); err != nil {
		return "", nil, err
	}
	key := encodeKey(keyItem, t.keySchema)
	old := t.items[key]
	if cond == nil {
		return key, old, nil
	}
	probe := old
	if probe == nil {
		probe = wire.Item{}
	}
	if cond.Eval(probe) {
		return key, old, nil
	}
	fail := wire.ConditionalCheckFailed()
	if w.ReturnValuesOnConditionCheckFailure == "ALL_OLD" && old != nil {
		fail.Item = old
	}
	return "", old, fail
}

// allOld is the output of a write that returns the old item when asked to.
func allOld(rv string, old wire.Item) *wire.AttributesOutput {
	if rv == "ALL_OLD" && old != nil {
		return &wire.AttributesOutput{Attributes: old}
	}
	return &wire.AttributesOutput{}
}

// PutItem writes an item, if its condition holds.
func (c *Call) PutItem(in *wire.PutItemInput) (*wire.AttributesOutput, error) {
	return c.replaceItem(&in.ItemWrite, in.Item, in.Item, func(t *table) error {
		if err := expr.ValidateItem(in.Item); err != nil {
			return err
		}
		return t.checkItemKey(in.Item)
	})
}

// DeleteItem deletes an item, if its condition holds.
func (c *Call) DeleteItem(in *wire.DeleteItemInput) (*wire.AttributesOutput, error) {
	return c.replaceItem(&in.ItemWrite, in.Key, nil, func(t *table) error { return t.checkKey(in.Key) })
}

// replaceItem is PutItem (put set) and DeleteItem (put nil): after check
// validates the request against the table, the item at keyItem's key is
// replaced by put or deleted, if the condition holds.
func (c *Call) replaceItem(w *wire.ItemWrite, keyItem, put wire.Item, check func(*table) error) (*wire.AttributesOutput, error) {
	t, err := c.itemTable(w.TableName)
	if err != nil {
		return nil, err
	}
	if err := check(t); err != nil {
		return nil, err
	}
	if w.ReturnValues != "" && w.ReturnValues != "NONE" && w.ReturnValues != "ALL_OLD" {
		return nil, wire.Validation("ReturnValues can only be ALL_OLD or NONE")
	}
	key, old, err := t.checkWrite(w, expr.NewEnv(w.ExpressionAttributes), keyItem)
	if err != nil {
		c.consumeFailedWrite(err, t, old, put)
		return nil, err
	}
	c.consumeWrite(t, old, put)
	if put != nil {
		t.putItem(key, put.Clone())
	} else {
		t.deleteItem(key)
	}
	return allOld(w.ReturnValues, old), nil
}

// UpdateItem applies an update expression to an item (or a new one), if its condition holds.
func (c *Call) UpdateItem(in *wire.UpdateItemInput) (*wire.AttributesOutput, error) {
	t, err := c.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if err := t.checkKey(in.Key); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW":
	default:
		return nil, wire.Constraint(in.ReturnValues, "returnValues", "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")
	}
	env := expr.NewEnv(in.ExpressionAttributes)
	var update *expr.Update
	if in.UpdateExpression != "" {
		if update, err = env.Update(in.UpdateExpression); err != nil {
			return nil, err
		}
		for _, name := range update.Attributes() {
			for _, k := range t.keySchema {
				if name == k.AttributeName {
					return nil, wire.InvalidParam("Cannot update attribute %s. This attribute is part of the key", k.AttributeName)
				}
			}
		}
	}
	key, old, err := t.checkWrite(&in.ItemWrite, env, in.Key)
	if err != nil {
		c.consumeFailedWrite(err, t, old, nil)
		return nil, err
	}
	base := old
	if base == nil {
		base = in.Key.Clone()
	}
	next := base
	if update != nil {
		if next, err = update.Apply(base); err != nil {
			return nil, err
		}
	}
	if err := expr.ValidateItem(next); err != nil {
		return nil, err
	}
	if err := t.checkItemKey(next); err != nil {
		return nil, err
	}
	c.consumeWrite(t, old, next)
	t.putItem(key, next)

	switch in.ReturnValues {
	case "ALL_OLD":
		return allOld(in.ReturnValues, old), nil
	case "ALL_NEW":
		return &wire.AttributesOutput{Attributes: next}, nil
	case "UPDATED_OLD", "UPDATED_NEW":
		src := next
		if in.ReturnValues == "UPDATED_OLD" {
			src = old
		}
		out := wire.Item{}
		if update != nil && src != nil {
			for _, name := range update.Attributes() {
				if v, ok := src[name]; ok {
					out[name] = v
				}
			}
		}
		if len(out) > 0 {
			return &wire.AttributesOutput{Attributes: out}, nil
		}
	}
	return &wire.AttributesOutput{}, nil
}

// GetItem reads one item.
func (c *Call) GetItem(in *wire.GetItemInput) (*wire.GetItemOutput, error) {
	t, err := c.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if err := t.checkKey(in.Key); err != nil {
		return nil, err
	}
	proj, err := expr.OnlyProjection(in.ExpressionAttributes, in.ProjectionExpression)
	if err != nil {
		return nil, err
	}
	it, ok := t.items[encodeKey(in.Key, t.keySchema)]
	if !ok {
		return &wire.GetItemOutput{}, nil
	}
	return &wire.GetItemOutput{Item: proj.Apply(it)}, nil
}

// ---- BatchWriteItem / BatchGetItem ----

// keySet is the keys a batch names for one table; DynamoDB rejects
// duplicates.
type keySet map[string]bool

func (s keySet) add(key string) error {
	if s[key] {
		return wire.Validation("Provided list of item keys contains duplicates")
	}
	s[key] = true
	return nil
}

// BatchWriteItem puts and deletes up to 25 items, all or none.
func (c *Call) BatchWriteItem(in *wire.BatchWriteItemInput) (*wire.BatchWriteItemOutput, error) {
	if len(in.RequestItems) == 0 {
		return nil, wire.Constraint(nil, "requestItems", "Member must have length greater than or equal to 1")
	}
	total := 0
	for _, reqs := range in.RequestItems {
		total += len(reqs)
	}
	if total > maxBatchWrite {
		return nil, wire.Validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	}
	type op struct {
		t   *table
		key string
		put wire.Item
	}
	var ops []op
	for name, reqs := range in.RequestItems {
		t, err := c.itemTable(name)
		if err != nil {
			return nil, err
		}
		seen := keySet{}
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				if err := expr.ValidateItem(r.PutRequest.Item); err != nil {
					return nil, err
				}
				if err := t.checkItemKey(r.PutRequest.Item); err != nil {
					return nil, err
				}
				k := encodeKey(r.PutRequest.Item, t.keySchema)
				if err := seen.add(k); err != nil {
					return nil, err
				}
				ops = append(ops, op{t: t, key: k, put: r.PutRequest.Item.Clone()})
			case r.DeleteRequest != nil && r.PutRequest == nil:
				if err := t.checkKey(r.DeleteRequest.Key); err != nil {
					return nil, err
				}
				k := encodeKey(r.DeleteRequest.Key, t.keySchema)
				if err := seen.add(k); err != nil {
					return nil, err
				}
				ops = append(ops, op{t: t, key: k})
			default:
				return nil, wire.Validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
		}
	}
	for _, o := range ops {
		c.consumeWrite(o.t, o.t.items[o.key], o.put)
		if o.put != nil {
			o.t.putItem(o.key, o.put)
		} else {
			o.t.deleteItem(o.key)
		}
	}
	return &wire.BatchWriteItemOutput{UnprocessedItems: map[string][]wire.WriteRequest{}}, nil
}

// BatchGetItem reads up to 100 items.
func (c *Call) BatchGetItem(in *wire.BatchGetItemInput) (*wire.BatchGetItemOutput, error) {
	total := 0
	for _, r := range in.RequestItems {
		total += len(r.Keys)
	}
	if total > maxBatchGet {
		return nil, wire.Validation("Too many items requested for the BatchGetItem call")
	}
	responses := map[string][]wire.Item{}
	for name, r := range in.RequestItems {
		t, err := c.itemTable(name)
		if err != nil {
			return nil, err
		}
		proj, err := expr.OnlyProjection(r.ExpressionAttributes, r.ProjectionExpression)
		if err != nil {
			return nil, err
		}
		seen := keySet{}
		found := []wire.Item{}
		for _, key := range r.Keys {
			if err := t.checkKey(key); err != nil {
				return nil, err
			}
			k := encodeKey(key, t.keySchema)
			if err := seen.add(k); err != nil {
				return nil, err
			}
			if it, ok := t.items[k]; ok {
				found = append(found, proj.Apply(it))
			}
		}
		responses[name] = found
	}
	return &wire.BatchGetItemOutput{Responses: responses, UnprocessedKeys: map[string]wire.KeysAndAttributes{}}, nil
}
