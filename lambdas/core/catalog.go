package core

import (
	"slices"
	"time"
)

// DefaultCatalogTable names the catalog table in each destination region.
const DefaultCatalogTable = "xregion-backup-catalog"

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
	ItemCount       int64     `json:"itemCount"`
	// Manifest is nil for a backup found by its name when the catalog had
	// no entry for it.
	Manifest *Manifest `json:"manifest,omitempty"`
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
