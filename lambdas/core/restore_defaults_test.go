package core_test

import (
	"slices"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestRestoreDefaultsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want core.RestoreDefaults
	}{
		{"only the region set", map[string]string{"AWS_REGION": "eu-west-1"},
			core.RestoreDefaults{TargetRegion: "eu-west-1", CatalogTable: core.DefaultCatalogTable, LedgerTable: core.DefaultLedgerTable, PollLimitMinutes: core.DefaultPollLimitMinutes}},
		{"the function's region is the target, not a destination", map[string]string{"AWS_REGION": " eu-west-1 ", "DESTINATION_REGIONS": "ap-southeast-2,eu-west-1"},
			core.RestoreDefaults{TargetRegion: "eu-west-1", CatalogTable: core.DefaultCatalogTable, LedgerTable: core.DefaultLedgerTable, PollLimitMinutes: 720}},
		{"no source region needed", map[string]string{"AWS_REGION": "eu-west-1", "SOURCE_REGION": ""},
			core.RestoreDefaults{TargetRegion: "eu-west-1", CatalogTable: core.DefaultCatalogTable, LedgerTable: core.DefaultLedgerTable, PollLimitMinutes: 720}},
		{"catalog, ledger and poll limit", map[string]string{"AWS_REGION": "us-west-2", "CATALOG_TABLE": " my-catalog ", "LEDGER_TABLE": "my-ledger", "POLL_LIMIT_MINUTES": "90"},
			core.RestoreDefaults{TargetRegion: "us-west-2", CatalogTable: "my-catalog", LedgerTable: "my-ledger", PollLimitMinutes: 90}},
		{"backup settings are not read", map[string]string{"AWS_REGION": "eu-west-1", "DESTINATION_REGIONS": "Ireland,,x", "RETENTION_DAYS": "banana", "SOURCE_REGION": "eu-west-1"},
			core.RestoreDefaults{TargetRegion: "eu-west-1", CatalogTable: core.DefaultCatalogTable, LedgerTable: core.DefaultLedgerTable, PollLimitMinutes: 720}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := core.RestoreDefaultsFromEnv(getenv(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("RestoreDefaultsFromEnv = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRestoreDefaultsFromEnvInvalid(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		field string
		hint  string
	}{
		{"no region", nil, "AWS_REGION", "is not set"},
		{"blank region", map[string]string{"AWS_REGION": "  ", "DESTINATION_REGIONS": "eu-west-1"}, "AWS_REGION", "is not set"},
		{"bad region", map[string]string{"AWS_REGION": "Ireland"}, "AWS_REGION", "not an AWS region name"},
		{"bad catalog name", map[string]string{"AWS_REGION": "eu-west-1", "CATALOG_TABLE": "my catalog"}, "CATALOG_TABLE", "may contain only"},
		{"short catalog name", map[string]string{"AWS_REGION": "eu-west-1", "CATALOG_TABLE": "c"}, "CATALOG_TABLE", "3 to 255"},
		{"bad ledger name", map[string]string{"AWS_REGION": "eu-west-1", "LEDGER_TABLE": "my/ledger"}, "LEDGER_TABLE", "may contain only"},
		{"poll limit not a number", map[string]string{"AWS_REGION": "eu-west-1", "POLL_LIMIT_MINUTES": "an hour"}, "POLL_LIMIT_MINUTES", "not a whole number"},
		// A restore would start and then fail on its first poll: refuse
		// before anything changes.
		{"poll limit zero", map[string]string{"AWS_REGION": "eu-west-1", "POLL_LIMIT_MINUTES": "0"}, "POLL_LIMIT_MINUTES", "1 to 10080"},
		{"poll limit negative", map[string]string{"AWS_REGION": "eu-west-1", "POLL_LIMIT_MINUTES": "-5"}, "POLL_LIMIT_MINUTES", "1 to 10080"},
		{"poll limit over a week", map[string]string{"AWS_REGION": "eu-west-1", "POLL_LIMIT_MINUTES": "10081"}, "POLL_LIMIT_MINUTES", "1 to 10080"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := core.RestoreDefaultsFromEnv(getenv(tc.env))
			checkInvalid(t, err, tc.field, tc.hint)
		})
	}
}

// TestRestoreEnvVarsAreAllRead: a restore reads AWS_REGION and exactly
// RestoreEnvVars, which is all the environment the restore stacks give
// their functions.
func TestRestoreEnvVarsAreAllRead(t *testing.T) {
	read := map[string]bool{}
	_, err := core.RestoreDefaultsFromEnv(func(k string) string {
		read[k] = true
		if k == core.EnvRegion {
			return "eu-west-1"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{core.EnvRegion}, core.RestoreEnvVars...)
	for _, name := range want {
		if !read[name] {
			t.Errorf("%s is listed but never read", name)
		}
	}
	for name := range read {
		if !slices.Contains(want, name) {
			t.Errorf("%s is read but not listed in RestoreEnvVars", name)
		}
	}
}
