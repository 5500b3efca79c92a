package core

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	Days     int // backups older than this may be deleted (without Tiers)
	KeepLast int // the newest KeepLast available backups are always kept
	// Tiers, when set, replaces Days: a backup is kept only when a tier
	// keeps it. Its Last, when set, replaces KeepLast.
	Tiers *Tiers
}

// RetentionForDestination is the policy of the destination regions: the
// DESTINATION_RETENTION tiers, or RETENTION_DAYS and KEEP_LAST.
func (s Settings) RetentionForDestination() Retention {
	return Retention{Days: s.RetentionDays, KeepLast: s.KeepLast, Tiers: s.DestinationRetention}
}

// RetentionForSource is the policy of the source region: the
// SOURCE_RETENTION tiers, or RETENTION_DAYS and KEEP_LAST. A copy restores
// the source backup its own run made, so the source needs no older backup
// for the next copy: "last=1" with every tier off keeps only what the
// next copy needs, the newest backup.
func (s Settings) RetentionForSource() Retention {
	return Retention{Days: s.RetentionDays, KeepLast: s.KeepLast, Tiers: s.SourceRetention}
}

// PlanPrune chooses which of one table's backups in one region to delete.
// Only the tool's own USER backups (by name marker) are candidates: SYSTEM,
// AWS_BACKUP and other tools' backups are never chosen. Of the tool's
// AVAILABLE backups, the newest KeepLast are kept however old they are, so a
// run of failed backups never removes the last good one, and the newest is
// kept whatever the policy says, so no settings change deletes the newest
// copy. Without tiers, a backup is deleted only when it is AVAILABLE and
// older than Days. With tiers, an AVAILABLE backup is deleted unless it is
// among the newest Last or a tier keeps it. Backups in any other status are
// kept.
func PlanPrune(backups []BackupInfo, r Retention, now time.Time) (remove, keep []BackupInfo) {
	owned := make([]BackupInfo, 0, len(backups))
	keep = make([]BackupInfo, 0, len(backups))
	for _, b := range backups {
		if b.Type == BackupTypeUser && IsOwnedBackupName(b.Name) {
			owned = append(owned, b)
		} else {
			keep = append(keep, b)
		}
	}
	slices.SortStableFunc(owned, func(a, b BackupInfo) int { return b.Created.Compare(a.Created) })
	keepLast := r.KeepLast
	if r.Tiers != nil && r.Tiers.Last > 0 {
		keepLast = r.Tiers.Last
	}
	keepLast = max(keepLast, 1)
	cutoff := now.Add(-time.Duration(r.Days) * 24 * time.Hour)
	kept := r.Tiers.keeper(now)
	available := 0
	for _, b := range owned {
		if b.Status != BackupStatusAvail {
			keep = append(keep, b)
			continue
		}
		available++
		tiered := kept(b.Created) // called for every available backup, newest first
		if available <= keepLast || (r.Tiers == nil && !b.Created.Before(cutoff)) || (r.Tiers != nil && tiered) {
			keep = append(keep, b)
			continue
		}
		remove = append(remove, b)
	}
	return remove, keep
}

// Tiers is a retention policy by tiers, as DESTINATION_RETENTION and
// SOURCE_RETENTION hold it ("last=3,hourly=24,daily=7,weekly=4,monthly=12"):
// the newest Last backups, plus the newest backup of each of the last
// Hourly hours, Daily days, Weekly weeks (from Monday) and Monthly months,
// in UTC, counting the current one. A tier of 0 is off; Last 0 means
// KEEP_LAST.
type Tiers struct {
	Last, Hourly, Daily, Weekly, Monthly int
}

// TierForms describes the tier syntax, for error messages.
const TierForms = "write key=count pairs from last, hourly, daily, weekly, monthly, such as last=3,hourly=24,daily=7,weekly=4,monthly=12 (0 turns a tier off)"

const maxTier = 100000

