package core

import (
	"fmt"
	"time"
)

// OwnerTags are the tags put on a temporary table restored from backupArn.
func OwnerTags(runID string, startedAt time.Time, sourceRegion, sourceTable, backupArn string) map[string]string {
	return map[string]string{
		TagOwner:        OwnerValue,
		TagRunID:        runID,
		TagStartedAt:    startedAt.UTC().Format(time.RFC3339),
		TagSourceTable:  sourceTable,
		TagSourceRegion: sourceRegion,
		TagSourceBackup: BackupID(backupArn),
	}
}

// OwnershipProblem says why t, with its tags, is not a temporary table of
// this tool, or returns "" when it is. All three marks must agree: the name
// follows the temporary-table scheme and is the one derived from the
// source-table tags; the owner tag is set; and the table's RestoreSummary,
// where present, names the source backup recorded in the tags.
func OwnershipProblem(t Table, tags map[string]string) string {
	switch {
	case !IsTempTableName(t.Name):
		return "its name does not follow the temporary-table scheme " + TempPrefix + "<hash>.<table>"
	case tags[TagOwner] != OwnerValue:
		return fmt.Sprintf("it lacks the tag %s=%s", TagOwner, OwnerValue)
	case TempTableName(tags[TagSourceRegion], tags[TagSourceTable]) != t.Name:
		return "its name does not match its source-table and source-region tags"
	case t.RestoredFrom != "" && BackupID(t.RestoredFrom) != tags[TagSourceBackup]:
		return fmt.Sprintf("it was restored from %s, not from the backup its tags record", t.RestoredFrom)
	}
	return ""
}

// RestoredAsTemp reports whether t, whatever its tags, is named as the
// temporary table of the source table it was restored from: the restore
// summary names a backup of exactly the table and region the name's hash
// stands for. A temporary table that lost the race between its restore
// and its tagging is recognised this way.
func RestoredAsTemp(t Table) bool {
	region, table := BackupSource(t.RestoredFrom)
	return table != "" && IsTempTableName(t.Name) && TempTableName(region, table) == t.Name
}
