package core_test

import (
	"maps"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestOwnershipProblem(t *testing.T) {
	started := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	backup := "arn:aws:dynamodb:us-east-1:123456789012:table/orders/backup/01748779200000-aaaaaaaa"
	other := "arn:aws:dynamodb:us-east-1:123456789012:table/orders/backup/01748779299999-bbbbbbbb"
	owned := core.Table{Name: core.TempTableName("us-east-1", "orders"), RestoredFrom: backup}
	ownedTags := core.OwnerTags("run-1", started, "us-east-1", "orders", backup)

	tests := []struct {
		name   string
		table  func(t *core.Table)
		tags   func(tags map[string]string)
		wantOK bool
	}{
		{name: "owned", wantOK: true},
		{name: "owned, no RestoreSummary", table: func(t *core.Table) { t.RestoredFrom = "" }, wantOK: true},
		{name: "normal name", table: func(t *core.Table) { t.Name = "orders" }},
		{name: "no owner tag", tags: func(tags map[string]string) { delete(tags, core.TagOwner) }},
		{name: "other owner", tags: func(tags map[string]string) { tags[core.TagOwner] = "other-tool" }},
		{name: "no tags", tags: func(tags map[string]string) { clear(tags) }},
		{name: "source table tag differs", tags: func(tags map[string]string) { tags[core.TagSourceTable] = "payments" }},
		{name: "source region tag differs", tags: func(tags map[string]string) { tags[core.TagSourceRegion] = "us-west-2" }},
		{name: "name of another source", table: func(t *core.Table) { t.Name = core.TempTableName("us-east-1", "payments") }},
		{name: "restored from another backup", table: func(t *core.Table) { t.RestoredFrom = other }},
		{name: "source backup tag differs", tags: func(tags map[string]string) { tags[core.TagSourceBackup] = "01748779299999-bbbbbbbb" }},
		{name: "source backup tag missing", tags: func(tags map[string]string) { delete(tags, core.TagSourceBackup) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table, tags := owned, maps.Clone(ownedTags)
			if tc.table != nil {
				tc.table(&table)
			}
			if tc.tags != nil {
				tc.tags(tags)
			}
			problem := core.OwnershipProblem(table, tags)
			if (problem == "") != tc.wantOK {
				t.Errorf("OwnershipProblem = %q, want owned=%v", problem, tc.wantOK)
			}
		})
	}
}

func TestOwnerTags(t *testing.T) {
	started := time.Date(2025, 6, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	arn := "arn:aws:dynamodb:us-east-1:123456789012:table/orders/backup/01748779200000-aaaaaaaa"
	got := core.OwnerTags("run-1", started, "us-east-1", "orders", arn)
	want := map[string]string{
		core.TagOwner:        core.OwnerValue,
		core.TagRunID:        "run-1",
		core.TagStartedAt:    "2025-06-01T12:00:00Z",
		core.TagSourceTable:  "orders",
		core.TagSourceRegion: "us-east-1",
		core.TagSourceBackup: "01748779200000-aaaaaaaa",
	}
	if !maps.Equal(got, want) {
		t.Errorf("OwnerTags = %v, want %v", got, want)
	}
	for k, v := range got {
		if len(k) > 128 || len(v) > 256 {
			t.Errorf("tag %s=%s exceeds DynamoDB's tag limits", k, v)
		}
	}
}
