package expr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// attr is a decoded AttributeValue: its type tag (S, N, B, SS, NS, BS, M, L,
// NULL, BOOL) and the JSON value under that tag.
type attr struct {
	typ string
	val json.RawMessage
}

var attrTypes = map[string]bool{
	"S": true, "N": true, "B": true, "SS": true, "NS": true, "BS": true,
	"M": true, "L": true, "NULL": true, "BOOL": true,
}

var numberPattern = regexp.MustCompile(`^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$`)

func parseAttr(raw json.RawMessage) (attr, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return attr{}, wire.Validation("Supplied AttributeValue is not a valid AttributeValue")
	}
	switch len(m) {
	case 0:
		return attr{}, wire.Validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case 1:
	default:
		return attr{}, wire.Validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	for typ, val := range m {
		if !attrTypes[typ] {
			return attr{}, wire.Validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
		}
		return attr{typ: typ, val: val}, nil
	}
	panic("unreachable")
}

func mustParseAttr(raw json.RawMessage) attr {
	a, err := parseAttr(raw)
	if err != nil {
		return attr{typ: "NULL", val: json.RawMessage("true")}
	}
	return a
}

func (a attr) raw() json.RawMessage {
	b, _ := json.Marshal(map[string]json.RawMessage{a.typ: a.val})
	return b
}

func (a attr) str() string {
	var s string
	_ = json.Unmarshal(a.val, &s)
	return s
}

func (a attr) bin() []byte {
	var b []byte
	_ = json.Unmarshal(a.val, &b)
	return b
}

func (a attr) num() *big.Rat {
	r, _ := parseNumber(a.str())
	if r == nil {
		return new(big.Rat)
	}
	return r
}

func (a attr) boolean() bool {
	var b bool
	_ = json.Unmarshal(a.val, &b)
	return b
}

func (a attr) mapValue() map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(a.val, &m)
	return m
}

func (a attr) list() []json.RawMessage {
	var l []json.RawMessage
	_ = json.Unmarshal(a.val, &l)
	return l
}

