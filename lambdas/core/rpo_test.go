package core_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestParseRPO(t *testing.T) {
	tests := []struct {
		in   string
		want core.Period
		str  string // "" when in fails
	}{
		{"15m", core.Period(15 * time.Minute), "15m"},
		{"1h", core.Period(time.Hour), "1h"},
		{" 6h ", core.Period(6 * time.Hour), "6h"},
		{"1d", core.Period(24 * time.Hour), "1d"},
		{"7d", core.Period(7 * 24 * time.Hour), "7d"},
		{"1d12h", core.Period(36 * time.Hour), "1d12h"},
		{"90m", core.Period(90 * time.Minute), "1h30m"},
		{"1m", core.Period(time.Minute), "1m"},
		{"366d", core.Period(366 * 24 * time.Hour), "366d"},
		{"off", core.RPOOff, "off"},
		{"OFF", core.RPOOff, "off"},
		{"", 0, ""},
		{"1", 0, ""},
		{"1s", 0, ""},
		{"1.5h", 0, ""},
		{"1h1d", 0, ""},
		{"-1h", 0, ""},
		{"0m", 0, ""},
		{"367d", 0, ""},
		{"99999999999d", 0, ""},
		{"213504d", 0, ""}, // wraps around int64 nanoseconds
		{"527041m", 0, ""},
		{"1 h", 0, ""},
	}
	for _, tc := range tests {
		got, err := core.ParseRPO(tc.in)
		if tc.str == "" {
			if err == nil {
				t.Errorf("ParseRPO(%q) = %s, want an error", tc.in, got)
			} else if !strings.Contains(err.Error(), "15m") {
				t.Errorf("ParseRPO(%q): %v does not show the accepted forms", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseRPO(%q) = %s (%v), %v; want %s", tc.in, got, time.Duration(got), err, tc.str)
		}
		if back, err := core.ParseRPO(got.String()); err != nil || back != got {
			t.Errorf("%s does not read back: %v, %v", got, back, err)
		}
	}
	if _, err := core.ParsePeriod("off"); err == nil {
		t.Error("ParsePeriod accepts off; MAX_UNCHANGED cannot be off")
	}
}

func TestPeriodAndRuleJSON(t *testing.T) {
	in := struct {
		P     core.Period
		Rules []core.RPORule
	}{core.Period(36 * time.Hour), []core.RPORule{{Pattern: "hot-*", RPO: core.Period(15 * time.Minute)}, {Pattern: "x", RPO: core.RPOOff}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"P":"1d12h","Rules":["hot-*=15m","x=off"]}` {
		t.Errorf("JSON = %s", b)
	}
	out := in
	out.P, out.Rules = 0, nil
	if err := json.Unmarshal(b, &out); err != nil || out.P != in.P || len(out.Rules) != 2 || out.Rules[0] != in.Rules[0] || out.Rules[1] != in.Rules[1] {
		t.Errorf("read back %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"P":"1y"}`), &out); err == nil {
		t.Error("a bad period is read")
	}
}

func TestRoundUpPeriod(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "1m"},
		{30 * time.Second, "1m"},
		{61 * time.Second, "2m"},
		{59 * time.Minute, "59m"},
		{59*time.Minute + time.Second, "1h"},
		{time.Hour, "1h"},
		{80 * time.Minute, "2h"},
		{23 * time.Hour, "23h"},
		{23*time.Hour + time.Minute, "1d"},
		{50 * time.Hour, "3d"},
	}
	for _, tc := range tests {
		if got := core.RoundUpPeriod(tc.d).String(); got != tc.want {
			t.Errorf("RoundUpPeriod(%s) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

func TestResolveRPO(t *testing.T) {
	byName := []core.RPORule{
		{Pattern: "audit-*", RPO: core.Period(24 * time.Hour)},
		{Pattern: "audit-hot*", RPO: core.Period(15 * time.Minute)}, // shadowed by the first
		{Pattern: "scratch-?", RPO: core.RPOOff},
	}
	def := core.Period(time.Hour)
	tests := []struct {
		name   string
		table  string
		tags   map[string]string
		want   core.Period
		source string
	}{
		{"default", "orders", nil, def, "RPO"},
		{"first matching pattern", "audit-hot-log", nil, core.Period(24 * time.Hour), "RPO_BY_NAME audit-*"},
		{"pattern off", "scratch-1", map[string]string{"env": "x"}, core.RPOOff, "RPO_BY_NAME scratch-?"},
		{"tag beats pattern", "audit-log", map[string]string{core.TagRPO: "6h"}, core.Period(6 * time.Hour), "tag xregion-backup:rpo"},
		{"tag off", "orders", map[string]string{core.TagRPO: "off"}, core.RPOOff, "tag xregion-backup:rpo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, source, err := core.ResolveRPO(tc.table, tc.tags, byName, def)
			if err != nil || got != tc.want || source != tc.source {
				t.Errorf("ResolveRPO = %s from %q, %v; want %s from %q", got, source, err, tc.want, tc.source)
			}
		})
	}
}

// TestResolveRPOBadTag: a bad tag fails the table with a message naming the
// table, the tag and the accepted forms, and never falls back to a pattern
// or the default.
func TestResolveRPOBadTag(t *testing.T) {
	for _, v := range []string{"", "1 hour", "hourly", "0m", "30s"} {
		got, _, err := core.ResolveRPO("audit-log", map[string]string{core.TagRPO: v}, []core.RPORule{{Pattern: "*", RPO: core.Period(time.Hour)}}, core.Period(time.Hour))
		checkInvalid(t, err, "tag xregion-backup:rpo of table audit-log", "15m, 1h, 6h, 1d, 7d")
		if got != 0 {
			t.Errorf("tag %q: RPO %s returned with the error", v, got)
		}
	}
}
