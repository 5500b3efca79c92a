package core_test

import (
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

const gib = 1 << 30

func TestEstimateCostWorkedExample(t *testing.T) {
	// 10 GiB copied to 2 destinations every hour, kept 7 days, keep-last 3:
	//   one run:  10 GB × 2 × ($0.15 restore + $0.02 transfer) = $3.40
	//   runs:     $3.40 × 24 × 30                               = $2448
	//   kept:     max(7 × 24, 3) = 168 backups per region
	//   storage:  10 GB × 168 × 3 regions × $0.10               = $504
	//   month:    $2448 + $504                                   = $2952
	got := core.EstimateCost(10*gib, 2, 24, core.Retention{Days: 7, KeepLast: 3})
	want := core.CostEstimate{CopiedGB: 10, RunUSD: 3.40, MonthUSD: 2952}
	if got != want {
		t.Errorf("EstimateCost = %+v, want %+v", got, want)
	}
}

func TestEstimateCostDaily(t *testing.T) {
	// 512 MiB once a day to 1 destination, kept 30 days, keep-last 3:
	//   run 0.5 × 0.17 = 0.085 → $0.09 rounded; month 0.085 × 30 = 2.55
	//   plus 0.5 × 30 kept × 2 regions × 0.10 = 3.00 → $5.55
	got := core.EstimateCost(gib/2, 1, 1, core.Retention{Days: 30, KeepLast: 3})
	want := core.CostEstimate{CopiedGB: 0.5, RunUSD: 0.09, MonthUSD: 5.55}
	if got != want {
		t.Errorf("EstimateCost = %+v, want %+v", got, want)
	}
}

func TestEstimateCostMoreDestinationsCostMore(t *testing.T) {
	r := core.Retention{Days: 7, KeepLast: 3}
	prev := core.EstimateCost(5*gib, 1, 24, r)
	for n := 2; n <= 5; n++ {
		got := core.EstimateCost(5*gib, n, 24, r)
		if got.RunUSD <= prev.RunUSD || got.MonthUSD <= prev.MonthUSD {
			t.Errorf("%d destinations: %+v, not more than %d destinations: %+v", n, got, n-1, prev)
		}
		if got.CopiedGB != 5 {
			t.Errorf("%d destinations: CopiedGB = %v, want the table size, 5", n, got.CopiedGB)
		}
		prev = got
	}
}

func TestEstimateCostKeepLastFloorsStorage(t *testing.T) {
	// Daily runs kept 1 day would keep one backup; keep-last 10 keeps ten.
	//   runs:    1 GB × 0.17 × 30                   = 5.10
	//   storage: 1 GB × 10 kept × 2 regions × 0.10  = 2.00
	floor := core.EstimateCost(gib, 1, 1, core.Retention{Days: 1, KeepLast: 10})
	if floor.MonthUSD != 7.10 {
		t.Errorf("keep-last 10: MonthUSD = %v, want 7.10", floor.MonthUSD)
	}
	byDays := core.EstimateCost(gib, 1, 1, core.Retention{Days: 1, KeepLast: 1})
	if byDays.MonthUSD != 5.30 {
		t.Errorf("keep-last 1: MonthUSD = %v, want 5.30", byDays.MonthUSD)
	}
	// When days × runs exceed keep-last, keep-last does not matter.
	a := core.EstimateCost(gib, 1, 24, core.Retention{Days: 7, KeepLast: 1})
	b := core.EstimateCost(gib, 1, 24, core.Retention{Days: 7, KeepLast: 100})
	if a != b {
		t.Errorf("keep-last below days × runs changed the estimate: %+v vs %+v", a, b)
	}
	if floor.RunUSD != byDays.RunUSD {
		t.Errorf("keep-last changed the run cost: %v vs %v", floor.RunUSD, byDays.RunUSD)
	}
}

func TestEstimateCostNothingCopied(t *testing.T) {
	if got := core.EstimateCost(0, 3, 24, core.Retention{Days: 7, KeepLast: 3}); got != (core.CostEstimate{}) {
		t.Errorf("EstimateCost(0) = %+v, want zero", got)
	}
}
