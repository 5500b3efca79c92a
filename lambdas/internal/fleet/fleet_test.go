package fleet_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/fleet"
)

func mustTiers(t *testing.T, spec string) *core.Tiers {
	t.Helper()
	tiers, err := core.ParseTiers("tiers", spec)
	if err != nil {
		t.Fatal(err)
	}
	return tiers
}

// destinationTiers is the retention the figures assume for copies by RPO.
const destinationTiers = "last=3,hourly=24,daily=7,weekly=4,monthly=12"

func policies(t *testing.T) []fleet.Policy {
	byRPO := func(slots int) fleet.Policy {
		return fleet.Policy{
			Name: fmt.Sprintf("by RPO, %d slots", slots), ByRPO: true, RPO: time.Hour, Slots: slots,
			Dest:               core.Retention{KeepLast: 3, Tiers: mustTiers(t, destinationTiers)},
			Source:             core.Retention{KeepLast: 3, Tiers: mustTiers(t, "last=1,hourly=0")},
			TransitionsPerCopy: 30, InvocationsPerCopy: 10, MetricDelay: 10 * time.Minute,
		}
	}
	return []fleet.Policy{
		byRPO(core.DefaultRestoreSlots),
		byRPO(50),
		{
			Name: "2021 policy, 50 slots", RPO: time.Hour, Slots: 50,
			Dest: core.Retention{Days: 7, KeepLast: 1}, Source: core.Retention{Days: 7, KeepLast: 1},
			TransitionsPerCopy: 177, InvocationsPerCopy: 60,
		},
	}
}

// monthlyTierLater is what the monthly tier adds to storage after a year,
// beyond the two months the simulated month can hold: 10 more full copies
// per table in the destination.
func monthlyTierLater(f fleet.Fleet) float64 {
	var gb float64
	for _, t := range f.Tables {
		gb += float64(t.SizeBytes) / (1 << 30)
	}
	return 10 * gb * core.BackupStoragePerGBMo
}

