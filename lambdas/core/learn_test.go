package core_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestPredictSeconds(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name string
		h    core.PhaseHistory
		size int64
		want float64
		ok   bool
	}{
		{"no history", core.PhaseHistory{}, gib, 0, false},
		{"same size", core.PhaseHistory{Seconds: 600, SizeBytes: gib}, gib, 600, true},
		{"twice the size", core.PhaseHistory{Seconds: 600, SizeBytes: gib}, 2 * gib, 1200, true},
		{"half the size", core.PhaseHistory{Seconds: 600, SizeBytes: gib}, gib / 2, 300, true},
		{"size now unknown", core.PhaseHistory{Seconds: 600, SizeBytes: gib}, 0, 600, true},
		{"size then unknown", core.PhaseHistory{Seconds: 600}, gib, 600, true},
		{"grown a hundredfold: bounded", core.PhaseHistory{Seconds: 600, SizeBytes: gib}, 100 * gib, 2400, true},
		{"shrunk a hundredfold: bounded", core.PhaseHistory{Seconds: 600, SizeBytes: 100 * gib}, gib, 150, true},
	}
	for _, tc := range tests {
		got, ok := core.PredictSeconds(tc.h, tc.size)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: PredictSeconds = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// simulateLearned follows a poll loop that starts an operation lasting d,
// waits NextWait, polls, and waits again until a poll sees it done. It
// returns the polls and how late the last one came; timedOut when the
// limit was reached first.
func simulateLearned(t *testing.T, predicted float64, has bool, d, limit time.Duration) (polls int, lag time.Duration, timedOut bool) {
	t.Helper()
	elapsed := time.Duration(0)
	for {
		w := core.NextWait(predicted, has, elapsed, limit)
		if elapsed+w > limit+time.Second {
			t.Fatalf("wait %s at %s runs more than a second past the limit %s", w, elapsed, limit)
		}
		if w <= 0 {
			return polls, 0, true
		}
		elapsed += w
		polls++
		if elapsed >= d {
			return polls, elapsed - d, false
		}
	}
}

func TestNextWaitWithoutHistoryIsTheDefaultSchedule(t *testing.T) {
	for elapsed := time.Duration(0); elapsed < 3*time.Hour; elapsed += 17 * time.Second {
		if got, want := core.NextWait(0, false, elapsed, 12*time.Hour), core.DefaultPoll.Next(elapsed); got != want {
			t.Fatalf("NextWait without history at %s = %s, want DefaultPoll's %s", elapsed, got, want)
		}
	}
}

func TestNextWaitNeverPastTheLimit(t *testing.T) {
	limit := 30 * time.Minute
	for _, tc := range []struct {
		predicted float64
		has       bool
	}{{7200, true}, {60, true}, {0, false}} {
		polls, _, timedOut := simulateLearned(t, tc.predicted, tc.has, 3*time.Hour, limit)
		if !timedOut || polls == 0 {
			t.Errorf("prediction %v: %d polls, timed out %v", tc.predicted, polls, timedOut)
		}
		// The last poll is a second past the limit, so that it reports the
		// timeout.
		if w := core.NextWait(tc.predicted, tc.has, limit-time.Second, limit); w != 2*time.Second {
			t.Errorf("prediction %v: a second before the limit, wait %s, want 2s", tc.predicted, w)
		}
	}
	if w := core.NextWait(600, true, time.Hour, 30*time.Minute); w != 0 {
		t.Errorf("past the limit: wait %s, want 0", w)
	}
}

var learnedCases = []pollCase{
	{"2-minute backup", 2 * time.Minute},
	{"20-minute restore", 20 * time.Minute},
	{"3-hour restore", 3 * time.Hour},
}

// meanLagWithJitter is the mean lag, relative to the duration, of
// operations lasting d × (1 ± 10%) when the prediction is d: a right
// prediction of a duration that varies.
func meanLagWithJitter(t *testing.T, d time.Duration) (meanPolls, meanLag float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 400
	for range n {
		actual := time.Duration(float64(d) * (0.9 + 0.2*rng.Float64()))
		polls, lag, _ := simulateLearned(t, d.Seconds(), true, actual, 12*time.Hour)
		meanPolls += float64(polls) / n
		meanLag += lag.Seconds() / actual.Seconds() / n
	}
	return meanPolls, meanLag
}

func TestLearnedWaits(t *testing.T) {
	for _, tc := range learnedCases {
		t.Run(tc.what, func(t *testing.T) {
			polls, lag, _ := simulateLearned(t, tc.d.Seconds(), true, tc.d, 12*time.Hour)
			if polls != 1 || lag > tc.d/10 {
				t.Errorf("right prediction: %d polls, lag %s; want 1 poll, lag at most 10%%", polls, lag)
			}
			// A duration that varies by ±10% around a right prediction: the
			// quarter that ends after the first poll waits for the tail's
			// first step, a fifth of the elapsed time.
			if _, mean := meanLagWithJitter(t, tc.d); mean > 0.12 {
				t.Errorf("durations ±10%% around the prediction: mean lag %.1f%%, want at most 12%%", 100*mean)
			}
			// Predicted half the real duration: the tail finds it within a
			// fifth of the elapsed time (or DefaultPoll.Min).
			_, lag, _ = simulateLearned(t, tc.d.Seconds()/2, true, tc.d, 12*time.Hour)
			if bound := max(tc.d/5, core.DefaultPoll.Min) + time.Second; lag > bound {
				t.Errorf("prediction −50%%: lag %s, want at most %s", lag, bound)
			}
		})
	}
}

// TestLearnedWaitFigures prints the polls and detection lag of the learned
// waits next to today's schedule (go test -run TestLearnedWaitFigures -v).
func TestLearnedWaitFigures(t *testing.T) {
	var b strings.Builder
	row := func(cols ...any) { fmt.Fprintf(&b, "%-18s | %-22s | %5v | %9v | %6v\n", cols...) }
	b.WriteString("\n")
	row("operation", "prediction", "polls", "lag", "lag %")
	for _, tc := range learnedCases {
		for _, p := range []struct {
			name  string
			ratio float64
			has   bool
		}{{"none (DefaultPoll)", 0, false}, {"right", 1, true}, {"off by -50%", 0.5, true}, {"off by +100%", 2, true}} {
			polls, lag, _ := simulateLearned(t, p.ratio*tc.d.Seconds(), p.has, tc.d, 12*time.Hour)
			row(tc.what, p.name, polls, lag.Round(time.Second), fmt.Sprintf("%.1f", 100*lag.Seconds()/tc.d.Seconds()))
		}
		mp, ml := meanLagWithJitter(t, tc.d)
		row(tc.what, "right, duration ±10%", fmt.Sprintf("%.2f", mp), "", fmt.Sprintf("%.1f", 100*ml))
	}
	t.Log(b.String())
}
