package core

// Prices used for the cost estimate, in US dollars. They are typical list
// prices; the exact ones depend on the region.
const (
	RestorePerGB         = 0.15 // restoring a backup
	TransferPerGB        = 0.02 // data crossing regions
	BackupStoragePerGBMo = 0.10 // on-demand backup storage, per GB-month
	bytesPerGB           = 1 << 30
)

// CostEstimate is what one run costs, and what a month of such runs with
// the retention settings would cost.
type CostEstimate struct {
	CopiedGB float64 `json:"copiedGB"`
	// RunUSD is the restore and transfer cost of this run's copies.
	RunUSD float64 `json:"runUSD"`
	// MonthUSD is RunUSD for every run of a month at runsPerDay, plus the
	// storage of the backups that retention keeps in both regions.
	MonthUSD float64 `json:"monthUSD"`
}

// EstimateCost prices copying copiedBytes to each of destinations regions,
// runsPerDay times a day, with the given retention.
func EstimateCost(copiedBytes int64, destinations int, runsPerDay float64, r Retention) CostEstimate {
	gb := float64(copiedBytes) / bytesPerGB
	run := gb * float64(destinations) * (RestorePerGB + TransferPerGB)
	// Each backup is billed at the full table size; retention keeps about
	// Days × runsPerDay of them, and never fewer than KeepLast, per region.
	kept := max(float64(r.Days)*runsPerDay, float64(r.KeepLast))
	storage := gb * kept * float64(1+destinations) * BackupStoragePerGBMo
	return CostEstimate{CopiedGB: round(gb), RunUSD: round(run), MonthUSD: round(run*runsPerDay*30 + storage)}
}

func round(v float64) float64 {
	return float64(int64(v*100+0.5)) / 100
}
