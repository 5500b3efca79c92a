package expr

import (
	"encoding/json"
	"fmt"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
	"sort"
	"strconv"
	"strings"
)

// Package expr is the part of DynamoDB's expression language the emulator
// supports, and the AttributeValues it works on: condition, filter and
// key-condition expressions, update expressions and projection expressions,
// parsed against a request's placeholders and evaluated on items. Errors are
// the ValidationExceptions DynamoDB returns for the same input.

type tokenKind int

const (
	tokEOF    tokenKind = iota
	tokIdent            // bare attribute name or keyword
	tokName             // #name placeholder
	tokValue            // :value placeholder
	tokNumber           // list index
	tokPunct            // ( ) [ ] , . = <> < <= > >= + -
)

type token struct {
	kind tokenKind
	text string
}

// syntaxError is a tokenizer failure, worded as DynamoDB words it.
type syntaxError struct{ detail string }

func (e *syntaxError) Error() string { return e.detail }

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':':
			j := i + 1
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, &syntaxError{fmt.Sprintf(`Syntax error; token: "%c", near: "%s"`, c, near(s, i))}
			}
			kind := tokName
			if c == ':' {
				kind = tokValue
			}
			toks = append(toks, token{kind, s[i:j]})
			i = j
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			toks = append(toks, token{tokNumber, s[i:j]})
			i = j
		case isNameChar(c):
			j := i
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, s[i:j]})
			i = j
		case c == '<' && i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '>'):
			toks = append(toks, token{tokPunct, s[i : i+2]})
			i += 2
		case c == '>' && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, token{tokPunct, ">="})
			i += 2
		case strings.IndexByte("()[],.=<>+-", c) >= 0:
			toks = append(toks, token{tokPunct, string(c)})
			i++
		default:
			return nil, &syntaxError{fmt.Sprintf(`Invalid character encountered; character: "%c", near: "%s"`, c, near(s, i))}
		}
	}
	return append(toks, token{kind: tokEOF}), nil
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isNameChar(c byte) bool { return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

func near(s string, i int) string {
	end := min(len(s), i+8)
	return s[max(0, i-8):end]
}

// pathElement is one step of a document path: a map key or a list index.
type pathElement struct {
	name  string
	index int
	isIdx bool
}

type docPath []pathElement

func (p docPath) String() string {
	var b strings.Builder
	for i, el := range p {
		switch {
		case el.isIdx:
			fmt.Fprintf(&b, "[%d]", el.index)
		case i > 0:
			b.WriteString("." + el.name)
		default:
			b.WriteString(el.name)
		}
	}
	return b.String()
}

// Env holds the placeholders of a request and records which were used,
// because DynamoDB rejects unused ones. Parse every expression of a request
// with one Env, then call CheckUnused.
type Env struct {
	names      map[string]string
	values     map[string]json.RawMessage
	usedNames  map[string]bool
	usedValues map[string]bool
}

// NewEnv returns an Env for a request's placeholders.
func NewEnv(p wire.ExpressionAttributes) *Env {
	return &Env{names: p.ExpressionAttributeNames, values: p.ExpressionAttributeValues, usedNames: map[string]bool{}, usedValues: map[string]bool{}}
}

// CheckUnused reports placeholders that no expression referred to.
func (env *Env) CheckUnused() error {
	var unusedNames, unusedValues []string
	for k := range env.names {
		if !env.usedNames[k] {
			unusedNames = append(unusedNames, k)
		}
	}
	for k := range env.values {
		if !env.usedValues[k] {
			unusedValues = append(unusedValues, k)
		}
	}
	sort.Strings(unusedNames)
	sort.Strings(unusedValues)
	if len(unusedNames) > 0 {
		return wire.Validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(unusedNames, ", "))
	}
	if len(unusedValues) > 0 {
		return wire.Validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(unusedValues, ", "))
	}
	return nil
}

// parser is a recursive-descent parser over one expression.
type parser struct {
	kind string // e.g. "ConditionExpression", used in error messages
	src  string
	toks []token
	pos  int
	env  *Env
}

