package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/infra/stacks"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// appProps stands in for what the cdk CLI passes through the environment.
func appProps(t *testing.T, outdir string, context map[string]any) *awscdk.AppProps {
	t.Helper()
	return &awscdk.AppProps{Outdir: jsii.String(outdir), Context: &context}
}

func TestCdkJSONHoldsAValidConfiguration(t *testing.T) {
	raw, err := os.ReadFile("cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	cfg, err := stacks.LoadConfig(func(k string) any { read[k] = true; return file.Context[k] }, "")
	if err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	// A key the app does not read would be ignored without a word.
	for k := range file.Context {
		if !read[k] && k != "cli-telemetry" {
			t.Errorf("cdk.json sets %q, which the app does not read", k)
		}
	}
	if cfg.Schedule != stacks.DefaultSchedule || cfg.RetentionDays != core.DefaultRetentionDays ||
		cfg.KeepLast != core.DefaultKeepLast || cfg.MaxConcurrency != core.DefaultMaxConcurrency ||
		cfg.SweepAfterHours != core.DefaultSweepAfterHours || cfg.PollLimitMinutes != core.DefaultPollLimitMinutes ||
		cfg.LogRetentionDays != stacks.DefaultLogRetentionDays || cfg.CatalogTable != core.DefaultCatalogTable {
		t.Errorf("cdk.json does not show the defaults: %+v", cfg)
	}
}

func TestBadConfigurationFailsSynthesis(t *testing.T) {
	err := run(appProps(t, t.TempDir(), map[string]any{
		"sourceRegion": "us-east-1", "destinationRegions": "us-west-2", "schedule": "every hour",
	}))
	if err == nil || !strings.Contains(err.Error(), `context key "schedule"`) {
		t.Fatalf("run() = %v, want an error naming the schedule key", err)
	}
}

func TestSynthesisWritesTemplatesAndNagReports(t *testing.T) {
	assets := t.TempDir()
	if err := os.WriteFile(filepath.Join(assets, "bootstrap"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	err := run(appProps(t, out, map[string]any{
		"sourceRegion": "eu-central-1", "destinationRegions": "eu-west-1", "assetDir": assets,
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{stacks.DefaultStackPrefix + "Backup", stacks.DefaultStackPrefix + "Restore-eu-west-1"} {
		for _, file := range []string{name + ".template.json", "AwsSolutions--" + name + "-NagReport.csv"} {
			if _, err := os.Stat(filepath.Join(out, file)); err != nil {
				t.Errorf("synthesis did not write %s: %v", file, err)
			}
		}
		raw, err := os.ReadFile(filepath.Join(out, name+".metadata.json"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "aws:cdk:error") {
			t.Errorf("%s.metadata.json holds errors", name)
		}
	}
	// Every function of every stack runs the one bootstrap: the cloud
	// assembly stages it once.
	staged, err := filepath.Glob(filepath.Join(out, "asset.*"))
	if err != nil || len(staged) != 1 {
		t.Fatalf("synthesis staged %d assets (%v), want one, the bootstrap", len(staged), err)
	}
	if _, err := os.Stat(filepath.Join(staged[0], "bootstrap")); err != nil {
		t.Errorf("the staged asset does not hold the bootstrap: %v", err)
	}
}
