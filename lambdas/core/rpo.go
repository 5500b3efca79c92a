package core

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TagRPO is the tag that sets a table's recovery point objective, overriding
// RPO_BY_NAME and RPO. Its values are those of ParseRPO.
const TagRPO = ReservedTagPrefix + "rpo"

// Period is a length of time written with the units m, h and d, largest
// first: 15m, 1h, 6h, 1d, 1d12h, 7d. As an RPO, zero means off.
type Period time.Duration

// RPOOff is the RPO of a table that is never copied.
const RPOOff Period = 0

// Bounds of an RPO and of MAX_UNCHANGED.
const (
	MinRPO = Period(time.Minute)
	MaxRPO = Period(366 * 24 * time.Hour)
)

// RPOForms describes the accepted forms, for error messages.
const RPOForms = "a whole number of minutes, hours or days such as 15m, 1h, 6h, 1d, 7d or 1d12h (from 1m to 366d), or off"

var periodRE = regexp.MustCompile(`^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?$`)

// ParsePeriod parses a Period; "off" is not one.
func ParsePeriod(s string) (Period, error) {
	m := periodRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("%q is not %s", s, strings.TrimSuffix(RPOForms, ", or off"))
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] == "" {
			continue
		}
		// Bounding each count first keeps the sum from overflowing.
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil || n > int64(time.Duration(MaxRPO)/unit) {
			return 0, fmt.Errorf("%q is out of range: use %s", s, RPOForms)
		}
		d += time.Duration(n) * unit
	}
	p := Period(d)
	if p < MinRPO || p > MaxRPO {
		return 0, fmt.Errorf("%q is out of range: use %s", s, RPOForms)
	}
	return p, nil
}

// ParseRPO parses an RPO: a Period or "off".
func ParseRPO(s string) (Period, error) {
	if strings.EqualFold(strings.TrimSpace(s), "off") {
		return RPOOff, nil
	}
	return ParsePeriod(s)
}

// Duration is p as a time.Duration.
func (p Period) Duration() time.Duration { return time.Duration(p) }

// String writes p in the form ParseRPO reads: off, or days, hours and
// minutes, largest first.
func (p Period) String() string {
	if p <= 0 {
		return "off"
	}
	d := time.Duration(p)
	var b strings.Builder
	for _, u := range []struct {
		unit   time.Duration
		suffix string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.suffix)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return "1m"
	}
	return b.String()
}

// MarshalText writes p as String does, so that settings carry it readably.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (p *Period) UnmarshalText(b []byte) error {
	v, err := ParseRPO(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// RoundUpPeriod is the smallest Period of the form "whole minutes under an
// hour, whole hours under a day, whole days" that is at least d: the
// smallest RPO a user would write that covers d.
func RoundUpPeriod(d time.Duration) Period {
	ceil := func(unit time.Duration) time.Duration { return (d + unit - 1) / unit * unit }
	switch {
	case ceil(time.Minute) < time.Hour:
		return Period(max(ceil(time.Minute), time.Duration(MinRPO)))
	case ceil(time.Hour) < 24*time.Hour:
		return Period(ceil(time.Hour))
	}
	return min(Period(ceil(24*time.Hour)), MaxRPO)
}

// RPORule is one entry of RPO_BY_NAME: tables whose name matches Pattern (a
// glob as in INCLUDE) get RPO.
type RPORule struct {
	Pattern string
	RPO     Period
}

// String writes the rule as RPO_BY_NAME holds it: pattern=rpo.
func (r RPORule) String() string { return r.Pattern + "=" + r.RPO.String() }

// MarshalText writes the rule as String does.
func (r RPORule) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (r *RPORule) UnmarshalText(b []byte) error {
	v, err := parseRPORule(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

func parseRPORule(item string) (RPORule, error) {
	p, v, ok := strings.Cut(item, "=")
	p = strings.TrimSpace(p)
	if !ok || p == "" {
		return RPORule{}, fmt.Errorf("%q is not pattern=rpo; write e.g. audit-*=1d,hot-*=15m", item)
	}
	if _, err := path.Match(p, ""); err != nil || !globRE.MatchString(p) {
		return RPORule{}, fmt.Errorf("%q is not a table-name glob (letters, digits, _ . - and the wildcards * ? [...])", p)
	}
	rpo, err := ParseRPO(v)
	if err != nil {
		return RPORule{}, fmt.Errorf("pattern %s: %w", p, err)
	}
	return RPORule{Pattern: p, RPO: rpo}, nil
}

// ParseRPORules parses RPO_BY_NAME entries ("pattern=rpo" each); a bad one
// is an InvalidInput naming field.
func ParseRPORules(field string, items []string) ([]RPORule, error) {
	out := make([]RPORule, 0, len(items))
	for _, item := range items {
		r, err := parseRPORule(item)
		if err != nil {
			return nil, &InvalidInput{Field: field, Problem: err.Error()}
		}
		out = append(out, r)
	}
	return out, nil
}

// RPO sources, as ResolveRPO reports them.
const (
	RPOFromTag     = "tag " + TagRPO
	RPOFromName    = EnvRPOByName
	RPOFromDefault = EnvRPO
)

// ResolveRPO is a table's RPO: its TagRPO tag if it has one, else the first
// rule of byName whose pattern matches its name, else def. It also says
// where the RPO came from. A tag that is not a valid RPO is an InvalidInput
// naming the table, the tag and the accepted forms: the table fails, it is
// never copied under another RPO than the one its owner asked for.
func ResolveRPO(table string, tags map[string]string, byName []RPORule, def Period) (Period, string, error) {
	if v, ok := tags[TagRPO]; ok {
		rpo, err := ParseRPO(v)
		if err != nil {
			return 0, "", &InvalidInput{
				Field:   fmt.Sprintf("tag %s of table %s", TagRPO, table),
				Problem: fmt.Sprintf("%q is not an RPO; use %s", v, RPOForms),
			}
		}
		return rpo, RPOFromTag, nil
	}
	for _, r := range byName {
		if ok, _ := path.Match(r.Pattern, table); ok {
			return r.RPO, RPOFromName + " " + r.Pattern, nil
		}
	}
	return def, RPOFromDefault, nil
}
