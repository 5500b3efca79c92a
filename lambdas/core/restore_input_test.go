package core_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

var restoreNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestRestoreInputValidateAcceptsGoodInput(t *testing.T) {
	tests := []struct {
		name    string
		in      core.RestoreInput
		wantPIT time.Time
	}{
		{"one table", core.RestoreInput{Tables: []string{"orders"}}, time.Time{}},
		{"every table", core.RestoreInput{Tables: []string{"*"}}, time.Time{}},
		{"every table with target names", core.RestoreInput{Tables: []string{"*"}, TargetNames: map[string]string{"orders": "orders-restored"}}, time.Time{}},
		{"point in time", core.RestoreInput{Tables: []string{"orders"}, PointInTime: "2026-11-23T10:00:00Z"}, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)},
		{"point in time with offset is returned in UTC", core.RestoreInput{Tables: []string{"orders"}, PointInTime: "2026-11-23T12:30:00+02:00"}, time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)},
		{"point in time exactly now", core.RestoreInput{Tables: []string{"orders"}, PointInTime: "2026-11-23T12:00:00Z"}, restoreNow},
		{"everything", core.RestoreInput{
			Tables: []string{"orders", "users"}, TargetRegion: "eu-west-1", NameSuffix: "-restored.2026_11",
			TargetNames: map[string]string{"users": "users-copy"}, DryRun: true,
		}, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var problems core.Problems
			pit := tc.in.Validate(restoreNow, &problems)
			if len(problems) != 0 {
				t.Fatalf("problems = %q", problems)
			}
			if !pit.Equal(tc.wantPIT) || pit.Location() != time.UTC {
				t.Errorf("point in time = %v, want %v in UTC", pit, tc.wantPIT)
			}
		})
	}
}

func TestRestoreInputValidateRefusesBadInput(t *testing.T) {
	long := strings.Repeat("a", 256)
	tests := []struct {
		name string
		in   core.RestoreInput
		want []string // each problem, by a part of its message
	}{
		{"no tables", core.RestoreInput{}, []string{`tables: name at least one table, or ["*"]`}},
		{"empty tables", core.RestoreInput{Tables: []string{}}, []string{"tables: name at least one table"}},
		{"star mixed with names", core.RestoreInput{Tables: []string{"*", "orders"}}, []string{`"*" already means every table`}},
		{"invalid name: too short", core.RestoreInput{Tables: []string{"ab"}}, []string{`tables[0]: "ab" must be 3 to 255 characters long, it has 2`}},
		{"invalid name: too long", core.RestoreInput{Tables: []string{"orders", long}}, []string{`tables[1]: "` + long + `" must be 3 to 255 characters long, it has 256`}},
		{"invalid name: characters", core.RestoreInput{Tables: []string{"my table"}}, []string{`tables[0]: "my table" may contain only`}},
		{"empty name", core.RestoreInput{Tables: []string{""}}, []string{`tables[0]: "" must be 3 to 255`}},
		{"duplicate", core.RestoreInput{Tables: []string{"orders", "users", "orders"}}, []string{`tables: "orders" is listed twice`}},
		{"malformed point in time", core.RestoreInput{Tables: []string{"orders"}, PointInTime: "yesterday"}, []string{`pointInTime: "yesterday" is not an RFC 3339 time such as 2026-11-23T10:00:00Z`}},
		{"point in time without zone", core.RestoreInput{Tables: []string{"orders"}, PointInTime: "2026-11-23T10:00:00"}, []string{`pointInTime: "2026-11-23T10:00:00" is not an RFC 3339 time`}},
		{"point in time date only", core.RestoreInput{Tables: []string{"orders"}, PointInTime: "2026-11-23"}, []string{"not an RFC 3339 time"}},
		{"point in time in the future", core.RestoreInput{Tables: []string{"orders"}, PointInTime: "2026-11-23T12:00:01Z"}, []string{"pointInTime: 2026-11-23T12:00:01Z is in the future"}},
		{"bad target region", core.RestoreInput{Tables: []string{"orders"}, TargetRegion: "Europe"}, []string{`targetRegion: "Europe" is not an AWS region name such as us-east-1`}},
		{"bad source region", core.RestoreInput{Tables: []string{"orders"}, SourceRegion: "Sydney"}, []string{`sourceRegion: "Sydney" is not an AWS region name such as us-east-1`}},
		{"bad name suffix", core.RestoreInput{Tables: []string{"orders"}, NameSuffix: "-restored/1"}, []string{`nameSuffix: "-restored/1" may contain only a-z, A-Z, 0-9`}},
		{"name suffix with a space", core.RestoreInput{Tables: []string{"orders"}, NameSuffix: " copy"}, []string{"nameSuffix: "}},
		{"target name for a table not restored", core.RestoreInput{Tables: []string{"orders"}, TargetNames: map[string]string{"users": "users-copy"}}, []string{`targetNames: "users" is not one of the tables to restore`}},
		{"invalid target name", core.RestoreInput{Tables: []string{"orders"}, TargetNames: map[string]string{"orders": "o"}}, []string{`targetNames.orders: "o" must be 3 to 255`}},
		{"target name with bad characters", core.RestoreInput{Tables: []string{"orders"}, TargetNames: map[string]string{"orders": "orders:copy"}}, []string{`targetNames.orders: "orders:copy" may contain only`}},
		{"many problems at once", core.RestoreInput{
			Tables: []string{"*", "x"}, PointInTime: "soon", TargetRegion: "mars-1", NameSuffix: "!",
		}, []string{`"*" already means`, `tables[1]: "x"`, "pointInTime: ", "targetRegion: ", "nameSuffix: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var problems core.Problems
			tc.in.Validate(restoreNow, &problems)
			if len(problems) != len(tc.want) {
				t.Fatalf("problems = %q, want %d", problems, len(tc.want))
			}
			all := strings.Join(problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems %q do not say %q", problems, w)
				}
			}
		})
	}
}

