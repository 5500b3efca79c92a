package core_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

var fixed30s = core.PollSchedule{Min: 30 * time.Second, Max: 30 * time.Second}

func TestPollScheduleIsBoundedAndNonDecreasing(t *testing.T) {
	schedules := map[string]core.PollSchedule{
		"default":   core.DefaultPoll,
		"fixed 30s": fixed30s,
		"steep":     {Min: time.Second, Max: time.Hour, Fraction: 2},
	}
	for name, s := range schedules {
		t.Run(name, func(t *testing.T) {
			prev := time.Duration(0)
			for elapsed := -time.Minute; elapsed <= 48*time.Hour; elapsed += 7 * time.Second {
				next := s.Next(elapsed)
				if next < s.Min || next > s.Max {
					t.Fatalf("Next(%s) = %s, outside [%s, %s]", elapsed, next, s.Min, s.Max)
				}
				if next < prev {
					t.Fatalf("Next(%s) = %s, less than %s before", elapsed, next, prev)
				}
				prev = next
			}
		})
	}
	tests := []struct {
		elapsed, want time.Duration
	}{
		{-time.Hour, 10 * time.Second},
		{0, 10 * time.Second},
		{20 * time.Second, 10 * time.Second},
		{time.Minute, 12 * time.Second},
		{10 * time.Minute, 2 * time.Minute},
		{25 * time.Minute, 5 * time.Minute},
		{10 * time.Hour, 5 * time.Minute},
	}
	for _, tc := range tests {
		if got := core.DefaultPoll.Next(tc.elapsed); got != tc.want {
			t.Errorf("DefaultPoll.Next(%s) = %s, want %s", tc.elapsed, got, tc.want)
		}
	}
}

// simulatePolls follows the state machine's loop for an operation that
// takes d: poll right after starting, then wait s.Next(elapsed) between
// polls. It returns the number of polls and how late the last one saw the
// operation finish.
func simulatePolls(s core.PollSchedule, d time.Duration) (polls int, lag time.Duration) {
	elapsed := time.Duration(0)
	for {
		polls++
		if elapsed >= d {
			return polls, elapsed - d
		}
		elapsed += s.Next(elapsed)
	}
}

// pollFigures simulates operations lasting d to d+59s (so that a fixed
// schedule is not flattered by durations on its grid) and returns the
// polls for d itself and the mean and worst lag over the range.
func pollFigures(s core.PollSchedule, d time.Duration) (polls int, meanLag, maxLag time.Duration) {
	polls, _ = simulatePolls(s, d)
	var total time.Duration
	for off := range 60 {
		_, lag := simulatePolls(s, d+time.Duration(off)*time.Second)
		total += lag
		maxLag = max(maxLag, lag)
	}
	return polls, total / 60, maxLag
}

type pollCase struct {
	what string
	d    time.Duration
}

var pollCases = []pollCase{
	{"2-minute backup", 2 * time.Minute},
	{"20-minute restore", 20 * time.Minute},
	{"3-hour restore", 3 * time.Hour},
}

func TestPollScheduleLagAndCost(t *testing.T) {
	s := core.DefaultPoll
	for _, tc := range pollCases {
		t.Run(tc.what, func(t *testing.T) {
			polls, mean, worst := pollFigures(s, tc.d)
			fixedPolls, fixedMean, fixedWorst := pollFigures(fixed30s, tc.d)
			t.Logf("adaptive: %d polls, lag mean %s max %s; fixed 30 s: %d polls, lag mean %s max %s",
				polls, mean, worst, fixedPolls, fixedMean, fixedWorst)

			// The last wait before completion began before the operation
			// ended, so it is at most Fraction of the duration (or Min),
			// rounded to the second.
			for off := range 60 {
				d := tc.d + time.Duration(off)*time.Second
				_, lag := simulatePolls(s, d)
				bound := max(time.Duration(s.Fraction*float64(d)), s.Min) + time.Second
				if lag > bound || lag > s.Max {
					t.Fatalf("%s operation: lag %s exceeds max(%.0f%% of it, %s) + 1s = %s (or Max %s)", d, lag, s.Fraction*100, s.Min, bound, s.Max)
				}
			}
			if fixedWorst > 30*time.Second {
				t.Errorf("fixed schedule lag %s > 30s", fixedWorst)
			}
		})
	}
	polls, _, _ := pollFigures(s, 3*time.Hour)
	fixedPolls, _, _ := pollFigures(fixed30s, 3*time.Hour)
	if 3*polls >= fixedPolls {
		t.Errorf("3-hour restore: adaptive %d polls, fixed 30 s %d; want fewer than a third", polls, fixedPolls)
	}
}

// TestPollFigures logs, for the record, what the schedules cost and how
// late they notice completion (go test -v -run TestPollFigures).
func TestPollFigures(t *testing.T) {
	var b strings.Builder
	row := func(cols ...any) { fmt.Fprintf(&b, "%-18s | %6v | %9v | %8v | %6v | %9v | %8v\n", cols...) }
	b.WriteString("\n")
	row("operation", "polls", "mean lag", "max lag", "polls", "mean lag", "max lag")
	row("", "adapt.", "adaptive", "adaptive", "30 s", "30 s", "30 s")
	for _, tc := range pollCases {
		p, m, w := pollFigures(core.DefaultPoll, tc.d)
		fp, fm, fw := pollFigures(fixed30s, tc.d)
		row(tc.what, p, m.Round(time.Second), w, fp, fm.Round(time.Second), fw)
	}
	t.Log(b.String())
}
