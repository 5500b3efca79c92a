package core

import (
	"math"
	"time"
)

// Phase names one waited-on phase of a copy, whose measured duration is
// recorded in the table's CopyStatus.
type Phase string

// The phases of a copy.
const (
	PhaseSourceBackup      Phase = "sourceBackup"
	PhaseRestore           Phase = "restore"
	PhaseDestinationBackup Phase = "destinationBackup"
)

// PhaseHistory is the last measured duration of one phase of a table's copy,
// and the size of the table then.
type PhaseHistory struct {
	Seconds   float64 `json:"s"`
	SizeBytes int64   `json:"b"`
}

// PredictSeconds predicts how long the phase takes for a table of sizeNow
// bytes: the last duration scaled by size now / size then. False without
// history.
func PredictSeconds(h PhaseHistory, sizeNow int64) (float64, bool) {
	if h.Seconds <= 0 {
		return 0, false
	}
	if h.SizeBytes <= 0 || sizeNow <= 0 {
		return h.Seconds, true
	}
	return h.Seconds * float64(sizeNow) / float64(h.SizeBytes), true
}

// predictionMargin makes the first wait aim a little past the predicted
// completion, so that the first poll most often finds the phase done.
const predictionMargin = 1.05

// NextWait is the wait before the next poll of a phase that started elapsed
// ago: with a prediction, the first wait aims just past the predicted
// completion; after that (and without a prediction) DefaultPoll. Never past
// the poll limit.
func NextWait(predicted float64, hasPrediction bool, elapsed, limit time.Duration) time.Duration {
	wait := DefaultPoll.Next(elapsed)
	if hasPrediction {
		if aim := time.Duration(math.Ceil(predicted*predictionMargin)) * time.Second; aim > elapsed {
			wait = aim - elapsed
		}
	}
	return max(min(wait, limit-elapsed+time.Second), 0)
}
