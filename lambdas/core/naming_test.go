package core_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"Orders_2024-01.v2", true},
		{strings.Repeat("a", 255), true},
		{"ab", false},
		{strings.Repeat("a", 256), false},
		{"", false},
		{"has space", false},
		{"slash/name", false},
		{"ünïcode", false},
	}
	for _, tc := range tests {
		t.Run(tc.name[:min(len(tc.name), 20)], func(t *testing.T) {
			err := core.ValidateName("table", tc.name)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			}
			var invalid *core.InvalidInput
			if err != nil && (!errors.As(err, &invalid) || invalid.Field != "table") {
				t.Errorf("err = %#v, want InvalidInput for table", err)
			}
		})
	}
}

// TestTempTableNameNoCollisions is invariant 5: temporary names are valid,
// at most 255 characters, never a source table's own name, and distinct for
// distinct sources, even when long names are truncated.
func TestTempTableNameNoCollisions(t *testing.T) {
	long := strings.Repeat("a", 230)
	sources := []string{
		"abc",
		"orders",
		"Orders",
		"orders.v2",
		strings.Repeat("x", 200),
		strings.Repeat("x", 230),
		strings.Repeat("x", 231),
		strings.Repeat("z", 255),
		long + strings.Repeat("b", 25), // 255 characters sharing a 230-character prefix
		long + strings.Repeat("c", 25),
		long + strings.Repeat("b", 24) + "c",
		long + strings.Repeat("b", 24),            // 254 characters, a prefix of the first
		core.TempTableName("us-east-1", "orders"), // a source that looks like a temporary name
	}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	seen := map[string]string{}
	for _, region := range regions {
		for i, source := range sources {
			temp := core.TempTableName(region, source)
			where := fmt.Sprintf("%s, source %d (%d characters)", region, i, len(source))
			if len(temp) > core.MaxNameLen {
				t.Errorf("%s: temporary name has %d characters", where, len(temp))
			}
			if err := core.ValidateName("table", temp); err != nil {
				t.Errorf("%s: %v", where, err)
			}
			if temp == source {
				t.Errorf("%s: temporary name equals the source name", where)
			}
			if !core.IsTempTableName(temp) {
				t.Errorf("%s: IsTempTableName(%q) = false", where, temp)
			}
			if temp != core.TempTableName(region, source) {
				t.Errorf("%s: not deterministic", where)
			}
			key := region + "\x00" + source
			if prev, ok := seen[temp]; ok {
				t.Errorf("collision: %q and %q both get %q", prev, key, temp)
			}
			seen[temp] = key
		}
	}
}

