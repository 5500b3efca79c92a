package expr

import (
	"strconv"
	"strings"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// ---- operands and conditions ----

// operand is a value in a condition: a path, a placeholder or size(path).
type operand interface {
	eval(it wire.Item) (attr, bool)
}

type pathOperand struct{ path docPath }

func (o pathOperand) eval(it wire.Item) (attr, bool) { return getPath(it, o.path) }

type valueOperand struct {
	value attr
	name  string
}

func (o valueOperand) eval(wire.Item) (attr, bool) { return o.value, true }

type sizeOperand struct{ path docPath }

func (o sizeOperand) eval(it wire.Item) (attr, bool) {
	a, ok := getPath(it, o.path)
	if !ok {
		return attr{}, false
	}
	n, ok := sizeFunction(a)
	if !ok {
		return attr{}, false
	}
	return makeAttr("N", strconv.FormatInt(n, 10)), true
}

// Condition is a parsed condition, filter or key-condition expression.
type Condition interface {
	// Eval tells whether the item satisfies the condition.
	Eval(it wire.Item) bool
}

type andCond struct{ left, right Condition }

func (c andCond) Eval(it wire.Item) bool { return c.left.Eval(it) && c.right.Eval(it) }

type orCond struct{ left, right Condition }

func (c orCond) Eval(it wire.Item) bool { return c.left.Eval(it) || c.right.Eval(it) }

type notCond struct{ inner Condition }

func (c notCond) Eval(it wire.Item) bool { return !c.inner.Eval(it) }

type parenCond struct{ inner Condition }

func (c parenCond) Eval(it wire.Item) bool { return c.inner.Eval(it) }

type compareCond struct {
	op          string
	left, right operand
}

func (c compareCond) Eval(it wire.Item) bool {
	l, lok := c.left.eval(it)
	r, rok := c.right.eval(it)
	if !lok || !rok {
		return false
	}
	switch c.op {
	case "=":
		return equalAttrs(l, r)
	case "<>":
		return !equalAttrs(l, r)
	}
	cmp, ok := compareAttrs(l, r)
	if !ok {
		return false
	}
	switch c.op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

type betweenCond struct{ value, low, high operand }

func (c betweenCond) Eval(it wire.Item) bool {
	v, ok1 := c.value.eval(it)
	lo, ok2 := c.low.eval(it)
	hi, ok3 := c.high.eval(it)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	a, ok := compareAttrs(v, lo)
	if !ok {
		return false
	}
	b, ok := compareAttrs(v, hi)
	return ok && a >= 0 && b <= 0
}

type inCond struct {
	value   operand
	options []operand
}

func (c inCond) Eval(it wire.Item) bool {
	v, ok := c.value.eval(it)
	if !ok {
		return false
	}
	for _, o := range c.options {
		if ov, ok := o.eval(it); ok && equalAttrs(v, ov) {
			return true
		}
	}
	return false
}

type funcCond struct {
	name string
	path docPath
	arg  operand
}

func (c funcCond) Eval(it wire.Item) bool {
	a, exists := getPath(it, c.path)
	switch c.name {
	case "attribute_exists":
		return exists
	case "attribute_not_exists":
		return !exists
	}
	if !exists {
		return false
	}
	arg, ok := c.arg.eval(it)
	if !ok {
		return false
	}
	switch c.name {
	case "attribute_type":
		return arg.typ == "S" && arg.str() == a.typ
	case "begins_with":
		switch {
		case a.typ == "S" && arg.typ == "S":
			return strings.HasPrefix(a.str(), arg.str())
		case a.typ == "B" && arg.typ == "B":
			return strings.HasPrefix(string(a.bin()), string(arg.bin()))
		}
	case "contains":
		switch a.typ {
		case "S":
			return arg.typ == "S" && strings.Contains(a.str(), arg.str())
		case "SS", "NS", "BS":
			if arg.typ != a.typ[:1] {
				return false
			}
			for _, el := range a.list() {
				if equalAttrs(attr{typ: a.typ[:1], val: el}, arg) {
					return true
				}
			}
		case "L":
			for _, el := range a.list() {
				if equalAttrs(mustParseAttr(el), arg) {
					return true
				}
			}
		}
	}
	return false
}

var conditionFunctions = map[string]int{ // name → number of arguments
	"attribute_exists":     1,
	"attribute_not_exists": 1,
	"attribute_type":       2,
	"begins_with":          2,
	"contains":             2,
}

var comparators = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

// Condition parses an optional condition or filter expression given as the
// request member kind (e.g. "ConditionExpression"); it is nil when src is
// empty.
func (env *Env) Condition(kind, src string) (Condition, error) {
	if src == "" {
		return nil, nil
	}
	return parseCondition(kind, src, env)
}

// parseCondition parses a complete condition expression.
func parseCondition(kind, src string, env *Env) (Condition, error) {
	p, err := newParser(kind, src, env)
	if err != nil {
		return nil, err
	}
	if p.peek().kind == tokEOF {
		return nil, wire.Validation("Invalid %s: The expression can not be empty;", kind)
	}
	c, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) parseOr() (Condition, error) {
	return p.parseChain("OR", p.parseAnd, func(l, r Condition) Condition { return orCond{l, r} })
}

func (p *parser) parseAnd() (Condition, error) {
	return p.parseChain("AND", p.parseNot, func(l, r Condition) Condition { return andCond{l, r} })
}

// parseChain parses operands joined by a left-associative keyword.
func (p *parser) parseChain(keyword string, operand func() (Condition, error), join func(l, r Condition) Condition) (Condition, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(keyword) {
		p.next()
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = join(left, right)
	}
	return left, nil
}

func (p *parser) parseNot() (Condition, error) {
	if p.isKeyword("NOT") {
		p.next()
		inner, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return notCond{inner}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Condition, error) {
	if p.isPunct("(") {
		p.next()
		c, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return parenCond{c}, nil
	}
	t := p.peek()
	if t.kind == tokIdent && p.toks[p.pos+1].kind == tokPunct && p.toks[p.pos+1].text == "(" {
		if nargs, ok := conditionFunctions[t.text]; ok {
			return p.parseFunction(t.text, nargs)
		}
		if t.text != "size" {
			return nil, wire.Validation("Invalid %s: Invalid function name; function: %s", p.kind, t.text)
		}
	}
	left, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	switch {
	case p.peek().kind == tokPunct && comparators[p.peek().text]:
		op := p.next().text
		right, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		return compareCond{op, left, right}, nil
	case p.isKeyword("BETWEEN"):
		p.next()
		low, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntaxError()
		}
		p.next()
		high, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if lo, ok := low.(valueOperand); ok {
			if hi, ok := high.(valueOperand); ok {
				if c, ok := compareAttrs(lo.value, hi.value); ok && c > 0 {
					return nil, wire.Validation("Invalid %s: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {%s:%s}, upper bound operand: AttributeValue: {%s:%s}",
						p.kind, lo.value.typ, lo.value.str(), hi.value.typ, hi.value.str())
				}
			}
		}
		return betweenCond{left, low, high}, nil
	case p.isKeyword("IN"):
		p.next()
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		opts, err := parseList(p, p.parseOperand)
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return inCond{left, opts}, nil
	}
	return nil, p.syntaxError()
}

func (p *parser) parseFunction(name string, nargs int) (Condition, error) {
	c := funcCond{name: name}
	args := []func() error{func() (err error) { c.path, err = p.parsePath(); return err }}
	if nargs == 2 {
		args = append(args, func() (err error) { c.arg, err = p.parseOperand(); return err })
	}
	if err := p.parseCall(args...); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) parseOperand() (operand, error) {
	t := p.peek()
	switch {
	case t.kind == tokValue:
		v, name, err := p.parseValueRef()
		if err != nil {
			return nil, err
		}
		return valueOperand{v, name}, nil
	case t.kind == tokIdent && t.text == "size" && p.toks[p.pos+1].text == "(":
		var o sizeOperand
		if err := p.parseCall(func() (err error) { o.path, err = p.parsePath(); return err }); err != nil {
			return nil, err
		}
		return o, nil
	case t.kind == tokIdent || t.kind == tokName:
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		return pathOperand{path}, nil
	}
	return nil, p.syntaxError()
}
