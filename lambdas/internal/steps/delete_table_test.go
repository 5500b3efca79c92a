package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

const (
	src  = "us-east-1"
	dst  = "eu-west-1"
	dst2 = "ap-southeast-2"
	run1 = "run-1"
	run2 = "run-2"
)

func sourceBackupArn(table, id string) string {
	return "arn:aws:dynamodb:" + src + ":" + account + ":table/" + table + "/backup/" + id
}

// ownedTemp is the temporary table that run restored from backupArn: the
// derived name, the owner tags and the RestoreSummary all agree.
func ownedTemp(sourceTable, backupArn, runID string) (core.Table, map[string]string) {
	t := core.Table{
		Name:         core.TempTableName(src, sourceTable),
		Status:       core.TableActive,
		Created:      t0.Add(-time.Hour),
		RestoredFrom: backupArn,
	}
	return t, core.OwnerTags(runID, t0.Add(-time.Hour), src, sourceTable, backupArn)
}

// restoreArn is the source backup of "orders" that the tests restore.
var restoreArn = sourceBackupArn("orders", "01748779200000-aaaaaaaa")

// cloudWithOwnedTemp returns a fresh cloud whose destination region holds
// ownedTemp("orders", restoreArn, run1), and that table.
func cloudWithOwnedTemp() (*fakeCloud, *fakeDB, core.Table) {
	cloud := newCloud()
	db := cloud.db(dst)
	table, tags := ownedTemp("orders", restoreArn, run1)
	db.addTable(table, tags)
	return cloud, db, table
}

// notOwnedTables are tables the tool must never delete, each with the
// ownership mark it lacks.
func notOwnedTables() []struct {
	name  string
	table core.Table
	tags  map[string]string
} {
	type tc = struct {
		name  string
		table core.Table
		tags  map[string]string
	}
	var cases []tc
	// Each case has its own source table, so that all of them can live in
	// one region together.
	add := func(name string, mutate func(t *core.Table, tags map[string]string)) {
		source := fmt.Sprintf("orders%02d", len(cases))
		t, tags := ownedTemp(source, sourceBackupArn(source, "01748779200000-aaaaaaaa"), run1)
		mutate(&t, tags)
		cases = append(cases, tc{name, t, tags})
	}
	add("real table with a normal name, even with owner tags", func(t *core.Table, tags map[string]string) {
		t.Name = tags[core.TagSourceTable]
	})
	add("real table with a normal name and no tags", func(t *core.Table, tags map[string]string) {
		t.Name, t.RestoredFrom = tags[core.TagSourceTable], ""
		clear(tags)
	})
	add("temporary prefix but no owner tag, restored from another table's backup", func(t *core.Table, tags map[string]string) {
		delete(tags, core.TagOwner)
		t.RestoredFrom = sourceBackupArn("payments", "01748779200000-aaaaaaaa")
	})
	add("temporary prefix and no tags at all, not restored", func(t *core.Table, tags map[string]string) {
		clear(tags)
		t.RestoredFrom = ""
	})
	add("temporary prefix and no tags, restored from the source in another region", func(t *core.Table, tags map[string]string) {
		clear(tags)
		t.RestoredFrom = "arn:aws:dynamodb:us-west-2:" + account + ":table/" + tags[core.TagSourceTable] + "/backup/01748779200000-aaaaaaaa"
	})
	add("owner tag with another owner's value", func(t *core.Table, tags map[string]string) {
		tags[core.TagOwner] = "someone-else"
	})
	add("temporary prefix without the hex hash", func(t *core.Table, tags map[string]string) {
		t.Name = core.TempPrefix + "not-a-hash-at-all." + tags[core.TagSourceTable]
	})
	add("owner tag but name not derived from the source-table tag", func(t *core.Table, tags map[string]string) {
		tags[core.TagSourceTable] = "payments"
	})
	add("owner tag but name not derived from the source-region tag", func(t *core.Table, tags map[string]string) {
		tags[core.TagSourceRegion] = "us-west-2"
	})
	add("owner tag but no source tags", func(t *core.Table, tags map[string]string) {
		delete(tags, core.TagSourceTable)
		delete(tags, core.TagSourceRegion)
	})
	add("RestoreSummary names another backup than the tag records", func(t *core.Table, tags map[string]string) {
		t.RestoredFrom = sourceBackupArn(tags[core.TagSourceTable], "01748779299999-bbbbbbbb")
	})
	add("RestoreSummary present but no source-backup tag", func(t *core.Table, tags map[string]string) {
		delete(tags, core.TagSourceBackup)
	})
	return cases
}

