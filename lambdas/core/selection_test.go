package core_test

import (
	"reflect"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestTableFilterMatchName(t *testing.T) {
	tests := []struct {
		name    string
		filter  core.TableFilter
		matches []string
		misses  []string
	}{
		{
			name:    "everything but temporary tables",
			filter:  core.TableFilter{Include: []string{"*"}},
			matches: []string{"orders", "a.b-c_d", "xrb-tmp-not-ours"},
			misses:  []string{core.TempTableName("us-east-1", "orders"), core.TempTableName("eu-west-1", "x")},
		},
		{
			name:    "include and exclude",
			filter:  core.TableFilter{Include: []string{"orders*", "users"}, Exclude: []string{"*-test", "orders-archive"}},
			matches: []string{"orders", "orders-2024", "users"},
			misses:  []string{"orders-test", "orders-archive", "users2", "payments"},
		},
		{
			name:    "character classes",
			filter:  core.TableFilter{Include: []string{"t[0-4]?"}},
			matches: []string{"t01", "t4x"},
			misses:  []string{"t5x", "t0", "t012"},
		},
		{
			name:   "no include matches nothing",
			filter: core.TableFilter{},
			misses: []string{"orders"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range tc.matches {
				if !tc.filter.MatchName(n) {
					t.Errorf("MatchName(%q) = false", n)
				}
			}
			for _, n := range tc.misses {
				if tc.filter.MatchName(n) {
					t.Errorf("MatchName(%q) = true", n)
				}
			}
		})
	}
}

func TestTableFilterMatchTags(t *testing.T) {
	tests := []struct {
		name   string
		filter map[string]string
		tags   map[string]string
		want   bool
	}{
		{"no filter", nil, nil, true},
		{"exact value", map[string]string{"env": "prod"}, map[string]string{"env": "prod", "team": "a"}, true},
		{"other value", map[string]string{"env": "prod"}, map[string]string{"env": "dev"}, false},
		{"missing key", map[string]string{"env": "prod"}, map[string]string{"team": "a"}, false},
		{"any value", map[string]string{"env": "*"}, map[string]string{"env": "dev"}, true},
		{"any value needs the key", map[string]string{"env": "*"}, nil, false},
		{"all keys", map[string]string{"env": "prod", "backup": "true"}, map[string]string{"env": "prod"}, false},
		{"empty value", map[string]string{"backup": ""}, map[string]string{"backup": ""}, true},
		{"value is case-sensitive", map[string]string{"env": "prod"}, map[string]string{"env": "Prod"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := core.TableFilter{Include: []string{"*"}, Tags: tc.filter}
			if f.NeedsTags() != (len(tc.filter) > 0) {
				t.Errorf("NeedsTags = %v", f.NeedsTags())
			}
			if got := f.MatchTags(tc.tags); got != tc.want {
				t.Errorf("MatchTags(%v) = %v, want %v", tc.tags, got, tc.want)
			}
		})
	}
}

func TestFilterFromSettings(t *testing.T) {
	s := core.Settings{Include: []string{"a*"}, Exclude: []string{"ab"}, TagFilter: map[string]string{"k": "v"}}
	want := core.TableFilter{Include: s.Include, Exclude: s.Exclude, Tags: s.TagFilter}
	if got := core.FilterFromSettings(s); !reflect.DeepEqual(got, want) {
		t.Errorf("FilterFromSettings = %+v", got)
	}
}

func TestContractErrorsAreDistinctPointerTypes(t *testing.T) {
	seen := map[string]bool{}
	for _, err := range core.ContractErrors() {
		typ := reflect.TypeOf(err)
		if typ.Kind() != reflect.Pointer || typ.Elem().Kind() != reflect.Struct {
			t.Errorf("%T: contract errors are pointers to structs", err)
			continue
		}
		name := typ.Elem().Name()
		if seen[name] {
			t.Errorf("%s listed twice", name)
		}
		seen[name] = true
		if err.Error() == "" {
			t.Errorf("%s has an empty message", name)
		}
	}
}
