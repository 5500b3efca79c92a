package core_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// hourlyBackups are the tool's AVAILABLE backups of one table, one an hour
// on the hour for 60 days up to pruneNow (Sunday 2025-06-01 12:00 UTC).
func hourlyBackups() []core.BackupInfo {
	var out []core.BackupInfo
	for h := range 60 * 24 {
		out = append(out, owned(time.Duration(h)*time.Hour, core.BackupStatusAvail))
	}
	return out
}

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func createdTimes(bs []core.BackupInfo) []time.Time {
	var out []time.Time
	for _, b := range bs {
		out = append(out, b.Created)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return b.Compare(a) })
	return slices.Compact(out)
}

func hoursBack(n int) []time.Time {
	var out []time.Time
	for h := range n {
		out = append(out, pruneNow.Add(-time.Duration(h)*time.Hour))
	}
	return out
}

func TestPlanPruneTiers(t *testing.T) {
	tests := []struct {
		name  string
		tiers string
		want  []time.Time // the kept backups' creation times
	}{
		{"last only", "last=3,hourly=0", hoursBack(3)},
		{"hourly: the newest of each of the last 24 hours", "last=1,hourly=24", hoursBack(24)},
		{"daily: the newest of each of the last 7 days, today included", "last=1,daily=7", []time.Time{
			pruneNow, at("2025-05-31 23:00"), at("2025-05-30 23:00"), at("2025-05-29 23:00"), at("2025-05-28 23:00"), at("2025-05-27 23:00"), at("2025-05-26 23:00"),
		}},
		{"weekly: weeks start on Monday", "last=1,weekly=4", []time.Time{
			pruneNow, at("2025-05-25 23:00"), at("2025-05-18 23:00"), at("2025-05-11 23:00"),
		}},
		{"monthly", "last=1,monthly=3", []time.Time{pruneNow, at("2025-05-31 23:00"), at("2025-04-30 23:00")}},
		{"more months than there are backups", "last=1,monthly=12", []time.Time{pruneNow, at("2025-05-31 23:00"), at("2025-04-30 23:00")}},
		{"all tiers together", "last=3,hourly=24,daily=7,weekly=4,monthly=3", append(hoursBack(24),
			at("2025-05-30 23:00"), at("2025-05-29 23:00"), at("2025-05-28 23:00"), at("2025-05-27 23:00"), at("2025-05-26 23:00"),
			at("2025-05-25 23:00"), at("2025-05-18 23:00"), at("2025-05-11 23:00"),
			at("2025-04-30 23:00"))},
		{"last omitted: KEEP_LAST", "daily=1", hoursBack(5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tiers, err := core.ParseTiers("DESTINATION_RETENTION", tc.tiers)
			if err != nil {
				t.Fatal(err)
			}
			backups := hourlyBackups()
			remove, keep := core.PlanPrune(backups, core.Retention{Days: 365, KeepLast: 5, Tiers: tiers}, pruneNow)
			if got, want := createdTimes(keep), createdTimes(backupsAt(tc.want)); !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Errorf("kept %d: %v\nwant %d: %v", len(got), got, len(want), want)
			}
			if len(remove)+len(keep) != len(backups) {
				t.Errorf("remove %d + keep %d != %d", len(remove), len(keep), len(backups))
			}
		})
	}
}

func backupsAt(ts []time.Time) []core.BackupInfo {
	var out []core.BackupInfo
	for _, c := range ts {
		out = append(out, core.BackupInfo{Created: c})
	}
	return out
}

