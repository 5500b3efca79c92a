package stacks_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/infra/stacks"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func load(ctx map[string]any, account string) (stacks.Config, error) {
	return stacks.LoadConfig(func(k string) any { return ctx[k] }, account)
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := load(map[string]any{"sourceRegion": "us-east-1", "destinationRegions": []any{"us-west-2"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Schedule != "rate(1 hour)" || cfg.RetentionDays != 7 || cfg.KeepLast != 3 || cfg.MaxConcurrency != core.DefaultMaxConcurrency ||
		cfg.SweepAfterHours != 36 || cfg.PollLimitMinutes != 720 || cfg.LogRetentionDays != 30 ||
		cfg.CatalogTable != "xregion-backup-catalog" || cfg.DryRun || cfg.KMSKeyID != "" || cfg.Account != "" {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	if !slices.Equal(cfg.Include, []string{"*"}) || len(cfg.Exclude) != 0 || len(cfg.TagFilter) != 0 {
		t.Errorf("unexpected table selection defaults: %+v", cfg)
	}
	env, err := cfg.Environment()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range core.EnvVars {
		if _, ok := env[k]; !ok {
			t.Errorf("environment lacks %s", k)
		}
	}
}

func TestConfigAccount(t *testing.T) {
	cfg, err := load(map[string]any{"sourceRegion": "us-east-1", "destinationRegions": "us-west-2"}, "111122223333")
	if err != nil || cfg.Account != "111122223333" {
		t.Errorf("account from the CLI: %q, %v", cfg.Account, err)
	}
	cfg, err = load(map[string]any{"sourceRegion": "us-east-1", "destinationRegions": "us-west-2", "account": "444455556666"}, "111122223333")
	if err != nil || cfg.Account != "444455556666" {
		t.Errorf("account from the context: %q, %v", cfg.Account, err)
	}
}

func TestConfigScheduleOff(t *testing.T) {
	for _, off := range []string{"off", "OFF", "none", "disabled", "false"} {
		cfg, err := load(map[string]any{"sourceRegion": "us-east-1", "destinationRegions": "us-west-2", "schedule": off}, "")
		if err != nil || cfg.Schedule != "" {
			t.Errorf("schedule %q: %q, %v", off, cfg.Schedule, err)
		}
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		key   string
		value any
		want  string
	}{
		{"sourceRegion", nil, "is required"},
		{"sourceRegion", "US East", "not an AWS region"},
		{"destinationRegions", "", "is required"},
		{"destinationRegions", "us-west-2,,eu-west-1", "empty item"},
		{"destinationRegions", "us-east-1", "is the source region"},
		{"destinationRegions", "us-west-2,us-west-2", "twice"},
		{"destinationRegions", "mars-1", "not an AWS region"},
		{"destinationRegions", 3.0, "must be a list"},
		{"schedule", "every hour", "not a schedule expression"},
		{"schedule", "rate(1 hours)", "singular"},
		{"schedule", "rate(2 hour)", "plural"},
		{"schedule", "rate(0 minutes)", "positive"},
		{"schedule", "cron(0 * * * *)", "6 fields"},
		{"schedule", "cron(0 * * * * *)", "?"},
		{"retentionDays", "seven", "whole number"},
		{"retentionDays", "0", "from 1 to 36500"},
		{"retentionDays", 1.5, "whole number"},
		{"keepLast", "0", "from 1 to 1000"},
		{"include", "orders,bad name", "not a table-name glob"},
		{"exclude", "a/b", "not a table-name glob"},
		{"tagFilter", "backup", "not key=value"},
		{"tagFilter", map[string]any{"": "x"}, "empty tag key"},
		{"tagFilter", map[string]any{"env=prod": "x"}, "write key=value pairs"},
		{"tagFilter", map[string]any{"env": "a,b"}, "write key=value pairs"},
		{"kmsKeyId", "my key", "not a KMS key"},
		{"rpo", "hourly", "15m"},
		{"rpoByName", []any{"hot-*"}, "pattern=rpo"},
		{"maxUnchanged", 7.0, "minutes, hours or days"},
		{"restoreSlots", "51", "restoreSlots"},
		{"destinationRetention", "hourly=x", "hourly"},
		{"kmsKeyId", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "is an ARN in eu-west-1"},
		{"maxConcurrency", "1001", "from 1 to 1000"},
		{"dryRun", "maybe", "true or false"},
		{"sweepAfterHours", "0", "at least 1 hour"},
		{"sweepAfterHours", "24", "at least 27 hours with a poll limit of 720 minutes (pollLimitMinutes)"},
		{"pollLimitMinutes", "20000", "from 1 to 10080"},
		{"notificationEmail", "ops", "not an email address"},
		{"logRetentionDays", "31", "CloudWatch Logs accepts"},
		{"catalogTableName", "a", "must be 3 to 255 characters long"},
		{"catalogTableName", "my catalog", "may contain only"},
		{"account", "12345", "12-digit"},
		{"stackPrefix", "1abc", "start with a letter"},
		{"adoptCatalog", "us-west-2,eu-west-1", `names "eu-west-1", which is not a destination region`},
	}
	for _, tc := range tests {
		t.Run(tc.key+"="+strings.ReplaceAll(stringOf(tc.value), "/", "_"), func(t *testing.T) {
			ctx := map[string]any{"sourceRegion": "us-east-1", "destinationRegions": "us-west-2", tc.key: tc.value}
			_, err := load(ctx, "")
			if err == nil {
				t.Fatalf("no error for %s=%v", tc.key, tc.value)
			}
			ce, ok := stacks.AsConfigError(err)
			if !ok || ce.Key != tc.key {
				t.Fatalf("error %q does not name the key %s", err, tc.key)
			}
			if !strings.Contains(err.Error(), `"`+tc.key+`"`) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name %q and say %q", err, tc.key, tc.want)
			}
		})
	}
}

func stringOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return "unset"
	}
	return "value"
}

// TestEverySettingHasAContextKey: LoadConfig reads each of the handlers'
// settings from a context key, its JSON name (the catalog table's is
// catalogTableName), but those the deployment derives (the runs a day from
// the schedule, the ledger, which each stack makes).
func TestEverySettingHasAContextKey(t *testing.T) {
	raw, err := json.Marshal(core.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]any
	if err := json.Unmarshal(raw, &settings); err != nil {
		t.Fatal(err)
	}
	ctx := map[string]any{"sourceRegion": "us-east-1", "destinationRegions": "us-west-2"}
	read := map[string]bool{}
	if _, err := stacks.LoadConfig(func(k string) any { read[k] = true; return ctx[k] }, ""); err != nil {
		t.Fatal(err)
	}
	for name := range settings {
		key := map[string]string{"catalogTable": "catalogTableName"}[name]
		if key == "" {
			key = name
		}
		derived := name == "runsPerDay" || name == "ledgerTable"
		if read[key] == derived {
			t.Errorf("setting %s: context key %q read: %v, want %v", name, key, read[key], !derived)
		}
	}
}
