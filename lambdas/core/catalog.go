package core

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultCatalogTable names the catalog table in each destination region.
const DefaultCatalogTable = "xregion-backup-catalog"

// The catalog's key: partition key CatalogPartitionKey is the source region
// and table (CatalogPK), sort key CatalogSortKey the destination backup ARN
// (both strings). Entries written before the source region was part of the
// key have the source table alone as their partition key; readers still
// read them, by their recorded source region. Partition keys that start
// with CatalogStatusPrefix hold the tables' copy status, not entries.
const (
	CatalogPartitionKey = "pk"
	CatalogSortKey      = "sk"
	CatalogStatusPrefix = "status#"
)

// CatalogPK is the partition key of the entries of one source table: two
// source regions that copy tables of the same name into one destination
// keep them apart. Neither a region nor a table name contains '#'.
func CatalogPK(sourceRegion, table string) string { return sourceRegion + "#" + table }

// IsCatalogEntryPK reports whether a catalog partition key holds backup
// entries (new or legacy), rather than status items.
func IsCatalogEntryPK(pk string) bool { return !strings.HasPrefix(pk, CatalogStatusPrefix) }

// CatalogEntry describes one cross-region backup, as recorded in the
// catalog of its destination region.
type CatalogEntry struct {
	SourceTable     string `json:"sourceTable"`
	SourceRegion    string `json:"sourceRegion"`
	BackupArn       string `json:"backupArn"` // the backup in the destination region
	BackupName      string `json:"backupName"`
	SourceBackupArn string `json:"sourceBackupArn"`
	// BackupCreatedAt is when the source backup was taken: the point in
	// time of the data.
	BackupCreatedAt time.Time `json:"backupCreatedAt"`
	RecordedAt      time.Time `json:"recordedAt"`
	RunID           string    `json:"runId"`
	SizeBytes       int64     `json:"sizeBytes"`
	// ItemCount is DynamoDB's ItemCount of the temporary table: approximate
	// (ItemCountNote says so, and as of when). Entries recorded before the
	// note existed have none; their counts are just as approximate.
	ItemCount     int64  `json:"itemCount"`
	ItemCountNote string `json:"itemCountNote,omitempty"`
	// Manifest is nil for a backup found by its name when the catalog had
	// no entry for it.
	Manifest *Manifest `json:"manifest,omitempty"`
}

// ApproxItemCountNote labels an ItemCount read from DescribeTable at or
// before at. DynamoDB refreshes a table's ItemCount about every six hours
// (Amazon DynamoDB API Reference, TableDescription,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html),
// so for a table restored minutes before, it may be 0 or stale.
func ApproxItemCountNote(at time.Time) string {
	return fmt.Sprintf("approximate: DynamoDB's ItemCount as described at or before %s; DynamoDB refreshes it about every six hours, so a table restored since may show 0 or a stale count",
		at.UTC().Format(time.RFC3339))
}

// ChooseBackup returns the newest entry taken at or before pointInTime
// (zero: the newest of all).
func ChooseBackup(entries []CatalogEntry, pointInTime time.Time) (CatalogEntry, bool) {
	var candidates []CatalogEntry
	for _, e := range entries {
		if pointInTime.IsZero() || !e.BackupCreatedAt.After(pointInTime) {
			candidates = append(candidates, e)
		}
	}
	if len(candidates) == 0 {
		return CatalogEntry{}, false
	}
	return slices.MaxFunc(candidates, func(a, b CatalogEntry) int { return a.BackupCreatedAt.Compare(b.BackupCreatedAt) }), true
}
