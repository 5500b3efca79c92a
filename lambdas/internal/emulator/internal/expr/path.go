package expr

import (
	"encoding/json"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// ---- document paths on items ----

// getPath resolves a document path in an item.
func getPath(it wire.Item, path docPath) (attr, bool) {
	raw, ok := it[path[0].name]
	if !ok || path[0].isIdx {
		return attr{}, false
	}
	cur, err := parseAttr(raw)
	if err != nil {
		return attr{}, false
	}
	for _, el := range path[1:] {
		if el.isIdx {
			if cur.typ != "L" {
				return attr{}, false
			}
			l := cur.list()
			if el.index >= len(l) {
				return attr{}, false
			}
			cur = mustParseAttr(l[el.index])
			continue
		}
		if cur.typ != "M" {
			return attr{}, false
		}
		v, ok := cur.mapValue()[el.name]
		if !ok {
			return attr{}, false
		}
		cur = mustParseAttr(v)
	}
	return cur, true
}

// setPath writes value at path, returning an error when an intermediate
// element does not exist, as DynamoDB does.
func setPath(it wire.Item, path docPath, value attr) error {
	if len(path) == 1 {
		it[path[0].name] = value.raw()
		return nil
	}
	parent, ok := it[path[0].name]
	if !ok {
		return wire.Validation("The document path provided in the update expression is invalid for update")
	}
	updated, err := setIn(mustParseAttr(parent), path[1:], value)
	if err != nil {
		return err
	}
	it[path[0].name] = updated.raw()
	return nil
}

func setIn(cur attr, path docPath, value attr) (attr, error) {
	el := path[0]
	invalid := wire.Validation("The document path provided in the update expression is invalid for update")
	if el.isIdx {
		if cur.typ != "L" {
			return attr{}, invalid
		}
		l := cur.list()
		if len(path) == 1 {
			if el.index >= len(l) {
				l = append(l, value.raw())
			} else {
				l[el.index] = value.raw()
			}
			return makeAttr("L", l), nil
		}
		if el.index >= len(l) {
			return attr{}, invalid
		}
		child, err := setIn(mustParseAttr(l[el.index]), path[1:], value)
		if err != nil {
			return attr{}, err
		}
		l[el.index] = child.raw()
		return makeAttr("L", l), nil
	}
	if cur.typ != "M" {
		return attr{}, invalid
	}
	m := cur.mapValue()
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	if len(path) == 1 {
		m[el.name] = value.raw()
		return makeAttr("M", m), nil
	}
	childRaw, ok := m[el.name]
	if !ok {
		return attr{}, invalid
	}
	child, err := setIn(mustParseAttr(childRaw), path[1:], value)
	if err != nil {
		return attr{}, err
	}
	m[el.name] = child.raw()
	return makeAttr("M", m), nil
}

// removePath deletes the element at path if it exists.
func removePath(it wire.Item, path docPath) {
	if len(path) == 1 {
		delete(it, path[0].name)
		return
	}
	parent, ok := it[path[0].name]
	if !ok {
		return
	}
	if updated, ok := removeIn(mustParseAttr(parent), path[1:]); ok {
		it[path[0].name] = updated.raw()
	}
}

func removeIn(cur attr, path docPath) (attr, bool) {
	el := path[0]
	if el.isIdx {
		if cur.typ != "L" {
			return attr{}, false
		}
		l := cur.list()
		if el.index >= len(l) {
			return attr{}, false
		}
		if len(path) == 1 {
			l = append(l[:el.index], l[el.index+1:]...)
			return makeAttr("L", l), true
		}
		child, ok := removeIn(mustParseAttr(l[el.index]), path[1:])
		if !ok {
			return attr{}, false
		}
		l[el.index] = child.raw()
		return makeAttr("L", l), true
	}
	if cur.typ != "M" {
		return attr{}, false
	}
	m := cur.mapValue()
	if len(path) == 1 {
		delete(m, el.name)
		return makeAttr("M", m), true
	}
	childRaw, ok := m[el.name]
	if !ok {
		return attr{}, false
	}
	child, ok := removeIn(mustParseAttr(childRaw), path[1:])
	if !ok {
		return attr{}, false
	}
	m[el.name] = child.raw()
	return makeAttr("M", m), true
}
