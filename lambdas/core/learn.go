package core

import (
	"math"
	"time"
)

// Phase names one waited-for phase of a copy, whose measured duration is
// recorded per table and destination to time the next copy's waits.
type Phase string

// The phases of a copy, in order.
const (
	PhaseSourceBackup      Phase = "sourceBackup"
	PhaseRestore           Phase = "restore"
	PhaseDestinationBackup Phase = "destinationBackup"
)

// Phases lists them in order.
var Phases = []Phase{PhaseSourceBackup, PhaseRestore, PhaseDestinationBackup}

// PhaseHistory is the last measured duration of one phase and the table's
// size then.
type PhaseHistory struct {
	Seconds   float64 `json:"s"`
	SizeBytes int64   `json:"b"`
}

// maxSizeScale bounds how far PredictSeconds scales a measured duration by
// the change in size. DynamoDB refreshes TableSizeBytes only about every
// six hours (Amazon DynamoDB API Reference, TableDescription,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html),
// so a size can be stale (0 for a new table), and part of each operation
// does not grow with size; the adaptive tail of NextWait absorbs the rest.
const maxSizeScale = 4.0

// PredictSeconds predicts how long the phase takes now: the last measured
// duration, scaled by size now / size then (within a factor maxSizeScale
// either way; unscaled when either size is unknown). false: no history.
func PredictSeconds(h PhaseHistory, sizeNow int64) (float64, bool) {
	if h.Seconds <= 0 || math.IsNaN(h.Seconds) || math.IsInf(h.Seconds, 0) {
		return 0, false
	}
	if h.SizeBytes <= 0 || sizeNow <= 0 {
		return h.Seconds, true
	}
	scale := min(max(float64(sizeNow)/float64(h.SizeBytes), 1/maxSizeScale), maxSizeScale)
	return h.Seconds * scale, true
}

// Learned waits: the first wait ends PredictionMargin after the predicted
// completion, so that an operation that takes what it took last time is
// seen done by the first poll. Past that point the wait is TailFraction of
// the time elapsed, between DefaultPoll.Min and DefaultPoll.Max, so a
// completion later than predicted is seen within about a tenth of the
// operation's duration.
const (
	PredictionMargin = 0.05
	TailFraction     = 0.1
)

// NextWait is how long to wait before the next poll of an operation that
// started elapsed ago. Without a prediction it is DefaultPoll's schedule.
// With one, it is the time left to the predicted completion plus
// PredictionMargin (rounded up to the second), then the adaptive tail. It
// never waits past limit, the poll limit; at or past it, it is 0.
func NextWait(predicted float64, hasPrediction bool, elapsed time.Duration, limit time.Duration) time.Duration {
	elapsed = max(elapsed, 0)
	left := limit - elapsed
	if left <= 0 {
		return 0
	}
	var wait time.Duration
	target := time.Duration(predicted * (1 + PredictionMargin) * float64(time.Second))
	switch {
	case !hasPrediction || predicted <= 0:
		wait = DefaultPoll.Next(elapsed)
	case elapsed < target:
		wait = (target - elapsed + time.Second - 1).Truncate(time.Second)
	default:
		tail := PollSchedule{Min: DefaultPoll.Min, Max: DefaultPoll.Max, Fraction: TailFraction}
		wait = tail.Next(elapsed)
	}
	return min(wait, left)
}
