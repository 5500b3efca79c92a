package steps

import (
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// CopyOutcome is how one admitted copy (a table into one destination)
// ended: DataTime is its source backup's creation, the copy's data time.
type CopyOutcome struct {
	Succeeded bool
	Bytes     int64
	DataTime  time.Time
}

// CopyKey names one table's copy into one destination region.
type CopyKey struct{ Table, Destination string }

// RunMetrics folds a run's decisions, as planned, and the outcomes of its
// admitted copies into the run metrics of each destination region (see
// core.EMFLines) at now, the end of the run. A copy that succeeded counts
// as copied, with its size, and its age is now less its data time; one that
// failed or has no outcome counts as failed, and keeps the age and the
// RPO verdict it had when planned. Every other table keeps those too. A
// table whose RPO tag is not an RPO counts as failed; an RPO that is off
// counts in neither the ages nor the tables over their RPO.
func RunMetrics(destinations []string, decisions []core.Decision, outcomes map[CopyKey]CopyOutcome, now time.Time) []core.DestinationMetrics {
	byRegion := make(map[string]*core.DestinationMetrics, len(destinations))
	out := make([]core.DestinationMetrics, len(destinations))
	for i, r := range destinations {
		out[i].Region = r
		byRegion[r] = &out[i]
	}
	for _, d := range decisions {
		m := byRegion[d.Destination]
		if m == nil {
			continue
		}
		if d.Unattainable {
			m.Unattainable++
		}
		age, over := d.AgeSeconds, d.OverRPO
		switch d.Kind {
		case core.DecisionCopy:
			o, ok := outcomes[CopyKey{d.Table, d.Destination}]
			if ok && o.Succeeded {
				m.Copied++
				m.GBCopied += float64(o.Bytes) / (1 << 30)
				if !o.DataTime.IsZero() {
					age = max(now.Sub(o.DataTime).Seconds(), 0)
					over = age > d.RPO.Duration().Seconds()
				}
			} else {
				m.Failed++
			}
		case core.DecisionUnchanged:
			m.Unchanged++
		case core.DecisionNotDue:
			m.NotDue++
		case core.DecisionDeferred:
			m.Deferred++
		case core.DecisionInvalid:
			m.Failed++
			continue
		case core.DecisionOff:
			m.Off++
			continue
		}
		if over {
			m.TablesOverRPO++
		}
		m.WorstRPOAgeSeconds = max(m.WorstRPOAgeSeconds, age)
	}
	for i := range out {
		out[i].RunCostUSD = out[i].GBCopied * (core.RestorePerGB + core.TransferPerGB)
	}
	return out
}
