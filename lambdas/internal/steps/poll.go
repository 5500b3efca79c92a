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
	// as the polls tell: at most the elapsed time, and no more than the
	// prediction when the poll that aimed at it found the operation done
	// (it ended before; recording the elapsed time would make every later
	// prediction a little longer).
	MeasuredSeconds float64 `json:"measuredSeconds,omitempty"`
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

// measured is what a poll that found the operation done after elapsed
// records as its duration (PollOutput.MeasuredSeconds).
func (in PollInput) measured(elapsed time.Duration) float64 {
	if in.Predicted > 0 {
		return min(elapsed.Seconds(), in.Predicted)
	}
	return elapsed.Seconds()
}

// firstWait is the output of a step that starts an operation: not ready,
// and the wait before its first poll, aimed at its predicted end when its
// history predicts one (core.PredictSeconds), else today's schedule.
func firstWait(status string, history core.PhaseHistory, sizeNow int64, pollLimitMinutes int) PollOutput {
	predicted, ok := core.PredictSeconds(history, sizeNow)
	wait := core.NextWait(predicted, ok, 0, time.Duration(pollLimitMinutes)*time.Minute)
	return PollOutput{Status: status, WaitSeconds: int(wait.Seconds()), Predicted: predicted}
}
