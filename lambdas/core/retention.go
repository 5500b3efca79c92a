package core

import (
	"slices"
	"time"
)

// Backup types and statuses as DynamoDB reports them.
const (
	BackupTypeUser      = "USER"
	BackupStatusAvail   = "AVAILABLE"
	BackupStatusCreate  = "CREATING"
	BackupStatusDeleted = "DELETED"
)

// BackupInfo is what pruning needs to know about one backup.
type BackupInfo struct {
	Arn       string    `json:"arn"`
	Name      string    `json:"name"`
	Table     string    `json:"table,omitempty"`
	Type      string    `json:"type"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	SizeBytes int64     `json:"sizeBytes,omitempty"`
}

// Retention is the pruning policy for one table in one region.
type Retention struct {
	Days     int // backups older than this may be deleted
	KeepLast int // the newest KeepLast available backups are always kept
}

// PlanPrune chooses which of one table's backups in one region to delete.
// Only the tool's own USER backups (by name marker) are candidates: SYSTEM,
// AWS_BACKUP and other tools' backups are never chosen. Of the tool's
// AVAILABLE backups, the newest KeepLast are kept however old they are, so a
// run of failed backups never removes the last good one. A backup is
// deleted only when it is AVAILABLE and older than Days.
func PlanPrune(backups []BackupInfo, r Retention, now time.Time) (remove, keep []BackupInfo) {
	owned := make([]BackupInfo, 0, len(backups))
	for _, b := range backups {
		if b.Type == BackupTypeUser && IsOwnedBackupName(b.Name) {
			owned = append(owned, b)
		} else {
			keep = append(keep, b)
		}
	}
	slices.SortStableFunc(owned, func(a, b BackupInfo) int { return b.Created.Compare(a.Created) })
	cutoff := now.Add(-time.Duration(r.Days) * 24 * time.Hour)
	available := 0
	for _, b := range owned {
		if b.Status != BackupStatusAvail {
			keep = append(keep, b)
			continue
		}
		available++
		if available <= r.KeepLast || !b.Created.Before(cutoff) {
			keep = append(keep, b)
			continue
		}
		remove = append(remove, b)
	}
	return remove, keep
}
