package core_test

import (
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestChooseBackup(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 6, 1, h, 0, 0, 0, time.UTC) }
	entry := func(arn string, h int) core.CatalogEntry {
		return core.CatalogEntry{SourceTable: "orders", BackupArn: arn, BackupCreatedAt: at(h)}
	}
	// Deliberately out of order.
	entries := []core.CatalogEntry{entry("b10", 10), entry("b08", 8), entry("b12", 12), entry("b09", 9)}
	tests := []struct {
		name   string
		pit    time.Time
		want   string
		wantOK bool
	}{
		{"zero time: the newest", time.Time{}, "b12", true},
		{"after every backup: the newest", at(23), "b12", true},
		{"between two: the older", at(11), "b10", true},
		{"exactly at a backup: that backup", at(10), "b10", true},
		{"one nanosecond before a backup: the one before", at(10).Add(-time.Nanosecond), "b09", true},
		{"exactly at the oldest", at(8), "b08", true},
		{"before the oldest: none", at(7), "", false},
		{"same instant in another zone", at(10).In(time.FixedZone("UTC+2", 2*3600)), "b10", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := core.ChooseBackup(entries, tc.pit)
			if ok != tc.wantOK || got.BackupArn != tc.want {
				t.Errorf("ChooseBackup(%v) = %q, %v; want %q, %v", tc.pit, got.BackupArn, ok, tc.want, tc.wantOK)
			}
		})
	}
	for _, pit := range []time.Time{{}, at(12)} {
		if got, ok := core.ChooseBackup(nil, pit); ok || got.BackupArn != "" {
			t.Errorf("no entries, %v: got %+v, %v", pit, got, ok)
		}
	}
}

// The partition keys of entries, new and legacy, and of status items never
// meet: table and region names contain no '#', and "status" is not a region.
func TestCatalogPK(t *testing.T) {
	if got := core.CatalogPK("us-east-1", "orders"); got != "us-east-1#orders" {
		t.Errorf("CatalogPK = %q", got)
	}
	for pk, entry := range map[string]bool{
		core.CatalogPK("us-east-1", "orders"):  true,
		"orders":                               true, // a legacy entry's
		core.CatalogStatusPrefix + "us-east-1": false,
	} {
		if got := core.IsCatalogEntryPK(pk); got != entry {
			t.Errorf("IsCatalogEntryPK(%q) = %v, want %v", pk, got, entry)
		}
	}
}
