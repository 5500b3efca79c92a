package stacks

import (
	"testing"
	"time"
)

func TestRunsPerDay(t *testing.T) {
	tests := []struct {
		schedule string
		want     float64
	}{
		{"rate(1 hour)", 24},
		{"rate(6 hours)", 4},
		{"rate(30 minutes)", 48},
		{"rate(1 day)", 1},
		{"cron(0 * * * ? *)", 24},
		{"cron(0 */6 * * ? *)", 4},
		{"cron(0,30 9-17 ? * MON-FRI *)", 18},
		{"cron(15 3 * * ? *)", 1},
		{"", 0},
	}
	for _, tc := range tests {
		if got := runsPerDay(tc.schedule); got != tc.want {
			t.Errorf("runsPerDay(%q) = %v, want %v", tc.schedule, got, tc.want)
		}
	}
}

func TestScheduleInterval(t *testing.T) {
	tests := []struct {
		schedule string
		want     time.Duration // 0: cannot tell
	}{
		{"rate(1 hour)", time.Hour},
		{"rate(15 minutes)", 15 * time.Minute},
		{"rate(2 days)", 48 * time.Hour},
		{"cron(0 * * * ? *)", time.Hour},
		{"cron(15 */6 * * ? *)", 6 * time.Hour},
		// The longest gap, across midnight too.
		{"cron(0 9,17 * * ? *)", 16 * time.Hour},
		{"cron(0,10 12 ? * * *)", 23*time.Hour + 50*time.Minute},
		{"cron(30 3 * * ? *)", 24 * time.Hour},
		// Runs on certain days only: the gaps depend on the calendar.
		{"cron(0 9 ? * MON-FRI *)", 0},
		{"cron(0 9 1 * ? *)", 0},
		{"cron(0 9 ? * * 2027)", 0},
		{"cron(0 JAN * * ? *)", 0},
		{"", 0},
	}
	for _, tc := range tests {
		got, ok := ScheduleInterval(tc.schedule)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("ScheduleInterval(%q) = %v, %v, want %v", tc.schedule, got, ok, tc.want)
		}
	}
}