// TestPlanPruneTiersKeepTheNewestOfABucket: of two backups in one day, the
// daily tier keeps the later, and it never counts a CREATING backup.
func TestPlanPruneTiersKeepTheNewestOfABucket(t *testing.T) {
	backups := []core.BackupInfo{
		owned(0, core.BackupStatusAvail),
		owned(2*day+time.Hour, core.BackupStatusCreate), // day −2, newest but not AVAILABLE
		owned(2*day+2*time.Hour, core.BackupStatusAvail),
		owned(2*day+5*time.Hour, core.BackupStatusAvail),
	}
	remove, _ := core.PlanPrune(backups, core.Retention{KeepLast: 1, Tiers: &core.Tiers{Daily: 3}}, pruneNow)
	if got, want := names(remove), names(backups[3:]); !slices.Equal(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
}

// TestPlanPruneNeverTheNewestCopy: whatever the settings, even ones that
// validation refuses, the newest AVAILABLE backup of the tool stays.
func TestPlanPruneNeverTheNewestCopy(t *testing.T) {
	backups := []core.BackupInfo{owned(400*day, core.BackupStatusAvail), owned(500*day, core.BackupStatusAvail), owned(time.Hour, core.BackupStatusCreate)}
	for _, r := range []core.Retention{
		{Days: 1, KeepLast: 0},
		{Days: 0, KeepLast: -1},
		{KeepLast: 0, Tiers: &core.Tiers{}},
		{KeepLast: 1, Tiers: &core.Tiers{Hourly: 1, Daily: 1, Weekly: 1, Monthly: 1}},
	} {
		remove, _ := core.PlanPrune(backups, r, pruneNow)
		if got := names(remove); !slices.Equal(got, names(backups[1:2])) {
			t.Errorf("%+v: removed %v, want only the older AVAILABLE one", r, got)
		}
	}
}

// TestPlanPruneTiersProperties checks invariants 2 and 3 and "never the
// newest copy" under random tiers and random backup sets.
func TestPlanPruneTiersProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	statuses := []string{core.BackupStatusAvail, core.BackupStatusAvail, core.BackupStatusAvail, core.BackupStatusCreate, core.BackupStatusDeleted}
	types := []string{core.BackupTypeUser, core.BackupTypeUser, core.BackupTypeUser, "SYSTEM", "AWS_BACKUP"}
	for iter := range 2000 {
		tiers := &core.Tiers{Last: rng.IntN(4), Hourly: rng.IntN(30), Daily: rng.IntN(10), Weekly: rng.IntN(6), Monthly: rng.IntN(4)}
		r := core.Retention{Days: 1 + rng.IntN(30), KeepLast: 1 + rng.IntN(4), Tiers: tiers}
		keepLast := r.KeepLast
		if tiers.Last > 0 {
			keepLast = tiers.Last
		}
		backups := make([]core.BackupInfo, rng.IntN(60))
		for i := range backups {
			created := ago(time.Duration(rng.IntN(24*120)) * time.Hour)
			name := core.BackupName("orders", fmt.Sprint("run-", iter, "-", i), created)
			if rng.IntN(6) == 0 {
				name = fmt.Sprintf("other-tool-%d", i)
			}
			backups[i] = core.BackupInfo{Arn: fmt.Sprint("arn-", i), Name: name, Created: created,
				Type: types[rng.IntN(len(types))], Status: statuses[rng.IntN(len(statuses))]}
		}
		remove, keep := core.PlanPrune(backups, r, pruneNow)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("iteration %d, %+v %+v: %s", iter, r, *tiers, fmt.Sprintf(format, args...))
		}
		if len(remove)+len(keep) != len(backups) {
			fail("remove and keep do not partition the input")
		}
		ours := func(b core.BackupInfo) bool {
			return b.Type == core.BackupTypeUser && core.IsOwnedBackupName(b.Name) && b.Status == core.BackupStatusAvail
		}
		var newest *core.BackupInfo
		for i, b := range backups {
			if ours(b) && (newest == nil || b.Created.After(newest.Created)) {
				newest = &backups[i]
			}
		}
		if newest != nil && !slices.ContainsFunc(keep, func(k core.BackupInfo) bool { return ours(k) && k.Created.Equal(newest.Created) }) {
			fail("the newest AVAILABLE backup %+v was removed", *newest)
		}
		for _, b := range remove {
			if !ours(b) {
				fail("removed %+v, which is not an AVAILABLE tool backup", b)
			}
			newer := 0
			for _, k := range keep {
				if ours(k) && !k.Created.Before(b.Created) {
					newer++
				}
			}
			if newer < keepLast {
				fail("removed %+v leaving %d newer AVAILABLE backups, keep-last is %d", b, newer, keepLast)
			}
		}
	}
}

func TestTiersText(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"last=3,hourly=24,daily=7,weekly=4,monthly=12", "last=3,hourly=24,daily=7,weekly=4,monthly=12"},
		{" daily = 7 ", "hourly=0,daily=7,weekly=0,monthly=0"},
		{"last=1", "last=1,hourly=0,daily=0,weekly=0,monthly=0"},
	} {
		tiers, err := core.ParseTiers("x", tc.in)
		if err != nil || tiers.String() != tc.out {
			t.Errorf("ParseTiers(%q) = %s, %v; want %s", tc.in, tiers, err, tc.out)
			continue
		}
		back, err := core.ParseTiers("x", tiers.String())
		if err != nil || *back != *tiers {
			t.Errorf("%s reads back as %+v, %v", tiers, back, err)
		}
	}
	var none *core.Tiers
	if none.String() != "" {
		t.Error("no tiers write as non-empty")
	}
}

func TestRetentionForSourceAndDestination(t *testing.T) {
	s := core.DefaultSettings()
	s.SourceRetention = &core.Tiers{Last: 1}
	if got := s.RetentionForSource(); got.Tiers != s.SourceRetention || got.KeepLast != 3 || got.Days != 7 {
		t.Errorf("source retention %+v", got)
	}
	if got := s.RetentionForDestination(); got.Tiers != nil || got.KeepLast != 3 || got.Days != 7 {
		t.Errorf("destination retention %+v, want today's RETENTION_DAYS and KEEP_LAST", got)
	}
}
