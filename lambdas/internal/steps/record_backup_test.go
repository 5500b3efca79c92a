package steps

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func recordInput(db *fakeDB) RecordBackupInput {
	e := addXRBackup(db, xrBackup{table: "orders", taken: hoursAgo(1)})
	e.RecordedAt = hoursAgo(50) // set by the step
	e.Manifest.Tags = map[string]string{"team": "payments"}
	return RecordBackupInput{Region: dst, CatalogTable: catalogName, CatalogEntry: e}
}

func TestRecordBackup(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(dst)
	db.addCatalog(catalogName)
	in := recordInput(db)
	h := &RecordBackup{Clients: clients[CatalogWriter](cloud), Now: fixedClock(t0)}

	out, err := h.Handle(context.Background(), in)
	if err != nil || !out.Recorded {
		t.Fatalf("out = %+v, %v", out, err)
	}

	entries := db.entriesOf(catalogName)
	want := in.CatalogEntry
	want.RecordedAt = t0
	// The count is labelled approximate, and as of when: DynamoDB's
	// ItemCount of a just-restored table may be hours old.
	want.ItemCountNote = core.ApproxItemCountNote(t0)
	if !strings.Contains(want.ItemCountNote, "approximate") || !strings.Contains(want.ItemCountNote, "2025-06-01T12:00:00Z") {
		t.Errorf("note %q does not say approximate and when", want.ItemCountNote)
	}
	if len(entries) != 1 || !reflect.DeepEqual(entries[0], want) {
		t.Errorf("catalog = %+v\nwant %+v", entries, want)
	}
	if !maps.Equal(entries[0].Manifest.Tags, map[string]string{"team": "payments"}) {
		t.Errorf("manifest not kept: %+v", entries[0].Manifest)
	}
	// Recording again (a retry) leaves one entry.
	if _, err := h.Handle(context.Background(), in); err != nil || len(db.entriesOf(catalogName)) != 1 {
		t.Errorf("retry: %v, entries %+v", err, db.entriesOf(catalogName))
	}
}

func TestRecordBackupRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*RecordBackupInput)
		hints []string
	}{
		{"bad region", func(in *RecordBackupInput) { in.Region = "eu-west" }, []string{`region: "eu-west" is not an AWS region`}},
		{"bad catalog", func(in *RecordBackupInput) { in.CatalogTable = "" }, []string{`catalogTable: "" must be 3 to 255`}},
		{"no table", func(in *RecordBackupInput) { in.SourceTable = "" }, []string{"sourceTable, backupArn and backupCreatedAt are required"}},
		{"no backup", func(in *RecordBackupInput) { in.BackupArn = "" }, []string{"sourceTable, backupArn and backupCreatedAt are required"}},
		{"no time", func(in *RecordBackupInput) { in.BackupCreatedAt = time.Time{} }, []string{"backupCreatedAt are required"}},
		{"everything wrong", func(in *RecordBackupInput) { *in = RecordBackupInput{Region: "x", CatalogTable: "y"} },
			[]string{"3 problems: ", "region: ", "catalogTable: ", "are required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			db.addCatalog(catalogName)
			in := recordInput(db)
			tc.edit(&in)
			_, err := (&RecordBackup{Clients: clients[CatalogWriter](cloud), Now: fixedClock(t0)}).Handle(context.Background(), in)
			invalid(t, err, "input", tc.hints...)
			if calls := cloud.allCalls(); len(calls) != 0 {
				t.Errorf("calls = %v", calls)
			}
		})
	}
}

// TestRecordBackupFailureKeepsTheBackup: a catalog that cannot be written
// fails this destination, and the backup itself is left in place.
func TestRecordBackupFailureKeepsTheBackup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		catalog bool
		fail    error
		want    any
	}{
		{"catalog missing", false, nil, new(*core.TableNotFound)},
		{"throttled", true, &core.Throttled{Operation: "PutItem"}, new(*core.Throttled)},
		{"other error", true, errors.New("AccessDeniedException: no"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newCloud()
			db := cloud.db(dst)
			if tc.catalog {
				db.addCatalog(catalogName)
			}
			if tc.fail != nil {
				db.fail["PutEntry"] = tc.fail
			}
			in := recordInput(db)
			backups := db.backupNames()

			out, err := (&RecordBackup{Clients: clients[CatalogWriter](cloud), Now: fixedClock(t0)}).Handle(context.Background(), in)

			if err == nil || out.Recorded {
				t.Fatalf("out = %+v, err = %v; want a failure", out, err)
			}
			if tc.want != nil && !errors.As(err, tc.want) {
				t.Errorf("err = %v, want %T inside", err, tc.want)
			}
			if tc.fail != nil && !errors.Is(err, tc.fail) {
				t.Errorf("err = %v does not wrap %v", err, tc.fail)
			}
			for _, part := range []string{"record backup " + in.BackupArn, "catalog " + catalogName, "in " + dst} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q does not say %q", err, part)
				}
			}
			if n := cloud.totalCalls("DeleteBackup"); n != 0 || !slices.Equal(db.backupNames(), backups) {
				t.Errorf("backups now %v (%d DeleteBackup calls), were %v", db.backupNames(), n, backups)
			}
			if len(db.entriesOf(catalogName)) != 0 {
				t.Errorf("entries = %+v", db.entriesOf(catalogName))
			}
		})
	}
}

// TestCatalogEntriesBeforeTheNoteStillRead: an entry recorded before counts
// were labelled decodes, with its count and without a note.
func TestCatalogEntriesBeforeTheNoteStillRead(t *testing.T) {
	var e core.CatalogEntry
	old := `{"sourceTable":"orders","sourceRegion":"us-east-1","backupArn":"arn:aws:dynamodb:eu-west-1:123456789012:table/t/backup/1",` +
		`"backupName":"b","sourceBackupArn":"s","backupCreatedAt":"2025-06-01T11:00:00Z","recordedAt":"2025-06-01T12:00:00Z","runId":"r","sizeBytes":10,"itemCount":7}`
	if err := json.Unmarshal([]byte(old), &e); err != nil || e.ItemCount != 7 || e.ItemCountNote != "" {
		t.Errorf("entry = %+v, %v", e, err)
	}
}
