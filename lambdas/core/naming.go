package core

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Name rules shared by DynamoDB tables and backups.
const (
	MinNameLen = 3
	MaxNameLen = 255
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// ValidateName checks a table or backup name against DynamoDB's rules.
func ValidateName(field, name string) error {
	switch {
	case len(name) < MinNameLen || len(name) > MaxNameLen:
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q must be %d to %d characters long, it has %d", name, MinNameLen, MaxNameLen, len(name))}
	case !nameRE.MatchString(name):
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q may contain only a-z, A-Z, 0-9, '_', '-' and '.'", name)}
	}
	return nil
}

// Ownership tags put on every temporary table the tool creates. Every tag key
// that starts with ReservedTagPrefix is the tool's: a settings manifest
// leaves them out, and a restore never puts them on a restored table.
const (
	ReservedTagPrefix = "xregion-backup:"

	TagOwner        = ReservedTagPrefix + "owner"
	OwnerValue      = "dynamodb-xregion-backup"
	TagRunID        = ReservedTagPrefix + "run-id"
	TagStartedAt    = ReservedTagPrefix + "started-at"
	TagSourceTable  = ReservedTagPrefix + "source-table"
	TagSourceRegion = ReservedTagPrefix + "source-region"
	// TagSourceBackup holds the source backup's id (the last segment of its
	// ARN): a full ARN can exceed the 256-character limit of a tag value.
	TagSourceBackup = ReservedTagPrefix + "source-backup"
)

const (
	// TempPrefix starts every temporary table name. The hash that follows
	// binds the name to one source table and region.
	TempPrefix = "xrb-tmp."
	hashLen    = 16
	// BackupPrefix starts every backup name the tool makes.
	BackupPrefix = "xrb."
	// TimestampLayout is the UTC timestamp carried in backup names.
	TimestampLayout = "20060102T150405Z"
	runHashLen      = 6
)

func shortHash(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:n]
}

// TempTableName is the name of the temporary table that a source table is
// restored under in a destination region. It is the same for every run, so
// an overlapping run finds it taken, and it cannot collide with a real table
// of the source's name. It is at most 255 characters for any valid source.
func TempTableName(sourceRegion, sourceTable string) string {
	name := TempPrefix + shortHash(hashLen, sourceRegion, sourceTable) + "." + sourceTable
	return truncate(name, MaxNameLen)
}

// IsTempTableName reports whether name follows the temporary-table scheme.
func IsTempTableName(name string) bool {
	rest, ok := strings.CutPrefix(name, TempPrefix)
	if !ok || len(rest) < hashLen+2 || rest[hashLen] != '.' {
		return false
	}
	return isHex(rest[:hashLen])
}

// BackupName is the deterministic name of the backup that run runID, started
// at startedAt, makes of sourceTable: marker, UTC timestamp, run hash, table.
// Long table names are shortened and suffixed with a hash so the name stays
// unique and within 255 characters.
func BackupName(sourceTable, runID string, startedAt time.Time) string {
	return BackupPrefix + startedAt.UTC().Format(TimestampLayout) + "." + shortHash(runHashLen, runID) + "." + BackupNameTable(sourceTable)
}

// backupNamePrefixLen is the length of a backup name before its table part.
var backupNamePrefixLen = len(BackupPrefix) + len(TimestampLayout) + 1 + runHashLen + 1

// BackupNameTable is the table part of the backup names of sourceTable:
// the name itself, or when too long its start and a hash of the whole.
func BackupNameTable(sourceTable string) string {
	if backupNamePrefixLen+len(sourceTable) <= MaxNameLen {
		return sourceTable
	}
	suffix := "." + shortHash(12, sourceTable)
	return sourceTable[:MaxNameLen-backupNamePrefixLen-len(suffix)] + suffix
}

// IsShortenedTable reports whether a backup name's table part is a
// shortened one, from which the full table name cannot be recovered.
func IsShortenedTable(part string) bool {
	return len(part) == MaxNameLen-backupNamePrefixLen && part[len(part)-13] == '.' && isHex(part[len(part)-12:])
}

// ParsedBackupName is what a tool-made backup name carries.
type ParsedBackupName struct {
	Timestamp time.Time
	RunHash   string
	Table     string // the source table, shortened when it was long
}

// ParseBackupName recognises names made by BackupName. Any other name,
// including another tool's, is reported as not ours.
func ParseBackupName(name string) (ParsedBackupName, bool) {
	rest, ok := strings.CutPrefix(name, BackupPrefix)
	tsLen := len(TimestampLayout)
	if !ok || len(rest) < tsLen+1+runHashLen+2 || rest[tsLen] != '.' || rest[tsLen+1+runHashLen] != '.' {
		return ParsedBackupName{}, false
	}
	ts, err := time.Parse(TimestampLayout, rest[:tsLen])
	if err != nil {
		return ParsedBackupName{}, false
	}
	run := rest[tsLen+1 : tsLen+1+runHashLen]
	if !isHex(run) {
		return ParsedBackupName{}, false
	}
	return ParsedBackupName{Timestamp: ts, RunHash: run, Table: rest[tsLen+1+runHashLen+1:]}, true
}

// IsOwnedBackupName reports whether a backup name carries the tool's marker.
func IsOwnedBackupName(name string) bool {
	_, ok := ParseBackupName(name)
	return ok
}

// BackupID is the last segment of a backup ARN
// (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/backup/ID).
func BackupID(backupArn string) string {
	_, id, ok := strings.Cut(backupArn, "/backup/")
	if !ok {
		return ""
	}
	return id
}

// BackupSource returns the region and table of a backup ARN, or "" when
// it is not one.
func BackupSource(backupArn string) (region, table string) {
	prefix, _, ok := strings.Cut(backupArn, "/backup/")
	_, table, found := strings.Cut(prefix, ":table/")
	if !ok || !found {
		return "", ""
	}
	return RegionOfArn(backupArn), table
}

// RegionOfArn returns the region field of an ARN, or "".
func RegionOfArn(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}
