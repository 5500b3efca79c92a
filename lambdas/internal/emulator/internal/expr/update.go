package expr

import (
	"encoding/json"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
	"math/big"
	"strings"
)

// Update is a parsed UpdateExpression.
type Update struct {
	sets    []setAction
	removes []docPath
	adds    []setValueAction
	deletes []setValueAction
}

type setAction struct {
	path  docPath
	value valueExpr
}

type setValueAction struct {
	path  docPath
	value attr
}

// valueExpr is the right-hand side of a SET action.
type valueExpr interface {
	eval(it wire.Item) (attr, error)
}

type operandValue struct{ op operand }

func (v operandValue) eval(it wire.Item) (attr, error) {
	a, ok := v.op.eval(it)
	if !ok {
		return attr{}, wire.Validation("The provided expression refers to an attribute that does not exist in the item")
	}
	return a, nil
}

// evalBoth evaluates the two operands of a binary value expression.
func evalBoth(x, y valueExpr, it wire.Item) (attr, attr, error) {
	a, err := x.eval(it)
	if err != nil {
		return attr{}, attr{}, err
	}
	b, err := y.eval(it)
	if err != nil {
		return attr{}, attr{}, err
	}
	return a, b, nil
}

type arithmeticValue struct {
	op          string
	left, right valueExpr
}

func (v arithmeticValue) eval(it wire.Item) (attr, error) {
	l, r, err := evalBoth(v.left, v.right, it)
	if err != nil {
		return attr{}, err
	}
	if l.typ != "N" || r.typ != "N" {
		return attr{}, wire.Validation("An operand in the update expression has an incorrect data type")
	}
	out := new(big.Rat)
	if v.op == "+" {
		out.Add(l.num(), r.num())
	} else {
		out.Sub(l.num(), r.num())
	}
	return numberAttr(out), nil
}

type ifNotExistsValue struct {
	path     docPath
	fallback valueExpr
}

func (v ifNotExistsValue) eval(it wire.Item) (attr, error) {
	if a, ok := getPath(it, v.path); ok {
		return a, nil
	}
	return v.fallback.eval(it)
}

type listAppendValue struct{ first, second valueExpr }

func (v listAppendValue) eval(it wire.Item) (attr, error) {
	a, b, err := evalBoth(v.first, v.second, it)
	if err != nil {
		return attr{}, err
	}
	if a.typ != "L" || b.typ != "L" {
		return attr{}, wire.Validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: %s", nonList(a, b))
	}
	return makeAttr("L", append(a.list(), b.list()...)), nil
}

func nonList(a, b attr) string {
	if a.typ != "L" {
		return a.typ
	}
	return b.typ
}

