package state

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// This file keeps each region's tables and backups in the orders the List
// operations page through, so that no call has to sort or scan every table
// or backup of a region.

// insertSorted inserts v into s, which is sorted by compare.
func insertSorted[T any](s []T, v T, compare func(T, T) int) []T {
	i, _ := slices.BinarySearchFunc(s, v, compare)
	return slices.Insert(s, i, v)
}

// removeSorted removes v from s, which is sorted by compare.
func removeSorted[T any](s []T, v T, compare func(T, T) int) []T {
	if i, found := slices.BinarySearchFunc(s, v, compare); found {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// addTable adds a new table to the region.
func (rs *regionState) addTable(t *table) {
	rs.tables[t.name] = t
	rs.names = insertSorted(rs.names, t.name, strings.Compare)
}

// dropTable removes a deleted table from the region.
func (rs *regionState) dropTable(t *table) {
	delete(rs.tables, t.name)
	rs.names = removeSorted(rs.names, t.name, strings.Compare)
}

// backupCmp orders backups by creation time (millisecond precision, as in
// the ARN), then ARN: the order ListBackups pages in.
func backupCmp(a, b *backup) int {
	return cmp.Or(cmp.Compare(a.created.UnixMilli(), b.created.UnixMilli()), strings.Compare(a.arn, b.arn))
}

// addBackup adds a new backup to the account and to its region.
func (st *store) addBackup(b *backup) {
	st.backups[b.arn] = b
	rs := st.inRegion(b.region)
	rs.backups = insertSorted(rs.backups, b, backupCmp)
	rs.backupsOf[b.source.name] = insertSorted(rs.backupsOf[b.source.name], b, backupCmp)
}

// dropBackup removes a deleted backup.
func (st *store) dropBackup(b *backup) {
	delete(st.backups, b.arn)
	rs := st.inRegion(b.region)
	rs.backups = removeSorted(rs.backups, b, backupCmp)
	if of := removeSorted(rs.backupsOf[b.source.name], b, backupCmp); len(of) > 0 {
		rs.backupsOf[b.source.name] = of
	} else {
		delete(rs.backupsOf, b.source.name)
	}
}

// after is the index of the first backup of s, sorted by backupCmp, that
// comes after a backup created at created with ARN arn.
func after(s []*backup, created time.Time, arn string) int {
	key := &backup{created: created, arn: arn}
	i, found := slices.BinarySearchFunc(s, key, backupCmp)
	if found {
		i++
	}
	return i
}