func TestDeleteTableRefusesTablesItDidNotCreate(t *testing.T) {
	for _, tc := range notOwnedTables() {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			db.addTable(tc.table, tc.tags)
			h := &DeleteTable{Clients: clients[TableDeleter](cloud)}

			out, err := h.Handle(context.Background(), DeleteTableInput{Region: dst, Table: tc.table.Name})

			var notOwned *core.TableNotOwned
			if !errors.As(err, &notOwned) {
				t.Fatalf("err = %v, want TableNotOwned", err)
			}
			if notOwned.Table != tc.table.Name || notOwned.Region != dst || notOwned.Reason == "" {
				t.Errorf("TableNotOwned = %+v, want table, region and reason", notOwned)
			}
			if n := db.count("DeleteTable"); n != 0 {
				t.Errorf("DeleteTable called %d times on a table the tool does not own", n)
			}
			if !db.hasTable(tc.table.Name) || out.Deleted {
				t.Errorf("table deleted: out = %+v", out)
			}
		})
	}
}

func TestDeleteTableRefusesWrongExpectedBackup(t *testing.T) {
	tests := []struct {
		name      string
		expected  string
		wantError bool
	}{
		{"the backup it was restored from", restoreArn, false},
		{"another backup of the same table", sourceBackupArn("orders", "01748779299999-bbbbbbbb"), true},
		{"a backup of another table", sourceBackupArn("payments", "01748779299999-cccccccc"), true},
		{"not a backup ARN", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", true},
		{"no expectation", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud, db, table := cloudWithOwnedTemp()
			h := &DeleteTable{Clients: clients[TableDeleter](cloud)}

			out, err := h.Handle(context.Background(), DeleteTableInput{Region: dst, Table: table.Name, BackupArn: tc.expected})

			if !tc.wantError {
				if err != nil || !out.Deleted || db.hasTable(table.Name) {
					t.Fatalf("out = %+v, err = %v; want the owned table deleted", out, err)
				}
				return
			}
			var notOwned *core.TableNotOwned
			var invalid *core.InvalidInput
			if !errors.As(err, &notOwned) && !errors.As(err, &invalid) {
				t.Fatalf("err = %v, want TableNotOwned or InvalidInput", err)
			}
			if n := db.count("DeleteTable"); n != 0 || !db.hasTable(table.Name) {
				t.Errorf("DeleteTable called %d times; table left: %v", n, db.hasTable(table.Name))
			}
		})
	}
}

