package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func daysAgo(n int) time.Time { return t0.Add(-time.Duration(n) * 24 * time.Hour) }

// ownedBackup is a backup the tool made of sourceTable, created at created.
func ownedBackup(sourceTable string, created time.Time, status string) core.BackupInfo {
	return core.BackupInfo{
		Name:    core.BackupName(sourceTable, "run-"+created.Format(time.RFC3339), created),
		Type:    core.BackupTypeUser,
		Status:  status,
		Created: created,
	}
}

// foreignBackups are old backups of table that the tool did not make.
func foreignBackups(table string) []core.BackupInfo {
	ancient := daysAgo(400)
	return []core.BackupInfo{
		{Name: "system-restore-point", Type: "SYSTEM", Status: core.BackupStatusAvail, Created: ancient},
		{Name: core.BackupName(table, "r", ancient), Type: "SYSTEM", Status: core.BackupStatusAvail, Created: ancient},
		{Name: "awsbackup-job-1", Type: "AWS_BACKUP", Status: core.BackupStatusAvail, Created: ancient},
		{Name: core.BackupName(table, "r", ancient.Add(time.Hour)), Type: "AWS_BACKUP", Status: core.BackupStatusAvail, Created: ancient},
		{Name: "nightly-" + table, Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: table + "-manual", Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: "xrb.notatimestamp.abcdef." + table, Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: "xrb.20240101T000000Z.ABCDEF." + table, Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: "xrb.20240101T000000Z.abcxyz." + table, Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: "xrb.20240101T000000Z.abcdef", Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: "xrb-20240101T000000Z-abcdef-" + table, Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: "XRB.20240101T000000Z.abcdef." + table, Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
		{Name: core.TempTableName(src, table), Type: core.BackupTypeUser, Status: core.BackupStatusAvail, Created: ancient},
	}
}

func TestPruneBackupsNeverTouchesForeignBackups(t *testing.T) {
	for _, region := range []string{src, dst} {
		t.Run(region, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(region)
			table := "orders"
			if region != src {
				table = core.TempTableName(src, "orders")
			}
			for _, b := range foreignBackups("orders") {
				db.addBackup(table, b)
			}
			h := &PruneBackups{Clients: clients[BackupPruner](cloud), Now: fixedClock(t0)}

			out, err := h.Handle(context.Background(), PruneBackupsInput{Region: region, SourceRegion: src, SourceTable: "orders", RetentionDays: 1, KeepLast: 1})

			if err != nil {
				t.Fatal(err)
			}
			if len(out.Deleted) != 0 || db.count("DeleteBackup") != 0 {
				t.Errorf("deleted %v (%d DeleteBackup calls); want nothing", out.Deleted, db.count("DeleteBackup"))
			}
			if db.count("ListBackups "+table) != 1 {
				t.Errorf("calls = %v, want one ListBackups of %s", db.calls, table)
			}
			if got := len(db.backupNames()); got != len(foreignBackups("orders")) {
				t.Errorf("%d backups left, want %d", got, len(foreignBackups("orders")))
			}
		})
	}
}

