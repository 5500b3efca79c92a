// Package expr is the part of DynamoDB's expression language the emulator
// supports, and the AttributeValues it works on: condition, filter and
// key-condition expressions, update expressions and projection expressions,
// parsed against a request's placeholders and evaluated on items. Errors are
// the ValidationExceptions DynamoDB returns for the same input.
package expr

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

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
	// span returns the end of the run of bytes from i that satisfy ok.
	span := func(i int, ok func(byte) bool) int {
		for i < len(s) && ok(s[i]) {
			i++
		}
		return i
	}
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':':
			j := span(i+1, isNameChar)
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
			j := span(i, isDigit)
			toks = append(toks, token{tokNumber, s[i:j]})
			i = j
		case isNameChar(c):
			j := span(i, isNameChar)
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
