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
// seen done by the first poll. Past that point the waits are a fifth of the
// time elapsed, as DefaultPoll's, up to a fifth of the prediction (at least
// DefaultPoll.Max): a completion later than predicted is seen within about a
// fifth of the operation's duration, in few polls, which keeps the
// transitions of a copy within bounds even when the prediction is far off.
const PredictionMargin = 0.05

// NextWait is how long to wait before the next poll of an operation that
// started elapsed ago. Without a prediction it is DefaultPoll's schedule.
// With one, it is the time left to the predicted completion plus
// PredictionMargin (rounded up to the second), then DefaultPoll's. It waits
// at most one second past limit, the poll limit, so that the last poll
// finds the limit passed; past that, it is 0.
func NextWait(predicted float64, hasPrediction bool, elapsed time.Duration, limit time.Duration) time.Duration {
	elapsed = max(elapsed, 0)
	left := limit - elapsed + time.Second
	if left <= 0 {
		return 0
	}
	wait := DefaultPoll.Next(elapsed)
	if hasPrediction && predicted > 0 {
		target := time.Duration(predicted * (1 + PredictionMargin) * float64(time.Second))
		// Past the target the tail is DefaultPoll's, but its longest wait
		// grows to a fifth of the prediction: a long operation that
		// overruns its prediction costs a few polls, not one every five
		// minutes.
		tail := DefaultPoll
		tail.Max = max(tail.Max, time.Duration(predicted*tail.Fraction*float64(time.Second)).Round(time.Second))
		wait = tail.Next(elapsed)
		if elapsed < target {
			wait = (target - elapsed + time.Second - 1).Truncate(time.Second)
		}
	}
	return min(wait, left)
}