func newParser(kind, src string, env *Env) (*parser, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, wire.Validation("Invalid %s: %s", kind, err)
	}
	return &parser{kind: kind, src: src, toks: toks, env: env}, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, word)
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *parser) syntaxError() error {
	t := p.peek()
	text := t.text
	if t.kind == tokEOF {
		text = "<EOF>"
	}
	return wire.Validation(`Invalid %s: Syntax error; token: "%s", near: "%s"`, p.kind, text, p.nearText())
}

func (p *parser) nearText() string {
	var parts []string
	for i := max(0, p.pos-1); i <= p.pos && i < len(p.toks); i++ {
		if p.toks[i].kind != tokEOF {
			parts = append(parts, p.toks[i].text)
		}
	}
	return strings.Join(parts, " ")
}

func (p *parser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.syntaxError()
	}
	p.next()
	return nil
}

func (p *parser) expectEOF() error {
	if p.peek().kind != tokEOF {
		return p.syntaxError()
	}
	return nil
}

// parsePath reads a document path: name ( '.' name | '[' n ']' )*.
func (p *parser) parsePath() (docPath, error) {
	first, err := p.parsePathName()
	if err != nil {
		return nil, err
	}
	path := docPath{first}
	for {
		switch {
		case p.isPunct("."):
			p.next()
			el, err := p.parsePathName()
			if err != nil {
				return nil, err
			}
			path = append(path, el)
		case p.isPunct("["):
			p.next()
			t := p.next()
			if t.kind != tokNumber {
				return nil, p.syntaxError()
			}
			n, _ := strconv.Atoi(t.text)
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
			path = append(path, pathElement{index: n, isIdx: true})
		default:
			return path, nil
		}
	}
}

func (p *parser) parsePathName() (pathElement, error) {
	t := p.peek()
	switch t.kind {
	case tokName:
		p.next()
		name, ok := p.env.names[t.text]
		if !ok {
			return pathElement{}, wire.Validation("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", p.kind, t.text)
		}
		p.env.usedNames[t.text] = true
		return pathElement{name: name}, nil
	case tokIdent:
		p.next()
		if reserved.contains(t.text) {
			return pathElement{}, wire.Validation("Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s", p.kind, t.text)
		}
		return pathElement{name: t.text}, nil
	}
	return pathElement{}, p.syntaxError()
}

func (p *parser) parseValueRef() (attr, string, error) {
	t := p.next()
	raw, ok := p.env.values[t.text]
	if !ok {
		return attr{}, "", wire.Validation("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", p.kind, t.text)
	}
	p.env.usedValues[t.text] = true
	a, err := parseAttr(raw)
	if err != nil {
		return attr{}, "", err
	}
	if err := Validate(raw); err != nil {
		return attr{}, "", err
	}
	return a, t.text, nil
}

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

// parseCall reads a function call, "name(" arg {"," arg} ")", with one
// parse function per argument.
func (p *parser) parseCall(args ...func() error) error {
	p.next() // name
	p.next() // (
	for i, arg := range args {
		if i > 0 {
			if err := p.expectPunct(","); err != nil {
				return err
			}
		}
		if err := arg(); err != nil {
			return err
		}
	}
	return p.expectPunct(")")
}

// parseList reads one or more items separated by commas.
func parseList[T any](p *parser, item func() (T, error)) ([]T, error) {
	var out []T
	for {
		v, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if !p.isPunct(",") {
			return out, nil
		}
		p.next()
	}
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

// Condition parses an optional condition or filter expression given as the
// request member kind (e.g. "ConditionExpression"); it is nil when src is
// empty.
func (env *Env) Condition(kind, src string) (Condition, error) {
	if src == "" {
		return nil, nil
	}
	return parseCondition(kind, src, env)
}

// Projection parses an optional ProjectionExpression.
func (env *Env) Projection(src string) (Projection, error) {
	if src == "" {
		return nil, nil
	}
	return parseProjection(src, env)
}
