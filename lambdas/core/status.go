package core

import "time"

// A copy status item sits in each destination region's catalog table, one
// per source table: partition key StatusPK(sourceRegion), sort key the
// source table. The planner reads a region's with one paginated Query.
const statusPrefix = "status#"

// StatusPK is the catalog partition of the copy status items of the tables
// of sourceRegion.
func StatusPK(sourceRegion string) string { return statusPrefix + sourceRegion }

// CopyStatus is what the catalog of a destination region knows of the
// newest copy of one source table: how current it is, and how long each
// phase took (the history the next copy's waits are predicted from).
type CopyStatus struct {
	Table        string `json:"table"`
	SourceRegion string `json:"sourceRegion"`
	// DataTime is when the source backup of the newest copy was taken: the
	// point in time of its data.
	DataTime time.Time `json:"dataTime"`
	// CurrentAsOf is DataTime, or later when a run proved the table
	// unchanged since then.
	CurrentAsOf time.Time `json:"currentAsOf"`
	// Phases holds the measured duration of each phase of the newest copy.
	Phases map[Phase]PhaseHistory `json:"phases,omitempty"`
	// CopySeconds is how long the whole copy took, and SizeBytes the
	// backup's size.
	CopySeconds float64 `json:"copySeconds"`
	SizeBytes   int64   `json:"sizeBytes"`
	RunID       string  `json:"runId"`
}
