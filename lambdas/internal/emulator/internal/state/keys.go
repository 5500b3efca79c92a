package state

import (
	"encoding/json"
	"strings"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/expr"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

func hasKeys(it wire.Item, ks []wire.KeySchemaElement) bool {
	for _, k := range ks {
		if _, ok := it[k.AttributeName]; !ok {
			return false
		}
	}
	return true
}

// encodeKey renders the values of the key attributes ks of it canonically.
func encodeKey(it wire.Item, ks []wire.KeySchemaElement) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = expr.Canonical(it[k.AttributeName])
	}
	return strings.Join(parts, "\x00")
}

// keyOf returns only the key attributes of it.
func keyOf(it wire.Item, ks ...[]wire.KeySchemaElement) wire.Item {
	out := wire.Item{}
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
func (t *table) checkItemKey(it wire.Item) error {
	for _, k := range t.keySchema {
		raw, ok := it[k.AttributeName]
		if !ok {
			return wire.InvalidParam("Missing the key %s in the item", k.AttributeName)
		}
		if err := t.checkKeyValue(k.AttributeName, raw); err != nil {
			return err
		}
	}
	for _, ix := range t.indexes() {
		for _, k := range ix.keySchema {
			raw, ok := it[k.AttributeName]
			if !ok {
				continue
			}
			typ, empty := expr.Scalar(raw)
			if want := t.attrType(k.AttributeName); typ != want {
				return wire.InvalidParam("Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", k.AttributeName, want, typ, ix.name)
			}
			if empty {
				return wire.InvalidParam("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.name, k.AttributeName)
			}
		}
	}
	return nil
}

func (t *table) checkKeyValue(name string, raw json.RawMessage) error {
	if err := expr.Validate(raw); err != nil {
		return err
	}
	typ, empty := expr.Scalar(raw)
	if want := t.attrType(name); typ != want {
		return wire.InvalidParam("Type mismatch for key %s expected: %s actual: %s", name, want, typ)
	}
	if empty {
		return wire.InvalidParam("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s",
			map[string]string{"S": "string", "B": "binary"}[typ], name)
	}
	return nil
}

// checkKey validates a Key parameter: exactly the table's key attributes.
func (t *table) checkKey(key wire.Item) error {
	if len(key) != len(t.keySchema) {
		return wire.Validation("The provided key element does not match the schema")
	}
	for _, k := range t.keySchema {
		raw, ok := key[k.AttributeName]
		if !ok {
			return wire.Validation("The provided key element does not match the schema")
		}
		if err := expr.Validate(raw); err != nil {
			return err
		}
		if typ, _ := expr.Scalar(raw); typ != t.attrType(k.AttributeName) {
			return wire.Validation("The provided key element does not match the schema")
		}
	}
	return nil
}

// itemTable finds a table for an item operation. DynamoDB reports tables
// that do not exist, or are not ACTIVE/UPDATING, as ResourceNotFoundException.
func (c *Call) itemTable(name string) (*table, error) {
	if err := validateName("tableName", name); err != nil {
		return nil, err
	}
	t, ok := c.regionTable(name)
	if !ok || (t.status != statusActive && t.status != statusUpdating) {
		return nil, wire.Errorf(wire.CodeResourceNotFound, "Requested resource not found")
	}
	return t, nil
}
