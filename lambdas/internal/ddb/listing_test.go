package ddb_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// ListTablesPage reads one page of at most 100 names at a time, from any
// name on: a listing that stopped in the middle of a page resumes exactly
// after the last table it handled.
func TestListTablesPageResumesAfterAnyName(t *testing.T) {
	_, regions, cfg := start(t)
	var all []string
	for i := range 260 {
		name := fmt.Sprintf("table-%03d", i)
		createTable(t, cfg, src, name)
		all = append(all, name)
	}
	createTable(t, cfg, dst, "elsewhere")
	db := regions.For(src)
	ctx := context.Background()

	tests := []struct {
		after     string
		wantFirst int // index in all
		wantN     int
		wantMore  bool
	}{
		{"", 0, 100, true},
		{"table-099", 100, 100, true},
		{"table-142", 143, 100, true}, // mid-page
		{"table-199", 200, 60, false},
		{"table-259", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.after, func(t *testing.T) {
			names, last, err := db.ListTablesPage(ctx, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			if want := all[tc.wantFirst : tc.wantFirst+tc.wantN]; !slices.Equal(names, want) {
				t.Errorf("page after %q: %d names from %q, want %d from %q", tc.after, len(names), names[:min(1, len(names))], len(want), want[:min(1, len(want))])
			}
			if (last != "") != tc.wantMore || tc.wantMore && last != names[len(names)-1] {
				t.Errorf("last = %q, want more: %v", last, tc.wantMore)
			}
		})
	}
}
