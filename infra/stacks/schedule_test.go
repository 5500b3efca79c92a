package stacks

import "testing"

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
