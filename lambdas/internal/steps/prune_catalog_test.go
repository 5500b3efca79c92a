package steps

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// catalogedBackups gives orders three cross-region backups in db, 1, 20
// and 30 days old, each with its catalog entry, and users one old backup.
// It returns the entries of orders, newest first.
func catalogedBackups(db *fakeDB) []core.CatalogEntry {
	var entries []core.CatalogEntry
	for _, days := range []int{1, 20, 30} {
		e := addXRBackup(db, xrBackup{table: "orders", taken: daysAgo(days), catalog: true})
		// Prune goes by the destination backup's own creation time.
		for _, b := range db.backups {
			if b.Arn == e.BackupArn {
				b.Created = daysAgo(days)
			}
		}
		entries = append(entries, e)
	}
	addXRBackup(db, xrBackup{table: "users", taken: daysAgo(90), catalog: true})
	return entries
}

func arns(entries []core.CatalogEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.BackupArn)
	}
	slices.Sort(out)
	return out
}

func prune(cloud *fakeCloud, in PruneBackupsInput) (PruneBackupsOutput, error) {
	h := &PruneBackups{Clients: clients[BackupPruner](cloud), Catalog: clients[CatalogEntryDeleter](cloud), Now: fixedClock(t0)}
	return h.Handle(context.Background(), in)
}

func TestPruneBackupsForgetsDeletedBackups(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	orders := catalogedBackups(db)
	var users core.CatalogEntry
	for _, e := range db.entriesOf(catalogName) {
		if e.SourceTable == "users" {
			users = e
		}
	}

	out, err := prune(cloud, PruneBackupsInput{Region: dst, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1, CatalogTable: catalogName})
	if err != nil {
		t.Fatal(err)
	}

	if !slices.Equal(slices.Sorted(slices.Values(out.Deleted)), []string{orders[2].BackupName, orders[1].BackupName}) {
		t.Errorf("deleted %v, want the 20- and 30-day-old backups", out.Deleted)
	}
	// Exactly the deleted backups' entries are gone; the kept backup's
	// entry and another table's stay.
	left := db.entriesOf(catalogName)
	if want := arns([]core.CatalogEntry{orders[0], users}); !slices.Equal(arns(left), want) {
		t.Errorf("catalog now holds %v, want %v", arns(left), want)
	}
	if n := db.count("DeleteEntry"); n != 2 {
		t.Errorf("DeleteEntry called %d times, want 2", n)
	}
	for _, e := range orders[1:] {
		if n := db.count("DeleteEntry " + catalogName + " orders " + e.BackupArn); n != 1 {
			t.Errorf("entry of %s removed %d times, want once", e.BackupArn, n)
		}
	}
}

func TestPruneBackupsLeavesTheCatalogAlone(t *testing.T) {
	tests := []struct {
		name        string
		region      string
		in          func(in *PruneBackupsInput)
		wantDeleted int // DeleteBackup calls
	}{
		// The source region's backups have no catalog entries, even
		// where a table of the catalog's name exists.
		{"source region", src, func(in *PruneBackupsInput) { in.Region = src }, 2},
		{"dry run", dst, func(in *PruneBackupsInput) { in.DryRun = true }, 0},
		{"no catalog configured", dst, func(in *PruneBackupsInput) { in.CatalogTable = "" }, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(tc.region)
			catalogedBackups(db)
			if tc.region == src {
				// In the source region, the backups are of the table itself.
				for _, b := range db.backups {
					if p, ok := core.ParseBackupName(b.Name); ok {
						b.table = p.Table
					}
				}
			}
			before := db.entriesOf(catalogName)
			in := PruneBackupsInput{Region: dst, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1, CatalogTable: catalogName}
			tc.in(&in)

			out, err := prune(cloud, in)
			if err != nil {
				t.Fatal(err)
			}

			if len(out.Deleted) != 2 {
				t.Errorf("deleted %v, want two backups (or, dry, two reported)", out.Deleted)
			}
			if n := db.count("DeleteBackup"); n != tc.wantDeleted {
				t.Errorf("DeleteBackup called %d times, want %d", n, tc.wantDeleted)
			}
			if n := cloud.totalCalls("DeleteEntry"); n != 0 {
				t.Errorf("DeleteEntry called %d times", n)
			}
			if after := db.entriesOf(catalogName); !slices.Equal(arns(after), arns(before)) {
				t.Errorf("catalog changed from %v to %v", arns(before), arns(after))
			}
		})
	}
	t.Run("no catalog client", func(t *testing.T) {
		cloud := newCloud()
		db := cloud.db(dst)
		catalogedBackups(db)
		h := &PruneBackups{Clients: clients[BackupPruner](cloud), Now: fixedClock(t0)}
		out, err := h.Handle(context.Background(), PruneBackupsInput{Region: dst, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1, CatalogTable: catalogName})
		if err != nil || len(out.Deleted) != 2 || db.count("DeleteEntry") != 0 {
			t.Errorf("out = %+v, %v, calls %v", out, err, db.calls)
		}
	})
}

func TestPruneBackupsCatalogProblems(t *testing.T) {
	t.Run("catalog missing: the backups are still pruned", func(t *testing.T) {
		cloud := newCloud()
		db := cloud.db(dst)
		catalogedBackups(db)
		db.catalogs = map[string]*fakeCatalog{}
		out, err := prune(cloud, PruneBackupsInput{Region: dst, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1, CatalogTable: catalogName})
		if err != nil || len(out.Deleted) != 2 || db.count("DeleteBackup") != 2 {
			t.Errorf("out = %+v, err = %v, calls %v", out, err, db.calls)
		}
	})
	t.Run("backup already gone: its entry is still removed", func(t *testing.T) {
		cloud := newCloud()
		db := cloud.db(dst)
		orders := catalogedBackups(db)
		db.fail["DeleteBackup"] = &core.BackupNotFound{}
		out, err := prune(cloud, PruneBackupsInput{Region: dst, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1, CatalogTable: catalogName})
		if err != nil || len(out.Deleted) != 2 {
			t.Fatalf("out = %+v, err = %v", out, err)
		}
		for _, e := range db.entriesOf(catalogName) {
			if e.BackupArn == orders[1].BackupArn || e.BackupArn == orders[2].BackupArn {
				t.Errorf("entry of a pruned backup left: %s", e.BackupArn)
			}
		}
	})
	t.Run("entry removal fails", func(t *testing.T) {
		cloud := newCloud()
		db := cloud.db(dst)
		catalogedBackups(db)
		db.fail["DeleteEntry"] = &core.Throttled{Operation: "DeleteItem"}
		_, err := prune(cloud, PruneBackupsInput{Region: dst, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1, CatalogTable: catalogName})
		var throttled *core.Throttled
		if !errors.As(err, &throttled) || !strings.Contains(err.Error(), "remove catalog entry") {
			t.Errorf("err = %v, want Throttled, wrapped", err)
		}
	})
}
