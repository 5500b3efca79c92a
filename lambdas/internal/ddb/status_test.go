package ddb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/demo"
)

// The copy status of thousands of tables with 255-character names is read
// back with one paginated Query per source region; catalog entries and
// another source region's status items are not.
func TestCopyStatusRoundTrip(t *testing.T) {
	_, regions, cfg := start(t)
	ctx := context.Background()
	const catalog = core.DefaultCatalogTable
	if err := demo.CreateToolTable(ctx, cfg, dst, catalog); err != nil {
		t.Fatal(err)
	}
	db := regions.For(dst)
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	const n = 3000 // about 1.5 MB: Query returns at most 1 MB a page
	for i := range n {
		s := core.CopyStatus{Table: fmt.Sprintf("%05d%s", i, strings.Repeat("t", 250)), SourceRegion: src, DataTime: at, CurrentAsOf: at,
			Phases: map[core.Phase]core.PhaseHistory{core.PhaseRestore: {Seconds: float64(i), SizeBytes: 1 << 20}}, RunID: "run-1"}
		if err := db.PutCopyStatus(ctx, catalog, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutCopyStatus(ctx, catalog, core.CopyStatus{Table: "00001", SourceRegion: "us-west-2"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutEntry(ctx, catalog, core.CatalogEntry{SourceTable: "orders", SourceRegion: src, BackupArn: "arn:b", BackupCreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	var got []core.CopyStatus
	if err := db.CopyStatuses(ctx, catalog, src, func(s core.CopyStatus) error { got = append(got, s); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("read %d status items, want %d", len(got), n)
	}
	if s := got[1234]; !strings.HasPrefix(s.Table, "01234") || s.Phases[core.PhaseRestore].Seconds != 1234 || !s.DataTime.Equal(at) {
		t.Errorf("item 1234 = %+v", s)
	}
}

// A skip confirms a copy's status only while the catalog still describes
// that copy: a newer copy's status, written since, is not overwritten.
func TestConfirmCopyStatus(t *testing.T) {
	_, regions, cfg := start(t)
	ctx := context.Background()
	const catalog = core.DefaultCatalogTable
	if err := demo.CreateToolTable(ctx, cfg, dst, catalog); err != nil {
		t.Fatal(err)
	}
	db := regions.For(dst)
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	old := core.CopyStatus{Table: "orders", SourceRegion: src, DataTime: at, CurrentAsOf: at, CopySeconds: 60}
	if err := db.PutCopyStatus(ctx, catalog, old); err != nil {
		t.Fatal(err)
	}
	read := func() core.CopyStatus {
		t.Helper()
		var got core.CopyStatus
		if err := db.CopyStatuses(ctx, catalog, src, func(s core.CopyStatus) error { got = s; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	confirmed := old
	confirmed.CurrentAsOf = at.Add(time.Hour)
	if wrote, err := db.ConfirmCopyStatus(ctx, catalog, confirmed); err != nil || !wrote {
		t.Fatalf("confirm: wrote %v, %v", wrote, err)
	}
	if got := read(); !got.CurrentAsOf.Equal(confirmed.CurrentAsOf) || got.CopySeconds != 60 {
		t.Errorf("after the confirmation: %+v", got)
	}
	newer := core.CopyStatus{Table: "orders", SourceRegion: src, DataTime: at.Add(90 * time.Minute), CurrentAsOf: at.Add(90 * time.Minute)}
	if err := db.PutCopyStatus(ctx, catalog, newer); err != nil {
		t.Fatal(err)
	}
	late := old
	late.CurrentAsOf = at.Add(2 * time.Hour)
	if wrote, err := db.ConfirmCopyStatus(ctx, catalog, late); err != nil || wrote {
		t.Fatalf("a late confirmation of the older copy: wrote %v, %v; want not written", wrote, err)
	}
	if got := read(); !got.DataTime.Equal(newer.DataTime) {
		t.Errorf("the newer copy's status was overwritten: %+v", got)
	}
}