func parseNumber(s string) (*big.Rat, bool) {
	if !numberPattern.MatchString(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	return r, ok
}

// formatNumber renders a number the way DynamoDB normalises it: no exponent,
// no trailing zeros.
func formatNumber(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(38)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func numberAttr(r *big.Rat) attr {
	b, _ := json.Marshal(formatNumber(r))
	return attr{typ: "N", val: b}
}

func makeAttr(typ string, v any) attr {
	b, _ := json.Marshal(v)
	return attr{typ: typ, val: b}
}

// Validate checks an AttributeValue the way DynamoDB does on writes.
func Validate(raw json.RawMessage) error {
	a, err := parseAttr(raw)
	if err != nil {
		return err
	}
	switch a.typ {
	case "S":
		var s string
		if json.Unmarshal(a.val, &s) != nil {
			return wire.Errorf(wire.CodeSerialization, "NUMBER_VALUE cannot be converted to String")
		}
	case "N":
		var s string
		if json.Unmarshal(a.val, &s) != nil {
			return wire.Errorf(wire.CodeSerialization, "NUMBER_VALUE cannot be converted to String")
		}
		if _, ok := parseNumber(s); !ok {
			return wire.Validation("A value provided cannot be converted into a number")
		}
	case "B":
		var b []byte
		if json.Unmarshal(a.val, &b) != nil {
			return wire.Errorf(wire.CodeSerialization, "Base64 encoded binary value expected")
		}
	case "SS", "NS", "BS":
		var l []json.RawMessage
		if json.Unmarshal(a.val, &l) != nil {
			return wire.Errorf(wire.CodeSerialization, "Start of list found where not expected")
		}
		if len(l) == 0 {
			return wire.InvalidParam("An %s may not be empty", map[string]string{"SS": "string set ", "NS": "number set ", "BS": "binary set "}[a.typ])
		}
		seen := map[string]bool{}
		for _, el := range l {
			elem := attr{typ: a.typ[:1], val: el}
			if err := Validate(elem.raw()); err != nil {
				return err
			}
			k := canonical(elem)
			if seen[k] {
				return wire.Validation("One or more parameter values were invalid: Input collection %s contains duplicates.", string(a.val))
			}
			seen[k] = true
		}
	case "M":
		var m map[string]json.RawMessage
		if json.Unmarshal(a.val, &m) != nil {
			return wire.Errorf(wire.CodeSerialization, "Start of structure or map found where not expected")
		}
		for _, v := range m {
			if err := Validate(v); err != nil {
				return err
			}
		}
	case "L":
		var l []json.RawMessage
		if json.Unmarshal(a.val, &l) != nil {
			return wire.Errorf(wire.CodeSerialization, "Start of list found where not expected")
		}
		for _, v := range l {
			if err := Validate(v); err != nil {
				return err
			}
		}
	case "NULL", "BOOL":
		var b bool
		if json.Unmarshal(a.val, &b) != nil {
			return wire.Errorf(wire.CodeSerialization, "Unexpected value type in payload")
		}
		if a.typ == "NULL" && !b {
			return wire.InvalidParam("Null attribute value types must have the value of true")
		}
	}
	return nil
}

// canonical renders a scalar attribute so that equal values have equal
// renderings (numbers are normalised).
func canonical(a attr) string {
	switch a.typ {
	case "S":
		return "S:" + a.str()
	case "N":
		return "N:" + a.num().RatString()
	case "B":
		return "B:" + base64.StdEncoding.EncodeToString(a.bin())
	default:
		return a.typ + ":" + string(a.val)
	}
}

// compareAttrs orders two scalar values of the same type (S, N or B). ok is
// false when they cannot be ordered.
func compareAttrs(a, b attr) (cmp int, ok bool) {
	if a.typ != b.typ {
		return 0, false
	}
	switch a.typ {
	case "S":
		return strings.Compare(a.str(), b.str()), true
	case "N":
		return a.num().Cmp(b.num()), true
	case "B":
		return bytes.Compare(a.bin(), b.bin()), true
	}
	return 0, false
}

// equalAttrs is DynamoDB's = on any two values.
func equalAttrs(a, b attr) bool {
	if a.typ != b.typ {
		return false
	}
	switch a.typ {
	case "S", "N", "B":
		c, _ := compareAttrs(a, b)
		return c == 0
	case "BOOL", "NULL":
		return a.boolean() == b.boolean()
	case "SS", "NS", "BS":
		return slices.Equal(setMembers(a), setMembers(b))
	case "L":
		la, lb := a.list(), b.list()
		if len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !equalAttrs(mustParseAttr(la[i]), mustParseAttr(lb[i])) {
				return false
			}
		}
		return true
	case "M":
		ma, mb := a.mapValue(), b.mapValue()
		if len(ma) != len(mb) {
			return false
		}
		for k, va := range ma {
			vb, ok := mb[k]
			if !ok || !equalAttrs(mustParseAttr(va), mustParseAttr(vb)) {
				return false
			}
		}
		return true
	}
	return false
}

// setMembers returns the canonical renderings of a set's members, sorted.
func setMembers(a attr) []string {
	var out []string
	for _, el := range a.list() {
		out = append(out, canonical(attr{typ: a.typ[:1], val: el}))
	}
	sort.Strings(out)
	return out
}

// attrSize approximates DynamoDB's size of a value in bytes.
func attrSize(a attr) int64 {
	switch a.typ {
	case "S":
		return int64(len(a.str()))
	case "N":
		return int64(len(strings.TrimLeft(a.str(), "+-0")) + 1)
	case "B":
		return int64(len(a.bin()))
	case "BOOL", "NULL":
		return 1
	case "SS", "NS", "BS":
		var n int64
		for _, el := range a.list() {
			n += attrSize(attr{typ: a.typ[:1], val: el})
		}
		return n
	case "L":
		n := int64(3)
		for _, el := range a.list() {
			n += 1 + attrSize(mustParseAttr(el))
		}
		return n
	case "M":
		n := int64(3)
		for k, v := range a.mapValue() {
			n += 1 + int64(len(k)) + attrSize(mustParseAttr(v))
		}
		return n
	}
	return int64(len(a.val))
}

// ItemSize is the approximate stored size of an item: the sum of attribute
// name and value lengths.
func ItemSize(it wire.Item) int64 {
	var n int64
	for k, v := range it {
		n += int64(len(k)) + attrSize(mustParseAttr(v))
	}
	return n
}

// MaxItemBytes is DynamoDB's limit on the size of an item.
const MaxItemBytes = 400 * 1024

// ValidateItem checks an item being written: every value valid, and the
// whole within MaxItemBytes.
func ValidateItem(it wire.Item) error {
	if it == nil {
		return wire.Constraint(nil, "item", "Member must not be null")
	}
	for _, v := range it {
		if err := Validate(v); err != nil {
			return err
		}
	}
	if ItemSize(it) > MaxItemBytes {
		return wire.Validation("Item size has exceeded the maximum allowed size")
	}
	return nil
}

// Canonical renders a scalar AttributeValue so that equal values have equal
// renderings (numbers are normalised); keys are compared by it.
func Canonical(raw json.RawMessage) string { return canonical(mustParseAttr(raw)) }

// Compare orders two scalar AttributeValues of the same type (S, N or B);
// values that cannot be ordered compare as equal.
func Compare(a, b json.RawMessage) int {
	c, _ := compareAttrs(mustParseAttr(a), mustParseAttr(b))
	return c
}

// KeyValue is a scalar key attribute (S, N or B) decoded once, to be
// compared many times. The zero KeyValue is no value.
type KeyValue struct {
	typ string
	s   string   // S, and B's bytes
	n   *big.Rat // N
}

// ParseKey decodes a key attribute.
func ParseKey(raw json.RawMessage) KeyValue {
	a := mustParseAttr(raw)
	switch a.typ {
	case "S":
		return KeyValue{typ: a.typ, s: a.str()}
	case "N":
		return KeyValue{typ: a.typ, n: a.num()}
	case "B":
		return KeyValue{typ: a.typ, s: string(a.bin())}
	}
	return KeyValue{typ: a.typ}
}

// Compare orders two key values as [Compare] orders their AttributeValues.
func (k KeyValue) Compare(o KeyValue) int {
	switch {
	case k.typ != o.typ:
		return 0
	case k.typ == "N":
		return k.n.Cmp(o.n)
	}
	return strings.Compare(k.s, o.s)
}

// Scalar returns the type tag of an AttributeValue and whether it is an
// empty string or binary, which a key attribute may not be.
func Scalar(raw json.RawMessage) (typ string, empty bool) {
	a := mustParseAttr(raw)
	return a.typ, (a.typ == "S" && a.str() == "") || (a.typ == "B" && len(a.bin()) == 0)
}

// sizeFunction is the expression language's size(): string and binary
// length, or element count.
func sizeFunction(a attr) (int64, bool) {
	switch a.typ {
	case "S":
		return int64(utf8.RuneCountInString(a.str())), true
	case "B":
		return int64(len(a.bin())), true
	case "SS", "NS", "BS", "L":
		return int64(len(a.list())), true
	case "M":
		return int64(len(a.mapValue())), true
	}
	return 0, false
}
