package core_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

var pruneNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return pruneNow.Add(-d) }

const day = 24 * time.Hour

func owned(age time.Duration, status string) core.BackupInfo {
	created := ago(age)
	name := core.BackupName("orders", "run-"+created.String(), created)
	return core.BackupInfo{Arn: "arn:" + name + ":" + status, Name: name, Type: core.BackupTypeUser, Status: status, Created: created}
}

func foreign(name, typ string, age time.Duration) core.BackupInfo {
	return core.BackupInfo{Arn: "arn:" + typ + ":" + name, Name: name, Type: typ, Status: core.BackupStatusAvail, Created: ago(age)}
}

func names(bs []core.BackupInfo) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	slices.Sort(out)
	return out
}

func TestPlanPrune(t *testing.T) {
	avail, creating := core.BackupStatusAvail, core.BackupStatusCreate
	tests := []struct {
		name       string
		backups    []core.BackupInfo
		r          core.Retention
		wantRemove []core.BackupInfo
	}{
		{
			name:       "expired ones go, keep-last stays",
			backups:    []core.BackupInfo{owned(1*day, avail), owned(8*day, avail), owned(9*day, avail)},
			r:          core.Retention{Days: 7, KeepLast: 1},
			wantRemove: []core.BackupInfo{owned(8*day, avail), owned(9*day, avail)},
		},
		{
			name:       "keep-last protects old backups when recent ones failed",
			backups:    []core.BackupInfo{owned(0, creating), owned(30*day, avail), owned(31*day, avail), owned(32*day, avail)},
			r:          core.Retention{Days: 7, KeepLast: 2},
			wantRemove: []core.BackupInfo{owned(32*day, avail)},
		},
		{
			name:    "exactly at the cutoff is kept",
			backups: []core.BackupInfo{owned(0, avail), owned(7*day, avail)},
			r:       core.Retention{Days: 7, KeepLast: 1},
		},
		{
			name:       "just past the cutoff goes",
			backups:    []core.BackupInfo{owned(0, avail), owned(7*day+time.Second, avail)},
			r:          core.Retention{Days: 7, KeepLast: 1},
			wantRemove: []core.BackupInfo{owned(7*day+time.Second, avail)},
		},
		{
			name:    "CREATING is never removed",
			backups: []core.BackupInfo{owned(0, avail), owned(90*day, creating)},
			r:       core.Retention{Days: 1, KeepLast: 1},
		},
		{
			name: "other backups are never removed however old",
			backups: []core.BackupInfo{
				owned(0, avail),
				foreign("system", "SYSTEM", 900*day),
				foreign(core.BackupName("orders", "r", ago(900*day)), "SYSTEM", 900*day),
				foreign("aws-backup-job", "AWS_BACKUP", 900*day),
				foreign(core.BackupName("orders", "r", ago(901*day)), "AWS_BACKUP", 901*day),
				foreign("nightly-orders", core.BackupTypeUser, 900*day),
				foreign("xrb.notatimestamp.abcdef.orders", core.BackupTypeUser, 900*day),
				foreign("xrb.20200101T000000Z.nothex.orders", core.BackupTypeUser, 900*day),
			},
			r: core.Retention{Days: 1, KeepLast: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			remove, keep := core.PlanPrune(tc.backups, tc.r, pruneNow)
			if got, want := names(remove), names(tc.wantRemove); !slices.Equal(got, want) {
				t.Errorf("remove = %v, want %v", got, want)
			}
			if len(remove)+len(keep) != len(tc.backups) {
				t.Errorf("remove %d + keep %d != %d backups", len(remove), len(keep), len(tc.backups))
			}
		})
	}
}

// TestPlanPruneProperties checks invariants 2 and 3 over many random backup
// sets: every backup is either kept or removed; only the tool's own expired
// AVAILABLE USER backups are removed; and each removed backup leaves at least
// KeepLast AVAILABLE tool backups at least as new behind. It also checks that
// pruning does its job: an expired backup beyond the newest KeepLast goes.
func TestPlanPruneProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []string{core.BackupStatusAvail, core.BackupStatusAvail, core.BackupStatusAvail, core.BackupStatusCreate, core.BackupStatusDeleted}
	types := []string{core.BackupTypeUser, core.BackupTypeUser, core.BackupTypeUser, "SYSTEM", "AWS_BACKUP"}
	for iter := range 2000 {
		n := rng.IntN(40)
		r := core.Retention{Days: 1 + rng.IntN(30), KeepLast: 1 + rng.IntN(6)}
		backups := make([]core.BackupInfo, n)
		for i := range backups {
			// Ages on a coarse grid, so that ties on Created happen.
			created := ago(time.Duration(rng.IntN(120)) * 12 * time.Hour)
			name := core.BackupName("orders", fmt.Sprint("run-", iter, "-", i), created)
			switch rng.IntN(6) {
			case 0:
				name = fmt.Sprintf("other-tool-%d", i)
			case 1:
				name = fmt.Sprintf("xrb.notatimestamp.%06d.orders", i)
			}
			backups[i] = core.BackupInfo{
				Arn: fmt.Sprint("arn-", i), Name: name, Created: created,
				Type: types[rng.IntN(len(types))], Status: statuses[rng.IntN(len(statuses))],
			}
		}
		input := slices.Clone(backups)

		remove, keep := core.PlanPrune(backups, r, pruneNow)

		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("iteration %d, %+v: %s\nbackups: %+v", iter, r, fmt.Sprintf(format, args...), input)
		}
		if !slices.EqualFunc(backups, input, func(a, b core.BackupInfo) bool { return a == b }) {
			fail("the input was modified")
		}
		arns := map[string]int{}
		for _, b := range append(slices.Clone(remove), keep...) {
			arns[b.Arn]++
		}
		if len(arns) != n || len(remove)+len(keep) != n {
			fail("remove and keep do not partition the input: %d + %d for %d", len(remove), len(keep), n)
		}
		ours := func(b core.BackupInfo) bool {
			return b.Type == core.BackupTypeUser && core.IsOwnedBackupName(b.Name) && b.Status == core.BackupStatusAvail
		}
		cutoff := pruneNow.Add(-time.Duration(r.Days) * day)
		for _, b := range remove {
			if !ours(b) {
				fail("removed %+v, which is not an AVAILABLE tool backup", b)
			}
			if !b.Created.Before(cutoff) {
				fail("removed %+v, which is not expired", b)
			}
			newer := 0
			for _, k := range keep {
				if ours(k) && !k.Created.Before(b.Created) {
					newer++
				}
			}
			if newer < r.KeepLast {
				fail("removed %+v leaving %d newer AVAILABLE backups, keep-last is %d", b, newer, r.KeepLast)
			}
		}
		var available []core.BackupInfo
		for _, b := range input {
			if ours(b) {
				available = append(available, b)
			}
		}
		keptAvailable := 0
		for _, b := range keep {
			if ours(b) {
				keptAvailable++
				if b.Created.Before(cutoff) {
					// An expired backup is kept only as one of the newest KeepLast.
					newer := 0
					for _, a := range available {
						if a.Created.After(b.Created) {
							newer++
						}
					}
					if newer >= r.KeepLast {
						fail("kept expired %+v with %d newer AVAILABLE backups", b, newer)
					}
				}
			}
		}
		if keptAvailable < min(r.KeepLast, len(available)) {
			fail("kept %d AVAILABLE backups of %d, keep-last is %d", keptAvailable, len(available), r.KeepLast)
		}
	}
}