// Update parses an UpdateExpression.
func (env *Env) Update(src string) (*Update, error) {
	p, err := newParser("UpdateExpression", src, env)
	if err != nil {
		return nil, err
	}
	if p.peek().kind == tokEOF {
		return nil, wire.Validation("Invalid UpdateExpression: The expression can not be empty;")
	}
	u := &Update{}
	seen := map[string]bool{}
	for p.peek().kind != tokEOF {
		t := p.next()
		clause := strings.ToUpper(t.text)
		if t.kind != tokIdent || (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE") {
			p.pos--
			return nil, p.syntaxError()
		}
		if seen[clause] {
			return nil, wire.Validation(`Invalid UpdateExpression: The "%s" section can only be used once in an update expression;`, clause)
		}
		seen[clause] = true
		for {
			if err := p.parseUpdateAction(clause, u); err != nil {
				return nil, err
			}
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	return u, nil
}

func (p *parser) parseUpdateAction(clause string, u *Update) error {
	path, err := p.parsePath()
	if err != nil {
		return err
	}
	switch clause {
	case "SET":
		if err := p.expectPunct("="); err != nil {
			return err
		}
		v, err := p.parseSetValue()
		if err != nil {
			return err
		}
		u.sets = append(u.sets, setAction{path, v})
	case "REMOVE":
		u.removes = append(u.removes, path)
	case "ADD", "DELETE":
		if p.peek().kind != tokValue {
			return p.syntaxError()
		}
		v, _, err := p.parseValueRef()
		if err != nil {
			return err
		}
		action := setValueAction{path, v}
		if clause == "ADD" {
			if v.typ != "N" && !isSetType(v.typ) {
				return wire.Validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: %s", typeName(v.typ))
			}
			u.adds = append(u.adds, action)
		} else {
			if !isSetType(v.typ) {
				return wire.Validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: %s", typeName(v.typ))
			}
			u.deletes = append(u.deletes, action)
		}
	}
	return nil
}

func (p *parser) parseSetValue() (valueExpr, error) {
	left, err := p.parseSetOperand()
	if err != nil {
		return nil, err
	}
	if p.isPunct("+") || p.isPunct("-") {
		op := p.next().text
		right, err := p.parseSetOperand()
		if err != nil {
			return nil, err
		}
		return arithmeticValue{op, left, right}, nil
	}
	return left, nil
}

func (p *parser) parseSetOperand() (valueExpr, error) {
	t := p.peek()
	if t.kind == tokIdent && p.toks[p.pos+1].text == "(" {
		switch t.text {
		case "if_not_exists":
			var v ifNotExistsValue
			err := p.parseCall(
				func() (err error) { v.path, err = p.parsePath(); return err },
				func() (err error) { v.fallback, err = p.parseSetValue(); return err })
			if err != nil {
				return nil, err
			}
			return v, nil
		case "list_append":
			var v listAppendValue
			err := p.parseCall(
				func() (err error) { v.first, err = p.parseSetValue(); return err },
				func() (err error) { v.second, err = p.parseSetValue(); return err })
			if err != nil {
				return nil, err
			}
			return v, nil
		default:
			return nil, wire.Validation("Invalid UpdateExpression: Invalid function name; function: %s", t.text)
		}
	}
	op, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if _, isSize := op.(sizeOperand); isSize {
		return nil, wire.Validation("Invalid UpdateExpression: The function is not allowed in an update expression; function: size")
	}
	return operandValue{op: op}, nil
}

func isSetType(t string) bool { return t == "SS" || t == "NS" || t == "BS" }

func typeName(t string) string {
	switch t {
	case "S":
		return "STRING"
	case "N":
		return "NUMBER"
	case "B":
		return "BINARY"
	case "M":
		return "MAP"
	case "L":
		return "LIST"
	case "BOOL":
		return "BOOLEAN"
	case "NULL":
		return "NULL"
	}
	return t
}

// Attributes returns the top-level attribute of every path the expression
// writes, in order.
func (u *Update) Attributes() []string {
	var out []string
	add := func(p docPath) { out = append(out, p[0].name) }
	for _, s := range u.sets {
		add(s.path)
	}
	for _, p := range u.removes {
		add(p)
	}
	for _, a := range u.adds {
		add(a.path)
	}
	for _, d := range u.deletes {
		add(d.path)
	}
	return out
}

// Apply evaluates the expression against old and returns the new item.
// Right-hand sides see the item as it was before the update.
func (u *Update) Apply(old wire.Item) (wire.Item, error) {
	values := make([]attr, len(u.sets))
	for i, s := range u.sets {
		v, err := s.value.eval(old)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	next := old.Clone()
	for i, s := range u.sets {
		if err := setPath(next, s.path, values[i]); err != nil {
			return nil, err
		}
	}
	for _, path := range u.removes {
		removePath(next, path)
	}
	for _, a := range u.adds {
		cur, exists := getPath(next, a.path)
		var result attr
		switch {
		case !exists:
			result = a.value
		case cur.typ == "N" && a.value.typ == "N":
			result = numberAttr(new(big.Rat).Add(cur.num(), a.value.num()))
		case cur.typ == a.value.typ && isSetType(cur.typ):
			result = setUnion(cur, a.value)
		default:
			return nil, wire.Validation("An operand in the update expression has an incorrect data type")
		}
		if err := setPath(next, a.path, result); err != nil {
			return nil, err
		}
	}
	for _, d := range u.deletes {
		cur, exists := getPath(next, d.path)
		if !exists {
			continue
		}
		if cur.typ != d.value.typ {
			return nil, wire.Validation("An operand in the update expression has an incorrect data type")
		}
		result := setDifference(cur, d.value)
		if len(result.list()) == 0 {
			removePath(next, d.path)
			continue
		}
		if err := setPath(next, d.path, result); err != nil {
			return nil, err
		}
	}
	return next, nil
}

func setUnion(a, b attr) attr {
	seen := map[string]bool{}
	var out []json.RawMessage
	for _, el := range append(a.list(), b.list()...) {
		k := canonical(attr{typ: a.typ[:1], val: el})
		if !seen[k] {
			seen[k] = true
			out = append(out, el)
		}
	}
	return makeAttr(a.typ, out)
}

func setDifference(a, b attr) attr {
	remove := map[string]bool{}
	for _, el := range b.list() {
		remove[canonical(attr{typ: b.typ[:1], val: el})] = true
	}
	out := []json.RawMessage{}
	for _, el := range a.list() {
		if !remove[canonical(attr{typ: a.typ[:1], val: el})] {
			out = append(out, el)
		}
	}
	return makeAttr(a.typ, out)
}