func TestPruneBackups(t *testing.T) {
	type set = []core.BackupInfo
	owned := func(days int, status string) core.BackupInfo {
		return ownedBackup("orders", daysAgo(days), status)
	}
	avail, creating := core.BackupStatusAvail, core.BackupStatusCreate
	tests := []struct {
		name          string
		backups       set
		days, keep    int
		dryRun        bool
		wantDeleted   []string
		wantAvailable int
	}{
		{
			name:    "expired beyond keep-last are deleted, foreign ones are not",
			backups: append(set{owned(1, avail), owned(2, avail), owned(10, avail), owned(11, avail), owned(12, avail)}, foreignBackups("orders")...),
			days:    7, keep: 1,
			wantDeleted:   []string{owned(10, avail).Name, owned(11, avail).Name, owned(12, avail).Name},
			wantAvailable: 2,
		},
		{
			name:    "all expired: the newest keep-last stay however old",
			backups: set{owned(100, avail), owned(101, avail), owned(102, avail), owned(103, avail), owned(104, avail)},
			days:    7, keep: 3,
			wantDeleted:   []string{owned(103, avail).Name, owned(104, avail).Name},
			wantAvailable: 3,
		},
		{
			name:    "recent failures do not count toward keep-last",
			backups: set{owned(0, creating), owned(1, "DELETED"), owned(2, creating), owned(30, avail), owned(31, avail), owned(32, avail)},
			days:    7, keep: 2,
			wantDeleted:   []string{owned(32, avail).Name},
			wantAvailable: 2,
		},
		{
			name:    "old CREATING backups are never deleted",
			backups: set{owned(1, avail), owned(50, creating), owned(60, creating)},
			days:    7, keep: 1,
			wantDeleted:   []string{},
			wantAvailable: 1,
		},
		{
			name:    "nothing expired",
			backups: set{owned(1, avail), owned(2, avail), owned(3, avail), owned(4, avail)},
			days:    7, keep: 1,
			wantDeleted:   []string{},
			wantAvailable: 4,
		},
		{
			name:    "dry run reports the same but deletes nothing",
			backups: set{owned(1, avail), owned(10, avail), owned(11, avail)},
			days:    7, keep: 1, dryRun: true,
			wantDeleted:   []string{owned(10, avail).Name, owned(11, avail).Name},
			wantAvailable: 1,
		},
		{
			name:        "no backups",
			days:        7,
			keep:        3,
			wantDeleted: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			for _, b := range tc.backups {
				db.addBackup("orders", b)
			}
			// Another table's expired backups are out of scope.
			db.addBackup("payments", ownedBackup("payments", daysAgo(90), avail))
			h := &PruneBackups{Clients: clients[BackupPruner](cloud), Now: fixedClock(t0)}

			out, err := h.Handle(context.Background(), PruneBackupsInput{
				Region: src, SourceRegion: src, SourceTable: "orders", RetentionDays: tc.days, KeepLast: tc.keep, DryRun: tc.dryRun,
			})

			if err != nil {
				t.Fatal(err)
			}
			got, want := slices.Sorted(slices.Values(out.Deleted)), slices.Sorted(slices.Values(tc.wantDeleted))
			if !slices.Equal(got, want) {
				t.Errorf("Deleted = %v, want %v", got, want)
			}
			if out.Available != tc.wantAvailable || out.DryRun != tc.dryRun || !out.At.Equal(t0) || out.Region != src {
				t.Errorf("out = %+v, want available=%d", out, tc.wantAvailable)
			}
			wantCalls := len(tc.wantDeleted)
			if tc.dryRun {
				wantCalls = 0
			}
			if n := db.count("DeleteBackup"); n != wantCalls {
				t.Errorf("DeleteBackup called %d times, want %d", n, wantCalls)
			}
			left := db.backupNames()
			for _, name := range tc.wantDeleted {
				if slices.Contains(left, name) != tc.dryRun {
					t.Errorf("backup %s left = %v, dry run = %v", name, !tc.dryRun, tc.dryRun)
				}
			}
			if !slices.Contains(left, ownedBackup("payments", daysAgo(90), avail).Name) {
				t.Error("another table's backup was deleted")
			}
		})
	}
}

