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
	if !editPath(it, path, setter{value}) {
		return wire.Validation("The document path provided in the update expression is invalid for update")
	}
	return nil
}

// removePath deletes the element at path if it exists.
func removePath(it wire.Item, path docPath) {
	editPath(it, path, remover{})
}

// editor changes the element a path ends at, in the list or map that holds
// it; false means the path does not resolve.
type editor interface {
	inList(l []json.RawMessage, i int) ([]json.RawMessage, bool)
	inMap(m map[string]json.RawMessage, name string) map[string]json.RawMessage
}

type setter struct{ value attr }

func (s setter) inList(l []json.RawMessage, i int) ([]json.RawMessage, bool) {
	if i >= len(l) {
		return append(l, s.value.raw()), true
	}
	l[i] = s.value.raw()
	return l, true
}

func (s setter) inMap(m map[string]json.RawMessage, name string) map[string]json.RawMessage {
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[name] = s.value.raw()
	return m
}

type remover struct{}

func (remover) inList(l []json.RawMessage, i int) ([]json.RawMessage, bool) {
	if i >= len(l) {
		return nil, false
	}
	return append(l[:i], l[i+1:]...), true
}

func (remover) inMap(m map[string]json.RawMessage, name string) map[string]json.RawMessage {
	delete(m, name)
	return m
}

// editPath applies ed at path in it. Stored values are never changed in
// place: every list and map on the way is decoded afresh and re-encoded.
func editPath(it wire.Item, path docPath, ed editor) bool {
	if len(path) == 1 {
		ed.inMap(it, path[0].name)
		return true
	}
	parent, ok := it[path[0].name]
	if !ok {
		return false
	}
	updated, ok := editIn(mustParseAttr(parent), path[1:], ed)
	if ok {
		it[path[0].name] = updated.raw()
	}
	return ok
}

func editIn(cur attr, path docPath, ed editor) (attr, bool) {
	el := path[0]
	if el.isIdx {
		if cur.typ != "L" {
			return attr{}, false
		}
		l := cur.list()
		if len(path) == 1 {
			l, ok := ed.inList(l, el.index)
			return makeAttr("L", l), ok
		}
		if el.index >= len(l) {
			return attr{}, false
		}
		child, ok := editIn(mustParseAttr(l[el.index]), path[1:], ed)
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
		return makeAttr("M", ed.inMap(m, el.name)), true
	}
	childRaw, ok := m[el.name]
	if !ok {
		return attr{}, false
	}
	child, ok := editIn(mustParseAttr(childRaw), path[1:], ed)
	if !ok {
		return attr{}, false
	}
	m[el.name] = child.raw()
	return makeAttr("M", m), true
}
