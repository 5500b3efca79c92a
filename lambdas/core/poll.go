package core

import "time"

// PollSchedule is a bounded adaptive wait between status polls: the wait is
// a fraction of the time already spent waiting, so the detection lag stays a
// small share of the operation's duration, clamped between Min and Max.
type PollSchedule struct {
	Min      time.Duration
	Max      time.Duration
	Fraction float64
}

// DefaultPoll is used for backup and restore polls: 10 s at first, then a
// fifth of the elapsed time, never more than 5 minutes.
var DefaultPoll = PollSchedule{Min: 10 * time.Second, Max: 5 * time.Minute, Fraction: 0.2}

// Next returns how long to wait before the next poll, when elapsed has passed
// since the operation started.
func (p PollSchedule) Next(elapsed time.Duration) time.Duration {
	if elapsed < 0 {
		elapsed = 0
	}
	wait := time.Duration(float64(elapsed) * p.Fraction).Round(time.Second)
	return min(max(wait, p.Min), p.Max)
}