func TestPruneBackupsOver260Backups(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	temp := core.TempTableName(src, "orders")
	// One backup every 6 hours for 65 days, in scrambled order, plus the
	// foreign ones.
	const n = 260
	for i := range n {
		j := (i * 97) % n // a permutation of 0..259, as 97 and 260 are coprime
		db.addBackup(temp, ownedBackup("orders", t0.Add(-time.Duration(j)*6*time.Hour), core.BackupStatusAvail))
	}
	for _, b := range foreignBackups("orders") {
		db.addBackup(temp, b)
	}
	h := &PruneBackups{Clients: clients[BackupPruner](cloud), Now: fixedClock(t0)}

	out, err := h.Handle(context.Background(), PruneBackupsInput{Region: dst, SourceRegion: src, SourceTable: "orders", RetentionDays: 30, KeepLast: 3})
	if err != nil {
		t.Fatal(err)
	}

	// Backups 0..120 are at most 30 days old (120×6h = 30 days, kept: not
	// before the cutoff); 121..259 are older.
	if len(out.Deleted) != 139 || out.Available != 121 {
		t.Errorf("deleted %d, available %d; want 139 and 121", len(out.Deleted), out.Available)
	}
	if n := db.count("DeleteBackup"); n != 139 {
		t.Errorf("DeleteBackup called %d times, want 139", n)
	}
	cutoff := daysAgo(30)
	for _, name := range out.Deleted {
		p, ok := core.ParseBackupName(name)
		if !ok || !p.Timestamp.Before(cutoff) {
			t.Errorf("deleted %s, which is not an expired tool backup", name)
		}
	}
	if left := len(db.backupNames()); left != 121+len(foreignBackups("orders")) {
		t.Errorf("%d backups left", left)
	}
}

func TestPruneBackupsErrors(t *testing.T) {
	base := PruneBackupsInput{Region: src, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1}
	with := func(f func(in *PruneBackupsInput)) PruneBackupsInput { in := base; f(&in); return in }
	tests := []struct {
		name      string
		in        PruneBackupsInput
		fail      map[string]error
		wantErr   any
		wantCalls int // any call at all
	}{
		{"bad region", with(func(in *PruneBackupsInput) { in.Region = "mars-1" }), nil, new(*core.InvalidInput), 0},
		{"bad source region", with(func(in *PruneBackupsInput) { in.SourceRegion = "" }), nil, new(*core.InvalidInput), 0},
		{"bad table", with(func(in *PruneBackupsInput) { in.SourceTable = "x" }), nil, new(*core.InvalidInput), 0},
		{"zero retention", with(func(in *PruneBackupsInput) { in.RetentionDays = 0 }), nil, new(*core.InvalidInput), 0},
		{"zero keep-last", with(func(in *PruneBackupsInput) { in.KeepLast = 0 }), nil, new(*core.InvalidInput), 0},
		{"list throttled", base, map[string]error{"ListBackups": &core.Throttled{}}, new(*core.Throttled), 1},
		{"delete throttled", base, map[string]error{"DeleteBackup": &core.Throttled{}}, new(*core.Throttled), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(src)
			db.addBackup("orders", ownedBackup("orders", daysAgo(1), core.BackupStatusAvail))
			db.addBackup("orders", ownedBackup("orders", daysAgo(20), core.BackupStatusAvail))
			for op, err := range tc.fail {
				db.fail[op] = err
			}
			h := &PruneBackups{Clients: clients[BackupPruner](cloud), Now: fixedClock(t0)}

			_, err := h.Handle(context.Background(), tc.in)

			checkErr(t, err, tc.wantErr)
			if n := len(cloud.allCalls()); n != tc.wantCalls {
				t.Errorf("%d calls (%v), want %d", n, cloud.allCalls(), tc.wantCalls)
			}
		})
	}
}

func TestPruneBackupsToleratesBackupAlreadyGone(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	db.addBackup("orders", ownedBackup("orders", daysAgo(1), core.BackupStatusAvail))
	old := db.addBackup("orders", ownedBackup("orders", daysAgo(20), core.BackupStatusAvail))
	db.fail["DeleteBackup"] = fmt.Errorf("wrapped: %w", &core.BackupNotFound{BackupArn: old.Arn})
	h := &PruneBackups{Clients: clients[BackupPruner](cloud), Now: fixedClock(t0)}

	out, err := h.Handle(context.Background(), PruneBackupsInput{Region: src, SourceRegion: src, SourceTable: "orders", RetentionDays: 7, KeepLast: 1})

	if err != nil || !slices.Equal(out.Deleted, []string{old.Name}) {
		t.Fatalf("out = %+v, err = %v", out, err)
	}
}

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
