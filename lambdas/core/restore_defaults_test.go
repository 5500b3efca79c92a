package core_test

import (
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestRestoreDefaultsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want core.RestoreDefaults
	}{
		{"nothing set", nil, core.RestoreDefaults{CatalogTable: core.DefaultCatalogTable, PollLimitMinutes: core.DefaultPollLimitMinutes}},
		{"the first destination is the target", map[string]string{"DESTINATION_REGIONS": " eu-west-1 , ap-southeast-2 "},
			core.RestoreDefaults{TargetRegion: "eu-west-1", CatalogTable: core.DefaultCatalogTable, PollLimitMinutes: 720}},
		{"no source region needed", map[string]string{"DESTINATION_REGIONS": "eu-west-1", "SOURCE_REGION": ""},
			core.RestoreDefaults{TargetRegion: "eu-west-1", CatalogTable: core.DefaultCatalogTable, PollLimitMinutes: 720}},
		{"catalog and poll limit", map[string]string{"CATALOG_TABLE": " my-catalog ", "POLL_LIMIT_MINUTES": "90"},
			core.RestoreDefaults{CatalogTable: "my-catalog", PollLimitMinutes: 90}},
		{"backup settings are not read", map[string]string{"DESTINATION_REGIONS": "eu-west-1", "RETENTION_DAYS": "banana", "SOURCE_REGION": "eu-west-1"},
			core.RestoreDefaults{TargetRegion: "eu-west-1", CatalogTable: core.DefaultCatalogTable, PollLimitMinutes: 720}},
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
		{"bad first region", map[string]string{"DESTINATION_REGIONS": "Ireland"}, "DESTINATION_REGIONS", "not an AWS region name"},
		{"empty item", map[string]string{"DESTINATION_REGIONS": "eu-west-1,,us-west-2"}, "DESTINATION_REGIONS", "empty item"},
		{"bad catalog name", map[string]string{"CATALOG_TABLE": "my catalog"}, "CATALOG_TABLE", "may contain only"},
		{"short catalog name", map[string]string{"CATALOG_TABLE": "c"}, "CATALOG_TABLE", "3 to 255"},
		{"poll limit not a number", map[string]string{"POLL_LIMIT_MINUTES": "an hour"}, "POLL_LIMIT_MINUTES", "not a whole number"},
		// A restore would start and then fail on its first poll: refuse
		// before anything changes.
		{"poll limit zero", map[string]string{"POLL_LIMIT_MINUTES": "0"}, "POLL_LIMIT_MINUTES", "1 to 10080"},
		{"poll limit negative", map[string]string{"POLL_LIMIT_MINUTES": "-5"}, "POLL_LIMIT_MINUTES", "1 to 10080"},
		{"poll limit over a week", map[string]string{"POLL_LIMIT_MINUTES": "10081"}, "POLL_LIMIT_MINUTES", "1 to 10080"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := core.RestoreDefaultsFromEnv(getenv(tc.env))
			checkInvalid(t, err, tc.field, tc.hint)
		})
	}
}
