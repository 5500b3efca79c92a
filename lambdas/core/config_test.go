package core_test

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// validEnv is the smallest valid environment, changed by set.
func validEnv(set map[string]string) map[string]string {
	env := map[string]string{"SOURCE_REGION": "us-east-1", "DESTINATION_REGIONS": "eu-west-1"}
	maps.Copy(env, set)
	return env
}

func TestSettingsFromEnvDefaults(t *testing.T) {
	s, err := core.SettingsFromEnv(getenv(validEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if s.SourceRegion != "us-east-1" || !slices.Equal(s.DestinationRegions, []string{"eu-west-1"}) ||
		s.RetentionDays != 7 || s.KeepLast != 3 || !slices.Equal(s.Include, []string{"*"}) || len(s.Exclude) != 0 ||
		len(s.TagFilter) != 0 || s.KMSKeyID != "" || s.MaxConcurrency != 1000 || s.DryRun ||
		s.SweepAfterHours != 36 || s.PollLimitMinutes != 720 ||
		s.RPO != core.Period(time.Hour) || len(s.RPOByName) != 0 || s.MaxUnchanged != core.Period(7*24*time.Hour) ||
		s.RestoreSlots != 40 || s.DestinationRetention != nil || s.SourceRetention != nil || s.LedgerTable != "xregion-backup-ledger" {
		t.Errorf("defaults = %+v", s)
	}
}

func TestSettingsFromEnvValid(t *testing.T) {
	defaults, err := core.SettingsFromEnv(getenv(validEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    map[string]string
		change func(s *core.Settings)
	}{
		{
			name: "everything set, with spaces",
			env: validEnv(map[string]string{
				"SOURCE_REGION": " us-east-1 ", "DESTINATION_REGIONS": "eu-west-1, eu-central-1 ,ap-southeast-2",
				"RETENTION_DAYS": "35", "KEEP_LAST": " 5", "INCLUDE": "orders*,users", "EXCLUDE": "*-test",
				"TAG_FILTER": "backup=true, env = prod", "KMS_KEY_ID": "alias/backup", "MAX_CONCURRENCY": "40",
				"DRY_RUN": "true", "SWEEP_AFTER_HOURS": "52", "POLL_LIMIT_MINUTES": "1440",
			}),
			change: func(s *core.Settings) {
				s.DestinationRegions = []string{"eu-west-1", "eu-central-1", "ap-southeast-2"}
				s.RetentionDays, s.KeepLast = 35, 5
				s.Include, s.Exclude = []string{"orders*", "users"}, []string{"*-test"}
				s.TagFilter = map[string]string{"backup": "true", "env": "prod"}
				s.KMSKeyID, s.MaxConcurrency, s.DryRun, s.SweepAfterHours, s.PollLimitMinutes = "alias/backup", 40, true, 52, 1440
			},
		},
		{
			name: "KMS key ARN in the only destination",
			env:  validEnv(map[string]string{"KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}),
			change: func(s *core.Settings) {
				s.KMSKeyID = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
			},
		},
		{
			name: "multi-Region key id with two destinations",
			env:  validEnv(map[string]string{"DESTINATION_REGIONS": "eu-west-1,eu-central-1", "KMS_KEY_ID": "mrk-1234abcd12ab34cd56ef1234567890ab"}),
			change: func(s *core.Settings) {
				s.DestinationRegions, s.KMSKeyID = []string{"eu-west-1", "eu-central-1"}, "mrk-1234abcd12ab34cd56ef1234567890ab"
			},
		},
		{
			name: "copy by RPO",
			env: validEnv(map[string]string{
				"RPO": " 15m ", "RPO_BY_NAME": "audit-*=1d, hot-*=15m,cold=off", "MAX_UNCHANGED": "2d12h", "RESTORE_SLOTS": "50",
				"DESTINATION_RETENTION": "last=3,hourly=24,daily=7,weekly=4,monthly=12", "SOURCE_RETENTION": "last=1, hourly=0",
				"LEDGER_TABLE": "my-ledger",
			}),
			change: func(s *core.Settings) {
				s.RPO = core.Period(15 * time.Minute)
				s.RPOByName = []core.RPORule{
					{Pattern: "audit-*", RPO: core.Period(24 * time.Hour)}, {Pattern: "hot-*", RPO: core.Period(15 * time.Minute)}, {Pattern: "cold", RPO: core.RPOOff},
				}
				s.MaxUnchanged = core.Period(60 * time.Hour)
				s.RestoreSlots = 50
				s.DestinationRetention = &core.Tiers{Last: 3, Hourly: 24, Daily: 7, Weekly: 4, Monthly: 12}
				s.SourceRetention = &core.Tiers{Last: 1}
				s.LedgerTable = "my-ledger"
			},
		},
		{
			name:   "RPO off",
			env:    validEnv(map[string]string{"RPO": "OFF"}),
			change: func(s *core.Settings) { s.RPO = core.RPOOff },
		},
		{
			name:   "DRY_RUN false",
			env:    validEnv(map[string]string{"DRY_RUN": "false"}),
			change: func(s *core.Settings) {},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := core.SettingsFromEnv(getenv(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			want := cloneSettings(defaults)
			tc.change(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestSettingsFromEnvInvalid is invariant 8 for the environment: each bad
// value is refused with the variable's name and a hint at the fix.
func TestSettingsFromEnvInvalid(t *testing.T) {
	otherRegionKey := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name  string
		env   map[string]string
		field string
		hint  string // a phrase of the message that tells what to do
	}{
		{"missing SOURCE_REGION", validEnv(map[string]string{"SOURCE_REGION": ""}), "SOURCE_REGION", "is required"},
		{"blank SOURCE_REGION", validEnv(map[string]string{"SOURCE_REGION": "  "}), "SOURCE_REGION", "is required"},
		{"bad SOURCE_REGION", validEnv(map[string]string{"SOURCE_REGION": "mars-1"}), "SOURCE_REGION", "such as us-east-1"},
		{"upper-case SOURCE_REGION", validEnv(map[string]string{"SOURCE_REGION": "US-EAST-1"}), "SOURCE_REGION", "such as us-east-1"},
		{"missing DESTINATION_REGIONS", validEnv(map[string]string{"DESTINATION_REGIONS": ""}), "DESTINATION_REGIONS", "at least one region"},
		{"bad destination", validEnv(map[string]string{"DESTINATION_REGIONS": "eu-west-1,mars-1"}), "DESTINATION_REGIONS", `"mars-1" is not an AWS region`},
		{"destination equals source", validEnv(map[string]string{"DESTINATION_REGIONS": "us-east-1"}), "DESTINATION_REGIONS", "is the source region"},
		{"duplicate destination", validEnv(map[string]string{"DESTINATION_REGIONS": "eu-west-1,eu-central-1,eu-west-1"}), "DESTINATION_REGIONS", "listed twice"},
		{"empty list item", validEnv(map[string]string{"DESTINATION_REGIONS": "eu-west-1,,eu-central-1"}), "DESTINATION_REGIONS", "comma-separated"},
		{"RETENTION_DAYS not a number", validEnv(map[string]string{"RETENTION_DAYS": "x"}), "RETENTION_DAYS", "not a whole number"},
		{"RETENTION_DAYS with unit", validEnv(map[string]string{"RETENTION_DAYS": "7d"}), "RETENTION_DAYS", "not a whole number"},
		{"RETENTION_DAYS zero", validEnv(map[string]string{"RETENTION_DAYS": "0"}), "RETENTION_DAYS", "from 1 to 36500"},
		{"RETENTION_DAYS negative", validEnv(map[string]string{"RETENTION_DAYS": "-3"}), "RETENTION_DAYS", "from 1 to 36500"},
		{"KEEP_LAST zero", validEnv(map[string]string{"KEEP_LAST": "0"}), "KEEP_LAST", "from 1 to 1000"},
		{"KEEP_LAST not a number", validEnv(map[string]string{"KEEP_LAST": "three"}), "KEEP_LAST", "not a whole number"},
		{"INCLUDE bad glob", validEnv(map[string]string{"INCLUDE": "["}), "INCLUDE", "glob"},
		{"INCLUDE bad glob among good", validEnv(map[string]string{"INCLUDE": "orders*,users[,x"}), "INCLUDE", "glob"},
		{"INCLUDE with a character no table name has", validEnv(map[string]string{"INCLUDE": "orders,bad name"}), "INCLUDE", "not a table-name glob"},
		{"EXCLUDE bad glob", validEnv(map[string]string{"EXCLUDE": "a[b"}), "EXCLUDE", "glob"},
		{"EXCLUDE with a slash", validEnv(map[string]string{"EXCLUDE": "a/b"}), "EXCLUDE", "not a table-name glob"},
		{"TAG_FILTER without value", validEnv(map[string]string{"TAG_FILTER": "novalue"}), "TAG_FILTER", "key=value"},
		{"TAG_FILTER without key", validEnv(map[string]string{"TAG_FILTER": "env=prod,=x"}), "TAG_FILTER", "key=value"},
		{"KMS_KEY_ID ARN in another region", validEnv(map[string]string{"KMS_KEY_ID": otherRegionKey}), "KMS_KEY_ID", "use an alias or a multi-Region key"},
		{"KMS_KEY_ID ARN with two destinations", validEnv(map[string]string{"DESTINATION_REGIONS": "eu-west-1,us-west-2", "KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}), "KMS_KEY_ID", "every destination region"},
		{"KMS_KEY_ID not a key", validEnv(map[string]string{"KMS_KEY_ID": "my key"}), "KMS_KEY_ID", "alias/"},
		{"MAX_CONCURRENCY zero", validEnv(map[string]string{"MAX_CONCURRENCY": "0"}), "MAX_CONCURRENCY", "from 1 to 1000"},
		{"MAX_CONCURRENCY huge", validEnv(map[string]string{"MAX_CONCURRENCY": "100000"}), "MAX_CONCURRENCY", "from 1 to 1000"},
		{"DRY_RUN not a boolean", validEnv(map[string]string{"DRY_RUN": "maybe"}), "DRY_RUN", "true or false"},
		{"SWEEP_AFTER_HOURS zero", validEnv(map[string]string{"SWEEP_AFTER_HOURS": "0"}), "SWEEP_AFTER_HOURS", "at least 1 hour"},
		{"SWEEP_AFTER_HOURS shorter than a live run", validEnv(map[string]string{"SWEEP_AFTER_HOURS": "24"}), "SWEEP_AFTER_HOURS", "at least 27 hours with a poll limit of 720 minutes (POLL_LIMIT_MINUTES)"},
		{"POLL_LIMIT_MINUTES too long", validEnv(map[string]string{"POLL_LIMIT_MINUTES": "20000"}), "POLL_LIMIT_MINUTES", "one week"},
		{"RPO without unit", validEnv(map[string]string{"RPO": "60"}), "RPO", "such as 15m, 1h"},
		{"RPO in seconds", validEnv(map[string]string{"RPO": "90s"}), "RPO", "such as 15m, 1h"},
		{"RPO units out of order", validEnv(map[string]string{"RPO": "1h1d"}), "RPO", "such as 15m, 1h"},
		{"RPO zero", validEnv(map[string]string{"RPO": "0m"}), "RPO", "out of range"},
		{"RPO over a year", validEnv(map[string]string{"RPO": "400d"}), "RPO", "out of range"},
		{"RPO_BY_NAME without rpo", validEnv(map[string]string{"RPO_BY_NAME": "audit-*"}), "RPO_BY_NAME", "pattern=rpo"},
		{"RPO_BY_NAME bad rpo", validEnv(map[string]string{"RPO_BY_NAME": "audit-*=1y"}), "RPO_BY_NAME", "pattern audit-*"},
		{"RPO_BY_NAME bad glob", validEnv(map[string]string{"RPO_BY_NAME": "a[=1h"}), "RPO_BY_NAME", "table-name glob"},
		{"RPO_BY_NAME empty item", validEnv(map[string]string{"RPO_BY_NAME": "a=1h,,b=1d"}), "RPO_BY_NAME", "comma-separated"},
		{"MAX_UNCHANGED off", validEnv(map[string]string{"MAX_UNCHANGED": "off"}), "MAX_UNCHANGED", "such as 15m"},
		{"MAX_UNCHANGED past the metrics' retention", validEnv(map[string]string{"MAX_UNCHANGED": "16d"}), "MAX_UNCHANGED", "15 days"},
		{"RESTORE_SLOTS zero", validEnv(map[string]string{"RESTORE_SLOTS": "0"}), "RESTORE_SLOTS", "from 1 to 50"},
		{"RESTORE_SLOTS over the account's", validEnv(map[string]string{"RESTORE_SLOTS": "51"}), "RESTORE_SLOTS", "at most 50 restores"},
		{"RESTORE_SLOTS not a number", validEnv(map[string]string{"RESTORE_SLOTS": "forty"}), "RESTORE_SLOTS", "not a whole number"},
		{"DESTINATION_RETENTION unknown tier", validEnv(map[string]string{"DESTINATION_RETENTION": "yearly=2"}), "DESTINATION_RETENTION", "last, hourly, daily, weekly, monthly"},
		{"DESTINATION_RETENTION twice", validEnv(map[string]string{"DESTINATION_RETENTION": "daily=2,daily=3"}), "DESTINATION_RETENTION", "each once"},
		{"DESTINATION_RETENTION negative", validEnv(map[string]string{"DESTINATION_RETENTION": "daily=-1"}), "DESTINATION_RETENTION", "from 0 to"},
		{"SOURCE_RETENTION last=0", validEnv(map[string]string{"SOURCE_RETENTION": "last=0"}), "SOURCE_RETENTION", "newest backup is always kept"},
		{"SOURCE_RETENTION not a number", validEnv(map[string]string{"SOURCE_RETENTION": "last=one"}), "SOURCE_RETENTION", "key=count"},
		{"LEDGER_TABLE bad name", validEnv(map[string]string{"LEDGER_TABLE": "my ledger"}), "LEDGER_TABLE", "may contain only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := core.SettingsFromEnv(getenv(tc.env))
			checkInvalid(t, err, tc.field, tc.hint)
		})
	}
}

func checkInvalid(t *testing.T, err error, field, hint string) {
	t.Helper()
	var invalid *core.InvalidInput
	if !errors.As(err, &invalid) {
		t.Fatalf("err = %v, want *core.InvalidInput", err)
	}
	if invalid.Field != field {
		t.Errorf("Field = %q, want %q (message: %s)", invalid.Field, field, err)
	}
	if !strings.Contains(err.Error(), hint) {
		t.Errorf("message %q does not say %q", err, hint)
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("message %q does not name %s", err, field)
	}
}

func TestOverridesValid(t *testing.T) {
	defaults, err := core.SettingsFromEnv(getenv(validEnv(map[string]string{"TAG_FILTER": "backup=true", "EXCLUDE": "tmp*"})))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		input  string
		change func(s *core.Settings)
	}{
		{"empty", ``, nil},
		{"blank", " \n", nil},
		{"null", `null`, nil},
		{"empty object", `{}`, nil},
		{"explicit nulls", `{"destinationRegions":null,"keepLast":null}`, nil},
		{"regions", `{"sourceRegion":"us-west-2","destinationRegions":["us-east-1","eu-west-1"]}`, func(s *core.Settings) {
			s.SourceRegion, s.DestinationRegions = "us-west-2", []string{"us-east-1", "eu-west-1"}
		}},
		{"numbers and flags", `{"retentionDays":30,"keepLast":1,"maxConcurrency":50,"dryRun":true,"sweepAfterHours":6,"pollLimitMinutes":60}`, func(s *core.Settings) {
			s.RetentionDays, s.KeepLast, s.MaxConcurrency, s.DryRun, s.SweepAfterHours, s.PollLimitMinutes = 30, 1, 50, true, 6, 60
		}},
		{"selection", `{"include":["orders"],"exclude":[],"tagFilter":{}}`, func(s *core.Settings) {
			s.Include, s.Exclude, s.TagFilter = []string{"orders"}, []string{}, map[string]string{}
		}},
		{"kms key", `{"kmsKeyId":" alias/other "}`, func(s *core.Settings) { s.KMSKeyID = "alias/other" }},
		{"copy by RPO", `{"rpo":"6h","rpoByName":["hot-*=15m"],"maxUnchanged":"3d","restoreSlots":20,"destinationRetention":"daily=7","sourceRetention":"last=1"}`, func(s *core.Settings) {
			s.RPO, s.MaxUnchanged, s.RestoreSlots = core.Period(6*time.Hour), core.Period(72*time.Hour), 20
			s.RPOByName = []core.RPORule{{Pattern: "hot-*", RPO: core.Period(15 * time.Minute)}}
			s.DestinationRetention, s.SourceRetention = &core.Tiers{Daily: 7}, &core.Tiers{Last: 1}
		}},
		{"RPO off", `{"rpo":"off"}`, func(s *core.Settings) { s.RPO = core.RPOOff }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := core.ParseOverrides([]byte(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			before := cloneSettings(defaults)
			got, err := o.Apply(defaults)
			if err != nil {
				t.Fatal(err)
			}
			want := cloneSettings(defaults)
			if tc.change != nil {
				tc.change(&want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if !reflect.DeepEqual(defaults, before) {
				t.Errorf("Apply changed the defaults to %+v", defaults)
			}
		})
	}
}

func cloneSettings(s core.Settings) core.Settings {
	s.DestinationRegions = slices.Clone(s.DestinationRegions)
	s.Include, s.Exclude = slices.Clone(s.Include), slices.Clone(s.Exclude)
	s.TagFilter = maps.Clone(s.TagFilter)
	return s
}

// TestOverridesInvalid is invariant 8 for execution input: errors name the
// JSON field as the user wrote it.
func TestOverridesInvalid(t *testing.T) {
	defaults, err := core.SettingsFromEnv(getenv(validEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		field string
		hint  string
	}{
		{"unknown field", `{"retention":3}`, "retention", "allowed fields are"},
		{"env-style name", `{"KEEP_LAST":3}`, "KEEP_LAST", "keepLast"},
		{"wrong type: string for number", `{"keepLast":"3"}`, "keepLast", "expected int"},
		{"wrong type: fraction", `{"retentionDays":1.5}`, "retentionDays", "expected int"},
		{"wrong type: string for list", `{"destinationRegions":"eu-west-1"}`, "destinationRegions", "expected []string"},
		{"wrong type: string for tag filter", `{"tagFilter":"novalue"}`, "tagFilter", "expected map"},
		{"wrong type: string for boolean", `{"dryRun":"yes"}`, "dryRun", "expected bool"},
		{"non-object: array", `[{"keepLast":3}]`, "input", "must be a JSON object"},
		{"non-object: string", `"keepLast=3"`, "input", "must be a JSON object"},
		{"non-object: number", `42`, "input", "must be a JSON object"},
		{"trailing object", `{} {}`, "input", "single JSON object"},
		{"trailing garbage", `{"keepLast":3} x`, "input", "single JSON object"},
		{"not JSON", `{"keepLast":`, "input", "JSON"},
		{"bad source region", `{"sourceRegion":"mars-1"}`, "sourceRegion", "such as us-east-1"},
		{"empty source region", `{"sourceRegion":""}`, "sourceRegion", "is required"},
		{"bad destination", `{"destinationRegions":["mars-1"]}`, "destinationRegions", "not an AWS region"},
		{"no destinations", `{"destinationRegions":[]}`, "destinationRegions", "at least one region"},
		{"destination equals source", `{"destinationRegions":["us-east-1"]}`, "destinationRegions", "is the source region"},
		{"duplicate destination", `{"destinationRegions":["eu-west-1","eu-west-1"]}`, "destinationRegions", "listed twice"},
		{"zero retention", `{"retentionDays":0}`, "retentionDays", "from 1 to 36500"},
		{"zero keep-last", `{"keepLast":0}`, "keepLast", "from 1 to 1000"},
		{"bad include glob", `{"include":["["]}`, "include", "glob"},
		{"no include", `{"include":[]}`, "include", "use * for every table"},
		{"blank exclude", `{"exclude":[" "]}`, "exclude", "glob"},
		{"include with a character no table name has", `{"include":["orders%"]}`, "include", "not a table-name glob"},
		{"empty tag key", `{"tagFilter":{"":"x"}}`, "tagFilter", "empty tag key"},
		{"KMS ARN in another region", `{"kmsKeyId":"arn:aws:kms:us-east-1:123456789012:key/abc"}`, "kmsKeyId", "use an alias"},
		{"zero concurrency", `{"maxConcurrency":0}`, "maxConcurrency", "from 1 to 1000"},
		{"zero sweep bound", `{"sweepAfterHours":0}`, "sweepAfterHours", "at least 1"},
		{"sweep bound shorter than a live run", `{"sweepAfterHours":24}`, "sweepAfterHours", "at least 27 hours with a poll limit of 720 minutes (pollLimitMinutes)"},
		{"zero poll limit", `{"pollLimitMinutes":0}`, "pollLimitMinutes", "from 1 to 10080"},
		{"bad rpo", `{"rpo":"1 hour"}`, "rpo", "such as 15m, 1h"},
		{"rpo as a number", `{"rpo":3600}`, "rpo", "expected string"},
		{"bad rpoByName", `{"rpoByName":["hot-*"]}`, "rpoByName", "pattern=rpo"},
		{"rpoByName as a string", `{"rpoByName":"hot-*=1h"}`, "rpoByName", "expected []string"},
		{"bad maxUnchanged", `{"maxUnchanged":"off"}`, "maxUnchanged", "such as 15m"},
		{"too many restore slots", `{"restoreSlots":60}`, "restoreSlots", "from 1 to 50"},
		{"bad destinationRetention", `{"destinationRetention":"daily"}`, "destinationRetention", "key=count"},
		{"bad sourceRetention", `{"sourceRetention":"last=0"}`, "sourceRetention", "at least 1"},
		{"ledger table is a deployment setting", `{"ledgerTable":"x"}`, "ledgerTable", "allowed fields are"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := core.ParseOverrides([]byte(tc.input))
			if err == nil {
				_, err = o.Apply(defaults)
			}
			checkInvalid(t, err, tc.field, tc.hint)
		})
	}
}

func TestUnknownFieldListsAllowedFields(t *testing.T) {
	_, err := core.ParseOverrides([]byte(`{"retention":3}`))
	for _, name := range []string{"sourceRegion", "destinationRegions", "retentionDays", "keepLast", "include", "exclude", "tagFilter", "kmsKeyId", "maxConcurrency", "dryRun", "sweepAfterHours", "pollLimitMinutes",
		"rpo", "rpoByName", "maxUnchanged", "restoreSlots", "destinationRetention", "sourceRetention"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not list %s", err, name)
		}
	}
}

func TestEnvVarsAreAllRead(t *testing.T) {
	read := map[string]bool{}
	_, _ = core.SettingsFromEnv(func(k string) string { read[k] = true; return "" })
	for _, name := range core.EnvVars {
		if !read[name] {
			t.Errorf("%s is listed in EnvVars but never read", name)
		}
	}
	for name := range read {
		if !slices.Contains(core.EnvVars, name) {
			t.Errorf("%s is read but not listed in EnvVars", name)
		}
	}
}

// TestValidateReportsTheFirstProblemDeterministically: with several bad
// settings, the same one is reported every time, in the documented order.
func TestValidateReportsTheFirstProblemDeterministically(t *testing.T) {
	env := validEnv(map[string]string{"INCLUDE": "[", "EXCLUDE": "]["})
	for range 50 {
		_, err := core.SettingsFromEnv(getenv(env))
		checkInvalid(t, err, "INCLUDE", "glob")
		if t.Failed() {
			return
		}
	}
}

// TestEnvironmentIsTheInverseOfSettingsFromEnv: what the CDK app puts in
// the Lambda environment is read back as the same settings, under the names
// of EnvVars and no others.
func TestEnvironmentIsTheInverseOfSettingsFromEnv(t *testing.T) {
	withRegions := core.DefaultSettings()
	withRegions.SourceRegion, withRegions.DestinationRegions = "us-east-1", []string{"eu-west-1"}
	everything := core.Settings{
		SourceRegion: "us-east-1", DestinationRegions: []string{"eu-west-1", "eu-central-1"},
		RetentionDays: 35, KeepLast: 5, Include: []string{"orders*", "users"}, Exclude: []string{"*-test", "tmp[0-9]"},
		TagFilter: map[string]string{"backup": "true", "env": "prod"}, KMSKeyID: "alias/backup", MaxConcurrency: 40,
		DryRun: true, SweepAfterHours: 52, PollLimitMinutes: 1440, CatalogTable: "my-catalog", RunsPerDay: 4.5,
		RPO: core.Period(36 * time.Hour), RPOByName: []core.RPORule{{Pattern: "hot-*", RPO: core.Period(15 * time.Minute)}, {Pattern: "x?", RPO: core.RPOOff}},
		MaxUnchanged: core.Period(90 * time.Minute), RestoreSlots: 12,
		DestinationRetention: &core.Tiers{Hourly: 24, Monthly: 12}, SourceRetention: &core.Tiers{Last: 2},
		LedgerTable: "my-ledger",
	}
	for name, s := range map[string]core.Settings{"defaults": withRegions, "everything set": everything} {
		t.Run(name, func(t *testing.T) {
			env, err := s.Environment()
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(env)); !slices.Equal(got, slices.Sorted(slices.Values(core.EnvVars))) {
				t.Errorf("Environment sets %v, want EnvVars %v", got, core.EnvVars)
			}
			got, err := core.SettingsFromEnv(getenv(env))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, s) {
				t.Errorf("read back %+v\nwant      %+v", got, s)
			}
		})
	}
}

func TestEnvironmentRefusesATagFilterItCannotCarry(t *testing.T) {
	for _, tags := range []map[string]string{{"a,b": "x"}, {"a=b": "x"}, {"a": "x,y"}, {"a": "x=y"}} {
		s := core.DefaultSettings()
		s.TagFilter = tags
		_, err := s.Environment()
		checkInvalid(t, err, "tagFilter", "write key=value pairs")
	}
}

// TestKMSKeyAcrossDestinations: the temporary tables are restored in every
// destination region, so a key that exists in one region only is refused
// when there are several; aliases and multi-Region keys exist in each.
func TestKMSKeyAcrossDestinations(t *testing.T) {
	const (
		bareID   = "1234abcd-12ab-34cd-56ef-1234567890ab"
		mrkID    = "mrk-1234abcd12ab34cd56ef1234567890ab"
		keyArn   = "arn:aws:kms:eu-west-1:123456789012:key/" + bareID
		aliasArn = "arn:aws:kms:eu-west-1:123456789012:alias/dr-backups"
		one      = "eu-west-1"
		two      = "eu-west-1,eu-central-1"
	)
	tests := []struct {
		key, destinations string
		hint              string // "" when the key is accepted
	}{
		{bareID, one, ""},
		{bareID, two, "use an alias (alias/...) that exists in every destination region or a multi-Region key (mrk-...)"},
		{mrkID, one, ""},
		{mrkID, two, ""},
		{"alias/dr-backups", two, ""},
		{keyArn, one, ""},
		{keyArn, two, "every destination region"},
		{aliasArn, one, ""},
		{aliasArn, two, "every destination region"},
	}
	for _, tc := range tests {
		t.Run(tc.key+" to "+tc.destinations, func(t *testing.T) {
			_, err := core.SettingsFromEnv(getenv(validEnv(map[string]string{"DESTINATION_REGIONS": tc.destinations, "KMS_KEY_ID": tc.key})))
			if tc.hint == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var invalid *core.InvalidInput
			if !errors.As(err, &invalid) || invalid.Field != "KMS_KEY_ID" || !strings.Contains(invalid.Problem, tc.hint) {
				t.Errorf("err = %v, want InvalidInput on KMS_KEY_ID saying %q", err, tc.hint)
			}
		})
	}
	// The execution input is checked the same way.
	s, err := core.SettingsFromEnv(getenv(validEnv(map[string]string{"DESTINATION_REGIONS": two})))
	if err != nil {
		t.Fatal(err)
	}
	o, err := core.ParseOverrides([]byte(`{"kmsKeyId":"` + bareID + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Apply(s); err == nil || !strings.Contains(err.Error(), "kmsKeyId") {
		t.Errorf("override with a bare key id and two destinations: err = %v, want it refused naming kmsKeyId", err)
	}
}

// TestSettingsJSONRoundTrip: the settings travel between handlers as JSON,
// the RPO settings and tiers in their readable forms.
func TestSettingsJSONRoundTrip(t *testing.T) {
	s := core.DefaultSettings()
	s.SourceRegion, s.DestinationRegions = "us-east-1", []string{"eu-west-1"}
	s.RPOByName = []core.RPORule{{Pattern: "hot-*", RPO: core.Period(15 * time.Minute)}}
	s.DestinationRetention, s.SourceRetention = &core.Tiers{Last: 2, Daily: 7}, &core.Tiers{Last: 1}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rpo":"1h"`, `"rpoByName":["hot-*=15m"]`, `"maxUnchanged":"7d"`, `"restoreSlots":40`,
		`"destinationRetention":"last=2,hourly=0,daily=7,weekly=0,monthly=0"`, `"ledgerTable":"xregion-backup-ledger"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var back core.Settings
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("read back %+v\nwant      %+v", back, s)
	}
}