func TestIsTempTableName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{core.TempTableName("us-east-1", "orders"), true},
		{"xrb-tmp.0123456789abcdef.x", true},
		{"orders", false},
		{"xrb-tmp.", false},
		{"xrb-tmp.0123456789abcdef", false},
		{"xrb-tmp.0123456789abcdef.", false},
		{"xrb-tmp.0123456789ABCDEF.x", false},
		{"xrb-tmp.0123456789abcdeg.x", false},
		{"xrb-tmp.0123456789abcde.xy", false},
		{"xrb-tmp-0123456789abcdef.x", false},
		{"XRB-TMP.0123456789abcdef.x", false},
		{"my-xrb-tmp.0123456789abcdef.x", false},
	}
	for _, tc := range tests {
		if got := core.IsTempTableName(tc.name); got != tc.want {
			t.Errorf("IsTempTableName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBackupNameEveryLength: for every valid table name length, the backup
// name is valid and parses back to its timestamp and run hash.
func TestBackupNameEveryLength(t *testing.T) {
	started := time.Date(2025, 3, 9, 23, 59, 58, 999_000_000, time.FixedZone("UTC-5", -5*3600))
	wantTS := time.Date(2025, 3, 10, 4, 59, 58, 0, time.UTC)
	runHash := ""
	seen := map[string]int{}
	for n := core.MinNameLen; n <= core.MaxNameLen; n++ {
		table := strings.Repeat("t", n)
		name := core.BackupName(table, "run-1", started)
		if len(name) > core.MaxNameLen {
			t.Fatalf("length %d: backup name has %d characters", n, len(name))
		}
		if err := core.ValidateName("backup", name); err != nil {
			t.Fatalf("length %d: %v", n, err)
		}
		if !core.IsOwnedBackupName(name) {
			t.Fatalf("length %d: %q not recognised as the tool's", n, name)
		}
		p, ok := core.ParseBackupName(name)
		if !ok || !p.Timestamp.Equal(wantTS) || p.Timestamp.Location() != time.UTC || len(p.RunHash) != 6 {
			t.Fatalf("length %d: ParseBackupName(%q) = %+v, %v", n, name, p, ok)
		}
		if runHash == "" {
			runHash = p.RunHash
		} else if p.RunHash != runHash {
			t.Fatalf("length %d: run hash %s differs from %s", n, p.RunHash, runHash)
		}
		// "xrb." + timestamp + "." + run hash + "." is 28 characters; longer
		// tables are cut and end in "." and a 12-digit hash.
		if n <= core.MaxNameLen-28 && p.Table != table {
			t.Errorf("length %d: table part %q, want the whole table", n, p.Table)
		}
		if n > core.MaxNameLen-28 && (len(name) != core.MaxNameLen || !strings.HasPrefix(p.Table, table[:core.MaxNameLen-28-13]) || p.Table[len(p.Table)-13] != '.') {
			t.Errorf("length %d: table part %q, want a cut table and a hash", n, p.Table)
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("lengths %d and %d give the same name", prev, n)
		}
		seen[name] = n
	}
	short := core.BackupName("orders", "run-1", started)
	if p, _ := core.ParseBackupName(short); p.Table != "orders" {
		t.Errorf("short name keeps the table: %+v", p)
	}
}

func TestBackupNameDistinguishesRunsAndLongTables(t *testing.T) {
	started := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	a := strings.Repeat("a", 240) + "-one"
	b := strings.Repeat("a", 240) + "-two"
	names := map[string]bool{
		core.BackupName("orders", "run-1", started):                  true,
		core.BackupName("orders", "run-2", started):                  true,
		core.BackupName("orders", "run-1", started.Add(time.Second)): true,
		core.BackupName(a, "run-1", started):                         true,
		core.BackupName(b, "run-1", started):                         true,
	}
	if len(names) != 5 {
		t.Errorf("names collide: %v", names)
	}
	p1, _ := core.ParseBackupName(core.BackupName("orders", "run-1", started))
	p2, _ := core.ParseBackupName(core.BackupName("orders", "run-2", started))
	if p1.RunHash == p2.RunHash {
		t.Error("different runs share a run hash")
	}
}

func TestParseBackupNameRefusesLookalikes(t *testing.T) {
	for _, name := range []string{
		"",
		"orders-backup",
		"xrb.",
		"xrb.notatimestamp.abcdef.orders",
		"xrb.20250601T120000Z",
		"xrb.20250601T120000Z.abcdef",
		"xrb.20250601T120000Z.abcdef.",
		"xrb.20250601T120000Z.ABCDEF.orders",
		"xrb.20250601T120000Z.abcdeg.orders",
		"xrb.20250601T120000Z.abcde.orders",
		"xrb.20250601T120000Z-abcdef.orders",
		"xrb.20251301T120000Z.abcdef.orders",
		"xrb.2025-06-01T12:00:00Z.abcdef.orders",
		"xrb.20250601T120000.abcdef.orders",
		"XRB.20250601T120000Z.abcdef.orders",
		"xrb-tmp.0123456789abcdef.orders",
		"nightly.xrb.20250601T120000Z.abcdef.orders",
	} {
		if p, ok := core.ParseBackupName(name); ok || core.IsOwnedBackupName(name) {
			t.Errorf("ParseBackupName(%q) = %+v, ok; want not the tool's", name, p)
		}
	}
}

func TestArnParts(t *testing.T) {
	arn := "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01748779200000-abcd1234"
	if got := core.BackupID(arn); got != "01748779200000-abcd1234" {
		t.Errorf("BackupID = %q", got)
	}
	if got := core.BackupID("arn:aws:dynamodb:eu-west-1:123456789012:table/orders"); got != "" {
		t.Errorf("BackupID of a table ARN = %q", got)
	}
	if got := core.RegionOfArn(arn); got != "eu-west-1" {
		t.Errorf("RegionOfArn = %q", got)
	}
	for _, notArn := range []string{"", "alias/key", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms"} {
		if got := core.RegionOfArn(notArn); got != "" {
			t.Errorf("RegionOfArn(%q) = %q", notArn, got)
		}
	}
}