// TestFleet prints the month of each policy side by side and checks the
// figures of issue 11 (go test -run TestFleet -v ./lambdas/internal/fleet/).
func TestFleet(t *testing.T) {
	f := fleet.NewFleet(fleet.ReferenceParams)
	ps := policies(t)
	results := make([]fleet.Result, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { results[i] = fleet.Simulate(f, p) })
	}
	wg.Wait()
	later := monthlyTierLater(f)
	var b strings.Builder
	row := func(label string, cell func(r fleet.Result) string) {
		fmt.Fprintf(&b, "%-44s", label)
		for _, r := range results {
			fmt.Fprintf(&b, " | %22s", cell(r))
		}
		b.WriteString("\n")
	}
	usd := func(v float64) string { return fmt.Sprintf("$%.0f", v) }
	classes := map[string]int{}
	var totalGB float64
	for _, tb := range f.Tables {
		classes[tb.Class]++
		totalGB += float64(tb.SizeBytes) / (1 << 30)
	}
	fmt.Fprintf(&b, "\nreference fleet: %d tables, %.0f GiB in all (%d written hourly, %d a few times a day, %d weekly), RPO 1h, hourly runs, 30 days after a 2-day warm-up\n",
		len(f.Tables), totalGB, classes["hourly"], classes["daily"], classes["weekly"])
	fmt.Fprintf(&b, "copies by RPO keep %s in the destination and last=1 in the source; the 2021 policy keeps 7 days in both\n\n", destinationTiers)
	row("", func(r fleet.Result) string { return r.Policy.Name })
	row("copies in the month", func(r fleet.Result) string { return fmt.Sprint(r.Copies) })
	row("GiB restored", func(r fleet.Result) string { return fmt.Sprintf("%.0f", r.GBCopied) })
	row("restore ($0.15/GB)", func(r fleet.Result) string { return usd(r.RestoreUSD) })
	row("transfer ($0.02/GB)", func(r fleet.Result) string { return usd(r.TransferUSD) })
	row("backup storage, both regions ($0.10/GB-mo)", func(r fleet.Result) string { return usd(r.StorageUSD) })
	row("  + monthly tier after a year", func(r fleet.Result) string {
		if r.Policy.ByRPO {
			return usd(later)
		}
		return "-"
	})
	row("Step Functions", func(r fleet.Result) string {
		return fmt.Sprintf("%s (%d/copy)", usd(r.StepFnUSD), r.Policy.TransitionsPerCopy)
	})
	row("Lambda", func(r fleet.Result) string { return usd(r.LambdaUSD) })
	total := func(r fleet.Result) float64 {
		if r.Policy.ByRPO {
			return r.TotalUSD() + later
		}
		return r.TotalUSD()
	}
	row("total a month", func(r fleet.Result) string { return usd(total(r)) })
	row("table-hours within RPO, as reported", func(r fleet.Result) string { return fmt.Sprintf("%.3f%%", 100*r.ReportedShare()) })
	row("worst RPO age, as reported", func(r fleet.Result) string { return r.WorstReported.Round(time.Minute).String() })
	row("table-hours within RPO, exposure", func(r fleet.Result) string { return fmt.Sprintf("%.3f%%", 100*r.ExposureShare()) })
	row("worst exposure", func(r fleet.Result) string { return r.WorstExposure.Round(time.Minute).String() })
	row("unattainable tables (apart)", func(r fleet.Result) string {
		if r.Policy.ByRPO {
			return fmt.Sprint(r.Unattainable)
		}
		return "-"
	})
	row("makespan / bound, max and mean", func(r fleet.Result) string {
		if r.Policy.ByRPO {
			return fmt.Sprintf("%.3f, %.3f", r.MaxMakespanRatio, r.MeanMakespanRatio)
		}
		return "-"
	})
	for _, k := range []core.DecisionKind{core.DecisionCopy, core.DecisionUnchanged, core.DecisionNotDue, core.DecisionDeferred} {
		row("decisions: "+string(k), func(r fleet.Result) string {
			if r.Policy.ByRPO {
				return fmt.Sprint(r.Decisions[k])
			}
			return "-"
		})
	}
	b.WriteString("\nas reported: per table and run, as the run leaves it: a copied table is within when its copy finishes within the RPO of the run's start,\n" +
		"any other within when now − its current-as-of (newest copy's data time, or how far a skip proved it current) is within the RPO; deferred tables are not.\n" +
		"exposure: at each hour, the age of the oldest write that no finished copy holds; a write in the metrics' delay (10 min) before a run is seen\n" +
		"only by the next run, so with RPO = schedule interval such a write is exposed a little over the RPO.\n" +
		"Unattainable tables (a copy takes at least the RPO) are left out of both shares.\n")
	t.Log(b.String())

	rpo, old := results[0], results[2]
	if total(rpo) > total(old)/3 {
		t.Errorf("copies by RPO cost $%.0f a month, more than a third of the 2021 policy's $%.0f", total(rpo), total(old))
	}
	for _, r := range results[:2] {
		if r.ReportedShare() < 0.999 {
			t.Errorf("%s: %.3f%% of table-hours within RPO, want at least 99.9%%", r.Policy.Name, 100*r.ReportedShare())
		}
		if r.MaxMakespanRatio > 1.10 {
			t.Errorf("%s: makespan up to %.3f× its bound, want at most 1.10×", r.Policy.Name, r.MaxMakespanRatio)
		}
	}
}

// TestDecideTenThousandTables times the pure decision code for 10,000
// tables and three destinations: Decide for each, then Admit.
func TestDecideTenThousandTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	dests := []string{"eu-west-1", "us-west-2", "ap-southeast-2"}
	var cands []core.Candidate
	for i := range 10000 {
		size := int64(rng.ExpFloat64() * (1 << 30))
		for _, d := range dests {
			c := core.Candidate{
				Table: fmt.Sprintf("table-%05d", i), Destination: d, RPO: core.Period(time.Hour), SizeBytes: size,
				NewestData: now.Add(-time.Duration(rng.IntN(180)) * time.Minute), LastCopySeconds: 600 + rng.Float64()*3000,
				History:  map[core.Phase]core.PhaseHistory{core.PhaseRestore: {Seconds: 500, SizeBytes: size}},
				Evidence: core.ChangeEvidence{Known: true, Changed: rng.IntN(4) == 0, SeenUntil: now.Add(-5 * time.Minute)},
			}
			cands = append(cands, c)
		}
	}
	policy := core.Policy{Interval: time.Hour, MaxUnchanged: 7 * 24 * time.Hour}
	start := time.Now()
	decisions := make([]core.Decision, 0, len(cands))
	for _, c := range cands {
		decisions = append(decisions, core.Decide(c, policy, now))
	}
	admitted, _ := core.Admit(decisions, map[string]int{"eu-west-1": 40, "us-west-2": 40, "ap-southeast-2": 40}, time.Hour)
	elapsed := time.Since(start)
	t.Logf("deciding for 10,000 tables × 3 destinations (pure decision code): %s, %d copies admitted", elapsed.Round(time.Millisecond), len(admitted))
	if len(admitted) == 0 {
		t.Error("nothing admitted")
	}
}
