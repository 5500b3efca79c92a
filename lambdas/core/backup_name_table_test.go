package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// tablePartLen is the room a backup name leaves for its table part:
// "xrb." + timestamp + "." + run hash + "." is 28 characters.
const tablePartLen = core.MaxNameLen - 28

func TestBackupNameTableEveryLength(t *testing.T) {
	started := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	seen := map[string]int{}
	for n := core.MinNameLen; n <= core.MaxNameLen; n++ {
		table := strings.Repeat("t", n-1) + "u"
		part := core.BackupNameTable(table)
		shortened := core.IsShortenedTable(part)
		if n <= tablePartLen {
			if part != table || shortened {
				t.Errorf("length %d: table part %q (shortened %v), want the table itself", n, part, shortened)
			}
		} else {
			if len(part) != tablePartLen || !shortened || !strings.HasPrefix(table, part[:tablePartLen-13]) {
				t.Errorf("length %d: table part %q (%d characters, shortened %v), want a %d-character cut with a hash", n, part, len(part), shortened, tablePartLen)
			}
		}
		if core.BackupNameTable(table) != part {
			t.Errorf("length %d: BackupNameTable is not deterministic", n)
		}
		// BackupName carries exactly this part, so a backup found by
		// name is matched to the table it was named after.
		name := core.BackupName(table, "run-1", started)
		p, ok := core.ParseBackupName(name)
		if !ok || p.Table != part || !strings.HasSuffix(name, "."+part) {
			t.Errorf("length %d: BackupName %q parses to table %q, want %q", n, name, p.Table, part)
		}
		if prev, dup := seen[part]; dup {
			t.Errorf("lengths %d and %d share the table part %q", prev, n, part)
		}
		seen[part] = n
	}
}

func TestBackupNameTableLongNamesStayDistinct(t *testing.T) {
	prefix := strings.Repeat("p", 240)
	a, b := prefix+"-orders-2024", prefix+"-orders-2025"
	pa, pb := core.BackupNameTable(a), core.BackupNameTable(b)
	if pa == pb {
		t.Errorf("%d-character names sharing %d characters share the table part %q", len(a), len(prefix), pa)
	}
	if !core.IsShortenedTable(pa) || !core.IsShortenedTable(pb) {
		t.Error("long table parts are not reported as shortened")
	}
}

func TestIsShortenedTable(t *testing.T) {
	cut := core.BackupNameTable(strings.Repeat("z", 255))
	tests := []struct {
		part string
		want bool
	}{
		{cut, true},
		{"orders", false},
		{strings.Repeat("z", tablePartLen), false},                           // right length, no hash
		{cut[:len(cut)-1], false},                                            // one short
		{cut + "0", false},                                                   // one long
		{cut[:len(cut)-13] + "-" + cut[len(cut)-12:], false},                 // no dot before the hash
		{cut[:len(cut)-12] + strings.ToUpper(cut[len(cut)-12:]) + "", false}, // upper-case hex
		{cut[:len(cut)-12] + "0123456789ag", false},                          // not hex
	}
	for _, tc := range tests {
		if got := core.IsShortenedTable(tc.part); got != tc.want {
			t.Errorf("IsShortenedTable(%q) = %v, want %v", tc.part, got, tc.want)
		}
	}
}