func TestProblemsErr(t *testing.T) {
	var none core.Problems
	if err := none.Err("input"); err != nil {
		t.Errorf("no problems: err = %v", err)
	}

	var one core.Problems
	one.Add("tables: %q is listed twice", "orders")
	err := one.Err("input")
	var bad *core.InvalidInput
	if !errors.As(err, &bad) || bad.Field != "input" || bad.Problem != `tables: "orders" is listed twice` {
		t.Fatalf("one problem: err = %#v", err)
	}
	if err.Error() != `invalid input: tables: "orders" is listed twice` {
		t.Errorf("one problem: message %q", err)
	}

	var many core.Problems
	many.Add("first")
	many.AddErr(&core.InvalidInput{Field: "pointInTime", Problem: "is in the future"})
	many.AddErr(errors.New("plain error"))
	err = many.Err("input")
	if !errors.As(err, &bad) || bad.Field != "input" {
		t.Fatalf("many problems: err = %#v", err)
	}
	if want := "invalid input: 3 problems: first; pointInTime: is in the future; plain error"; err.Error() != want {
		t.Errorf("many problems: message %q, want %q", err, want)
	}
}

func TestRestoreInputTargetName(t *testing.T) {
	in := core.RestoreInput{NameSuffix: "-restored", TargetNames: map[string]string{"users": "users-copy"}}
	for table, want := range map[string]string{
		"orders": "orders-restored",
		"users":  "users-copy", // the override wins over the suffix
	} {
		if got := in.TargetName(table); got != want {
			t.Errorf("TargetName(%q) = %q, want %q", table, got, want)
		}
	}
	if got := (core.RestoreInput{}).TargetName("orders"); got != "orders" {
		t.Errorf("without suffix or override: TargetName = %q, want the table's own name", got)
	}
}

func TestRestoreInputApply(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name string
		v    *bool
		want bool
	}{{"absent means true", nil, true}, {"true", &yes, true}, {"false", &no, false}} {
		if got := (core.RestoreInput{ApplySettings: tc.v}).Apply(); got != tc.want {
			t.Errorf("%s: Apply() = %v", tc.name, got)
		}
	}
}

func TestRestoreInputDecodesStrictly(t *testing.T) {
	var in core.RestoreInput
	err := core.DecodeStrict([]byte(`{"tables":["orders"],"pointInTme":"2026-11-23T10:00:00Z"}`), &in)
	var bad *core.InvalidInput
	if !errors.As(err, &bad) || bad.Field != "pointInTme" || !strings.Contains(bad.Problem, "pointInTime") {
		t.Errorf("misspelt field: err = %v, want InvalidInput naming it and listing pointInTime", err)
	}
	err = core.DecodeStrict([]byte(`{"tables":"orders"}`), &in)
	if !errors.As(err, &bad) || bad.Field != "tables" {
		t.Errorf("wrong type: err = %v, want InvalidInput for tables", err)
	}
	if err := core.DecodeStrict([]byte(`{"tables":["orders"],"applySettings":false}`), &in); err != nil || in.Apply() {
		t.Errorf("applySettings false: err %v, Apply() %v", err, in.Apply())
	}
}
