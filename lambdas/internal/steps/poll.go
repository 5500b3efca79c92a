package steps

import (
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// PollInput is common to both polls.
type PollInput struct {
	Region string `json:"region"`
	// Since is when the awaited operation started; the recommended wait
	// and the time limit are measured from it.
	Since            time.Time `json:"since"`
	PollLimitMinutes int       `json:"pollLimitMinutes"`
	// Predicted is how long the operation is predicted to take, in seconds,
	// from its last measured duration (0: no history; see core.NextWait).
	Predicted float64 `json:"predicted,omitempty"`
	// Waited is the wait just before this poll, in seconds (0: unknown):
	// an operation found done ended within it.
	Waited int `json:"waited,omitempty"`
}

// PollOutput tells the state machine whether to go on waiting.
type PollOutput struct {
	Status string `json:"status"`
	Ready  bool   `json:"ready"`
	// WaitSeconds is the recommended wait before the next poll (the Wait
	// state's SecondsPath).
	WaitSeconds    int   `json:"waitSeconds"`
	ElapsedSeconds int   `json:"elapsedSeconds"`
	SizeBytes      int64 `json:"sizeBytes"`
	// ItemCount, of a table, is DynamoDB's approximate ItemCount, as
	// ItemCountNote says.
	ItemCount     int64  `json:"itemCount"`
	ItemCountNote string `json:"itemCountNote,omitempty"`
	// Predicted is the input's, passed on to the next poll (0: none).
	Predicted float64 `json:"predicted"`
	// MeasuredSeconds, once ready, is how long the operation took as far
	// as the polls tell (see PollInput.measured): the next copy's waits
	// are predicted from it.
	MeasuredSeconds float64 `json:"measuredSeconds"`
}

func (in PollInput) validate() error {
	if err := core.ValidateRegion("region", in.Region); err != nil {
		return err
	}
	if in.Since.IsZero() {
		return &core.InvalidInput{Field: "since", Problem: "is required"}
	}
	if in.PollLimitMinutes < 1 {
		return &core.InvalidInput{Field: "pollLimitMinutes", Problem: "must be at least 1"}
	}
	return nil
}

// next decides the output for a resource still in progress, or reports
// that it has been waited on too long.
func (in PollInput) next(now time.Time, what, status string, sched core.PollSchedule) (PollOutput, error) {
	elapsed := now.Sub(in.Since)
	limit := time.Duration(in.PollLimitMinutes) * time.Minute
	if elapsed > limit {
		return PollOutput{}, &core.PollTimedOut{What: what, Region: in.Region, Status: status, Elapsed: elapsed, Limit: limit}
	}
	wait := min(sched.Next(elapsed), limit-elapsed+time.Second)
	if in.Predicted > 0 {
		wait = core.NextWait(in.Predicted, true, elapsed, limit)
	}
	return PollOutput{Status: status, WaitSeconds: int(wait.Seconds()), ElapsedSeconds: int(elapsed.Seconds()), Predicted: in.Predicted}, nil
}

// measured is how long an operation that a poll found done after elapsed
// took, as far as the polls tell: it ended within the last wait. The
// prediction, when it falls within that wait (the poll aimed at it found
// the operation done); else the middle of the wait, so that neither the
// detection lag nor the poll's aim is added to the next prediction, which
// would then creep up from one copy to the next.
func (in PollInput) measured(elapsed time.Duration) float64 {
	e := elapsed.Seconds()
	if in.Waited <= 0 {
		if in.Predicted > 0 {
			return min(e, in.Predicted)
		}
		return e
	}
	from := max(e-float64(in.Waited), 0)
	if in.Predicted >= from && in.Predicted <= e {
		return in.Predicted
	}
	return (from + e) / 2
}

// firstWait is the output of a step that starts an operation: not ready,
// and the wait before its first poll, aimed at its predicted end when its
// history predicts one (core.PredictSeconds), else today's schedule.
func firstWait(status string, history core.PhaseHistory, sizeNow int64, pollLimitMinutes int) PollOutput {
	predicted, ok := core.PredictSeconds(history, sizeNow)
	wait := core.NextWait(predicted, ok, 0, time.Duration(pollLimitMinutes)*time.Minute)
	return PollOutput{Status: status, WaitSeconds: int(wait.Seconds()), Predicted: predicted}
}
