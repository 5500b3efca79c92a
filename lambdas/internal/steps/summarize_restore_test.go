package steps

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestSummarizeDetailedRestoreReport(t *testing.T) {
	taken := t0.Add(-26*time.Hour - 30*time.Second)
	// Two results as the restore state machine's Pass states emit them.
	raw := `{"runId":"restore-1","startedAt":"2025-06-01T11:00:00Z","detailed":true,"results":[
		{"table":"orders","status":"succeeded","target":"orders-restored","backupArn":"arn:b1",
		 "backupCreatedAt":"` + taken.Format(time.RFC3339) + `","restoreSeconds":1800,"itemCount":12345,
		 "settingsApplied":["tags","ttl","billing"],"noManifest":false},
		{"table":"users","status":"succeeded","target":"users","backupArn":"arn:b2",
		 "backupCreatedAt":"2025-06-01T11:59:00Z","restoreSeconds":60,"itemCount":0,"settingsApplied":[],"noManifest":true},
		{"table":"carts","status":"failed","target":"carts","backupArn":"arn:b3","error":"TableNotOwned","cause":"table carts in eu-west-1 is not owned"}
	]}`
	var in SummarizeInput
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}

	s, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}

	if s.Tables != 3 || s.Succeeded != 2 || s.Failed != 1 || s.DurationSeconds != 3600 || len(s.Results) != 3 {
		t.Fatalf("summary = %+v", s)
	}
	orders, users, carts := s.Results[0], s.Results[1], s.Results[2]
	if orders.BackupAgeSeconds != 26*3600+30 {
		t.Errorf("orders backup age = %d s, want %d", orders.BackupAgeSeconds, 26*3600+30)
	}
	if orders.Target != "orders-restored" || orders.BackupArn != "arn:b1" || !orders.BackupCreatedAt.Equal(taken) ||
		orders.RestoreSeconds != 1800 || orders.ItemCount != 12345 || !slices.Equal(orders.SettingsApplied, []string{"tags", "ttl", "billing"}) || orders.NoManifest {
		t.Errorf("orders = %+v", orders)
	}
	if users.BackupAgeSeconds != 60 || !users.NoManifest || users.Target != "users" {
		t.Errorf("users = %+v", users)
	}
	if carts.Status != StatusFailed || carts.Error != "TableNotOwned" || carts.BackupAgeSeconds != 0 || carts.Target != "carts" {
		t.Errorf("carts = %+v", carts)
	}
	if len(s.Failures) != 1 || s.Failures[0].Table != "carts" || s.Cause == "" {
		t.Errorf("failures = %+v, cause %q", s.Failures, s.Cause)
	}

	// The age follows the clock.
	later, err := (&Summarize{Now: fixedClock(t0.Add(time.Hour))}).Handle(context.Background(), in)
	if err != nil || later.Results[0].BackupAgeSeconds != 27*3600+30 {
		t.Errorf("an hour later: age = %d, %v", later.Results[0].BackupAgeSeconds, err)
	}

	// Without Detailed, a backup run's summary lists only failures.
	in.Detailed = false
	brief, err := (&Summarize{Now: fixedClock(t0)}).Handle(context.Background(), in)
	if err != nil || brief.Results != nil || len(brief.Failures) != 1 {
		t.Errorf("not detailed: results %+v, failures %+v, %v", brief.Results, brief.Failures, err)
	}
	b, _ := json.Marshal(brief)
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(b, &keys)
	if _, ok := keys["results"]; ok {
		t.Errorf("not detailed: JSON has results: %s", b)
	}
}