func TestDeleteTableDeletesOwnedTable(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(db *fakeDB, table core.Table, tags map[string]string)
		dryRun      bool
		wantDeleted bool
		wantGone    bool
		wantCalls   int // DeleteTable calls
	}{
		{
			name:        "owned and active",
			setup:       func(db *fakeDB, table core.Table, tags map[string]string) { db.addTable(table, tags) },
			wantDeleted: true, wantCalls: 1,
		},
		{
			name: "owned, restored before tags applied by a tool run, without RestoreSummary",
			setup: func(db *fakeDB, table core.Table, tags map[string]string) {
				table.RestoredFrom = ""
				db.addTable(table, tags)
			},
			wantDeleted: true, wantCalls: 1,
		},
		{
			name:     "already gone",
			setup:    func(db *fakeDB, table core.Table, tags map[string]string) {},
			wantGone: true,
		},
		{
			name: "already deleting",
			setup: func(db *fakeDB, table core.Table, tags map[string]string) {
				table.Status = core.TableDeleting
				db.addTable(table, tags)
			},
			wantGone: true,
		},
		{
			name: "gone between describe and delete",
			setup: func(db *fakeDB, table core.Table, tags map[string]string) {
				db.addTable(table, tags)
				db.fail["DeleteTable"] = &core.TableNotFound{Table: table.Name, Region: dst}
			},
			wantGone: true, wantCalls: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			table, tags := ownedTemp("orders", restoreArn, run1)
			tc.setup(db, table, tags)
			h := &DeleteTable{Clients: clients[TableDeleter](cloud)}

			out, err := h.Handle(context.Background(), DeleteTableInput{Region: dst, Table: table.Name, BackupArn: restoreArn})

			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if out.Deleted != tc.wantDeleted || out.AlreadyGone != tc.wantGone || out.Table != table.Name {
				t.Errorf("out = %+v, want deleted=%v alreadyGone=%v", out, tc.wantDeleted, tc.wantGone)
			}
			if n := db.count("DeleteTable"); n != tc.wantCalls {
				t.Errorf("DeleteTable called %d times, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestDeleteTableErrors(t *testing.T) {
	table, _ := ownedTemp("orders", restoreArn, run1)
	tests := []struct {
		name    string
		in      DeleteTableInput
		fail    map[string]error
		wantErr any
		deletes int
	}{
		{"bad region", DeleteTableInput{Region: "mars-1", Table: table.Name}, nil, new(*core.InvalidInput), 0},
		{"bad table name", DeleteTableInput{Region: dst, Table: "a b"}, nil, new(*core.InvalidInput), 0},
		{"backup still being created", DeleteTableInput{Region: dst, Table: table.Name}, map[string]error{"DeleteTable": &core.ResourceBusy{Operation: "DeleteTable"}}, new(*core.ResourceBusy), 1},
		{"tags unreadable", DeleteTableInput{Region: dst, Table: table.Name}, map[string]error{"ListTags": &core.Throttled{Operation: "ListTagsOfResource"}}, new(*core.Throttled), 0},
		{"describe throttled", DeleteTableInput{Region: dst, Table: table.Name}, map[string]error{"DescribeTable": &core.Throttled{Operation: "DescribeTable"}}, new(*core.Throttled), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud, db, _ := cloudWithOwnedTemp()
			maps.Copy(db.fail, tc.fail)
			h := &DeleteTable{Clients: clients[TableDeleter](cloud)}

			_, err := h.Handle(context.Background(), tc.in)

			checkErr(t, err, tc.wantErr)
			if n := db.count("DeleteTable"); n != tc.deletes {
				t.Errorf("DeleteTable called %d times, want %d", n, tc.deletes)
			}
		})
	}
}

// TestDeleteTableBySourceTable covers the clean-up path, which names the
// source table rather than the temporary one.
func TestDeleteTableBySourceTable(t *testing.T) {
	tests := []struct {
		name        string
		in          DeleteTableInput
		wantDeleted bool
		wantErr     any
	}{
		{"owned temporary table", DeleteTableInput{Region: dst, SourceRegion: src, SourceTable: "orders", BackupArn: restoreArn}, true, nil},
		{"another source region's temporary name", DeleteTableInput{Region: dst, SourceRegion: "us-west-2", SourceTable: "orders"}, false, nil},
		{"missing source region", DeleteTableInput{Region: dst, SourceTable: "orders"}, false, new(*core.InvalidInput)},
		{"neither table nor source table", DeleteTableInput{Region: dst}, false, new(*core.InvalidInput)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud, db, table := cloudWithOwnedTemp()
			// The real table of the same name is never the target.
			db.addTable(core.Table{Name: "orders"}, nil)
			h := &DeleteTable{Clients: clients[TableDeleter](cloud)}

			out, err := h.Handle(context.Background(), tc.in)

			checkErr(t, err, tc.wantErr)
			if out.Deleted != tc.wantDeleted || db.hasTable(table.Name) == tc.wantDeleted || !db.hasTable("orders") {
				t.Errorf("out = %+v; temporary left %v, real left %v", out, db.hasTable(table.Name), db.hasTable("orders"))
			}
			if n := db.count("DeleteTable orders"); n != 0 {
				t.Errorf("DeleteTable called on the real table")
			}
		})
	}
}

// TestDeleteTableAdoptsItsUntaggedTemporaryTable: a temporary table is
// untagged until its poll sees it ACTIVE (and for good if the run died
// before that); only its name and restore summary mark it as the tool's.
// The clean-up of the backup it was restored from deletes it at once,
// without tagging it (DeleteTable is allowed on the name prefix, and a tag
// just written may not show yet), whether ACTIVE or still CREATING (whose
// tags DynamoDB does not even answer for).
func TestDeleteTableAdoptsItsUntaggedTemporaryTable(t *testing.T) {
	for _, status := range []string{core.TableActive, core.TableCreating} {
		t.Run(status, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			table, _ := ownedTemp("orders", restoreArn, run1)
			table.Status = status
			db.addTable(table, nil)
			h := &DeleteTable{Clients: clients[TableDeleter](cloud)}
			in := DeleteTableInput{Region: dst, Table: table.Name, BackupArn: restoreArn}

			out, err := h.Handle(context.Background(), in)

			if err != nil || !out.Deleted || db.hasTable(table.Name) {
				t.Fatalf("out = %+v, err = %v; want deleted", out, err)
			}
			if n := db.count("TagTable"); n != 0 {
				t.Errorf("TagTable called %d times", n)
			}

			// Another backup's clean-up never adopts it.
			cloud = newCloud()
			db = cloud.db(dst)
			db.addTable(table, nil)
			in.BackupArn = sourceBackupArn("orders", "01748779299999-bbbbbbbb")
			_, err = (&DeleteTable{Clients: clients[TableDeleter](cloud)}).Handle(context.Background(), in)
			if !errors.As(err, new(*core.TableNotOwned)) || db.count("DeleteTable") != 0 {
				t.Errorf("clean-up for another backup: err = %v, %d DeleteTable calls; want TableNotOwned and no delete", err, db.count("DeleteTable"))
			}
		})
	}
}
