package expr

import (
	"encoding/json"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// ---- projection ----

// Projection is a parsed ProjectionExpression; nil projects everything.
type Projection []docPath

func parseProjection(src string, env *Env) (Projection, error) {
	p, err := newParser("ProjectionExpression", src, env)
	if err != nil {
		return nil, err
	}
	paths, err := parseList(p, p.parsePath)
	if err != nil {
		return nil, err
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	return paths, nil
}

// Apply returns the parts of it named by the projection. Nested map paths
// keep their enclosing maps; list elements are collected in order.
func (paths Projection) Apply(it wire.Item) wire.Item {
	if paths == nil {
		return it
	}
	out := wire.Item{}
	for _, path := range paths {
		v, ok := getPath(it, path)
		if !ok {
			continue
		}
		projectInto(out, path, v)
	}
	return out
}

// projectInto writes v at path inside out, creating enclosing maps. A list
// index collects the element into a list, in the order projected.
func projectInto(out wire.Item, path docPath, v attr) {
	el := path[0]
	switch {
	case el.isIdx:
		return // handled by the parent element
	case len(path) == 1:
		out[el.name] = v.raw()
	case path[1].isIdx:
		var l []json.RawMessage
		if existing, ok := out[el.name]; ok {
			l = mustParseAttr(existing).list()
		}
		out[el.name] = makeAttr("L", append(l, v.raw())).raw()
	default:
		child := wire.Item{}
		if existing, ok := out[el.name]; ok {
			if m := mustParseAttr(existing).mapValue(); m != nil {
				child = wire.Item(m)
			}
		}
		projectInto(child, path[1:], v)
		out[el.name] = makeAttr("M", map[string]json.RawMessage(child)).raw()
	}
}

// OnlyProjection parses the optional ProjectionExpression of a request that
// has no other expression, and checks that every placeholder was used.
func OnlyProjection(p wire.ExpressionAttributes, src string) (Projection, error) {
	env := NewEnv(p)
	proj, err := env.Projection(src)
	if err != nil {
		return nil, err
	}
	return proj, env.CheckUnused()
}

// Projection parses an optional ProjectionExpression.
func (env *Env) Projection(src string) (Projection, error) {
	if src == "" {
		return nil, nil
	}
	return parseProjection(src, env)
}