// ParseTiers parses a tier spec; a bad one is an InvalidInput naming field.
func ParseTiers(field, v string) (*Tiers, error) {
	items, err := SplitList(field, v)
	if err != nil {
		return nil, err
	}
	t := &Tiers{}
	seen := map[string]bool{}
	for _, item := range items {
		k, val, _ := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		dst := t.field(k)
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if dst == nil || err != nil || seen[k] {
			return nil, &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is not valid: %s, each once", item, TierForms)}
		}
		seen[k] = true
		*dst = n
		if k == "last" && n == 0 {
			return nil, &InvalidInput{Field: field, Problem: "last=0 would keep no backup; last must be at least 1, the newest backup is always kept"}
		}
	}
	if err := t.validate(); err != nil {
		return nil, &InvalidInput{Field: field, Problem: err.Error()}
	}
	return t, nil
}

func (t *Tiers) field(name string) *int {
	switch name {
	case "last":
		return &t.Last
	case "hourly":
		return &t.Hourly
	case "daily":
		return &t.Daily
	case "weekly":
		return &t.Weekly
	case "monthly":
		return &t.Monthly
	}
	return nil
}

func (t *Tiers) validate() error {
	if t == nil {
		return nil
	}
	if t.Last < 0 || t.Last > 1000 {
		return fmt.Errorf("last must be from 1 to 1000, got %d", t.Last)
	}
	for _, n := range []int{t.Hourly, t.Daily, t.Weekly, t.Monthly} {
		if n < 0 || n > maxTier {
			return fmt.Errorf("a tier must be from 0 to %d, got %d; %s", maxTier, n, TierForms)
		}
	}
	return nil
}

// String writes t as ParseTiers reads it; nil is "" (no tiers).
func (t *Tiers) String() string {
	if t == nil {
		return ""
	}
	s := fmt.Sprintf("hourly=%d,daily=%d,weekly=%d,monthly=%d", t.Hourly, t.Daily, t.Weekly, t.Monthly)
	if t.Last > 0 {
		s = fmt.Sprintf("last=%d,", t.Last) + s
	}
	return s
}

// MarshalText writes t as String does, so that settings carry it readably.
func (t *Tiers) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (t *Tiers) UnmarshalText(b []byte) error {
	v, err := ParseTiers("retention tiers", string(b))
	if err != nil {
		return err
	}
	*t = *v
	return nil
}

// keeper returns a function that, called with the creation times of
// AVAILABLE backups from the newest, says whether a tier keeps each: it is
// the newest of its bucket, and its bucket is one of the tier's most recent
// ones. Without tiers it keeps nothing.
func (t *Tiers) keeper(now time.Time) func(time.Time) bool {
	if t == nil {
		return func(time.Time) bool { return false }
	}
	type tier struct {
		count  int
		bucket func(time.Time) int64
		seen   map[int64]bool
	}
	days := func(c time.Time) int64 { return floorDiv(c.Unix(), 86400) }
	tiers := []tier{
		{t.Hourly, func(c time.Time) int64 { return floorDiv(c.Unix(), 3600) }, map[int64]bool{}},
		{t.Daily, days, map[int64]bool{}},
		// 1970-01-01 was a Thursday: weeks start on Mondays, 3 days later.
		{t.Weekly, func(c time.Time) int64 { return floorDiv(days(c)+3, 7) }, map[int64]bool{}},
		{t.Monthly, func(c time.Time) int64 { c = c.UTC(); return int64(c.Year())*12 + int64(c.Month()) - 1 }, map[int64]bool{}},
	}
	return func(created time.Time) bool {
		keep := false
		for _, tr := range tiers {
			b := tr.bucket(created)
			if tr.count == 0 || b <= tr.bucket(now)-int64(tr.count) || tr.seen[b] {
				continue
			}
			tr.seen[b] = true
			keep = true
		}
		return keep
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
