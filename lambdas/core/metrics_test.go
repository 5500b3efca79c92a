package core_test

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// TestEMFLinesShape checks the lines against the embedded metric format:
// a root object with _aws.Timestamp (epoch ms) and _aws.CloudWatchMetrics
// directives; every dimension and metric a directive names is a member of
// the root with a value of the right kind.
func TestEMFLinesShape(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	dests := []core.DestinationMetrics{
		{Region: "eu-west-1", TablesOverRPO: 2, WorstRPOAgeSeconds: 7300, Copied: 5, Unchanged: 90, NotDue: 3, Deferred: 1, Off: 1, Failed: 1, Unattainable: 1, GBCopied: 12.5, RunCostUSD: 2.13},
		{Region: "us-west-2"},
	}
	lines, err := core.EMFLines(at, dests)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines, want one per destination and the heartbeat", len(lines))
	}
	type directive struct {
		Namespace  string
		Dimensions [][]string
		Metrics    []struct{ Name, Unit string }
	}
	perDest := []string{"TablesOverRPO", "WorstRPOAgeSeconds", "TablesCopied", "TablesUnchanged", "TablesNotDue", "TablesDeferred",
		"TablesOff", "TablesFailed", "TablesUnattainable", "GBCopied", "RunCostUSD"}
	units := map[string]string{"WorstRPOAgeSeconds": "Seconds", "GBCopied": "Gigabytes", "RunCostUSD": "None"}
	for i, line := range lines {
		var root map[string]json.RawMessage
		if err := json.Unmarshal(line, &root); err != nil {
			t.Fatalf("line %d is not one JSON object: %v: %s", i, err, line)
		}
		var meta struct {
			Timestamp         int64
			CloudWatchMetrics []directive
		}
		if err := json.Unmarshal(root["_aws"], &meta); err != nil || meta.Timestamp != at.UnixMilli() || len(meta.CloudWatchMetrics) != 1 {
			t.Fatalf("line %d: _aws = %s (%v)", i, root["_aws"], err)
		}
		d := meta.CloudWatchMetrics[0]
		if d.Namespace != "DynamoDBXRegionBackup" || len(d.Dimensions) != 1 {
			t.Errorf("line %d: directive %+v", i, d)
		}
		for _, dim := range d.Dimensions[0] {
			var v string
			if err := json.Unmarshal(root[dim], &v); err != nil || v == "" {
				t.Errorf("line %d: dimension %s = %s, want a string member", i, dim, root[dim])
			}
		}
		var names []string
		for _, m := range d.Metrics {
			names = append(names, m.Name)
			var v float64
			if err := json.Unmarshal(root[m.Name], &v); err != nil {
				t.Errorf("line %d: metric %s = %s, want a number member", i, m.Name, root[m.Name])
			}
			want := units[m.Name]
			if want == "" {
				want = "Count"
			}
			if m.Unit != want {
				t.Errorf("line %d: %s in %s, want %s", i, m.Name, m.Unit, want)
			}
		}
		if i < 2 {
			if !slices.Equal(d.Dimensions[0], []string{"DestinationRegion"}) || !slices.Equal(names, perDest) {
				t.Errorf("line %d: dimensions %v metrics %v", i, d.Dimensions, names)
			}
			var region string
			_ = json.Unmarshal(root["DestinationRegion"], &region)
			if region != dests[i].Region {
				t.Errorf("line %d: region %s, want %s", i, region, dests[i].Region)
			}
		} else if len(d.Dimensions[0]) != 0 || !slices.Equal(names, []string{"RunsCompleted"}) || string(root["RunsCompleted"]) != "1" {
			t.Errorf("heartbeat: dimensions %v metrics %v value %s; want [[]], RunsCompleted = 1", d.Dimensions, names, root["RunsCompleted"])
		}
	}
	var first map[string]any
	_ = json.Unmarshal(lines[0], &first)
	for name, want := range map[string]float64{"TablesOverRPO": 2, "WorstRPOAgeSeconds": 7300, "TablesCopied": 5, "TablesUnchanged": 90,
		"TablesNotDue": 3, "TablesDeferred": 1, "TablesOff": 1, "TablesFailed": 1, "TablesUnattainable": 1, "GBCopied": 12.5, "RunCostUSD": 2.13} {
		if first[name] != want {
			t.Errorf("%s = %v, want %v", name, first[name], want)
		}
	}
	if _, err := core.EMFLines(at, []core.DestinationMetrics{{Region: "x", RunCostUSD: math.NaN()}}); err == nil {
		t.Error("a NaN value makes a line")
	}
}
