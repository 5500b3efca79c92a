package core_test

import (
	"maps"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestRestorableTags(t *testing.T) {
	m := core.Manifest{Tags: map[string]string{
		"team":                          "payments",
		"env":                           "prod",
		"aws:cloudformation:stack-name": "orders-stack",
		"aws:backup:source-resource":    "x",
		core.TagOwner:                   core.OwnerValue,
		core.TagRunID:                   "run-1",
		"xregion-backup:anything":       "y",
		"AWS:upper":                     "kept: the reserved prefix is lower case",
		"my-xregion-backup:note":        "kept: only the prefix counts",
	}}
	want := map[string]string{
		"team":                   "payments",
		"env":                    "prod",
		"AWS:upper":              "kept: the reserved prefix is lower case",
		"my-xregion-backup:note": "kept: only the prefix counts",
	}
	got := m.RestorableTags()
	if !maps.Equal(got, want) {
		t.Errorf("RestorableTags() = %v, want %v", got, want)
	}
	if len(m.Tags) != 9 {
		t.Errorf("RestorableTags changed the manifest's own tags: %v", m.Tags)
	}
	if got := (core.Manifest{}).RestorableTags(); len(got) != 0 {
		t.Errorf("no tags: got %v", got)
	}
}

func TestDiff(t *testing.T) {
	// restored is what a fresh restore looks like: billing and class come
	// back, nothing else does.
	restored := core.Manifest{BillingMode: core.BillingPayPerRequest, TableClass: core.TableClassStandard}
	with := func(base core.Manifest, change func(*core.Manifest)) core.Manifest {
		base.Tags = maps.Clone(base.Tags)
		change(&base)
		return base
	}
	prov := func(read, write int64) core.Manifest {
		return with(restored, func(m *core.Manifest) {
			m.BillingMode, m.ReadCapacity, m.WriteCapacity = core.BillingProvisioned, read, write
		})
	}
	type diff = core.SettingsDiff
	tests := []struct {
		name          string
		current, want core.Manifest
		diff          diff
	}{
		{"identical", restored, restored, diff{}},
		{"empty manifest asks for nothing", restored, core.Manifest{}, diff{}},

		{"new tag", restored, with(restored, func(m *core.Manifest) { m.Tags = map[string]string{"team": "a"} }), diff{Tags: map[string]string{"team": "a"}}},
		{"changed tag", with(restored, func(m *core.Manifest) { m.Tags = map[string]string{"team": "a", "env": "prod"} }),
			with(restored, func(m *core.Manifest) { m.Tags = map[string]string{"team": "b", "env": "prod"} }), diff{Tags: map[string]string{"team": "b"}}},
		{"extra tag on the table is left alone", with(restored, func(m *core.Manifest) { m.Tags = map[string]string{"extra": "1"} }), restored, diff{}},
		{"reserved and tool tags are never applied", restored,
			with(restored, func(m *core.Manifest) { m.Tags = map[string]string{"aws:x": "1", core.TagOwner: core.OwnerValue} }), diff{}},

		{"billing mode", restored, prov(10, 5), diff{Billing: true}},
		{"provisioned read capacity", prov(10, 5), prov(20, 5), diff{Billing: true}},
		{"provisioned write capacity", prov(10, 5), prov(10, 6), diff{Billing: true}},
		{"provisioned capacities equal", prov(10, 5), prov(10, 5), diff{}},
		{"on demand ignores capacities", with(restored, func(m *core.Manifest) { m.ReadCapacity, m.WriteCapacity = 1, 1 }), restored, diff{}},
		{"provisioned to on demand", prov(10, 5), restored, diff{Billing: true}},

		{"table class", restored, with(restored, func(m *core.Manifest) { m.TableClass = "STANDARD_INFREQUENT_ACCESS" }), diff{TableClass: true}},
		{"table class back to standard", with(restored, func(m *core.Manifest) { m.TableClass = "STANDARD_INFREQUENT_ACCESS" }), restored, diff{TableClass: true}},
		{"STANDARD wanted, class not reported", with(restored, func(m *core.Manifest) { m.TableClass = "" }), restored, diff{}},
		{"class not recorded", restored, with(restored, func(m *core.Manifest) { m.TableClass = "" }), diff{}},
		{"infrequent access wanted, class not reported", with(restored, func(m *core.Manifest) { m.TableClass = "" }),
			with(restored, func(m *core.Manifest) { m.TableClass = "STANDARD_INFREQUENT_ACCESS" }), diff{TableClass: true}},

		{"stream on", restored, with(restored, func(m *core.Manifest) { m.StreamEnabled, m.StreamViewType = true, "NEW_IMAGE" }), diff{Stream: true}},
		{"stream view type", with(restored, func(m *core.Manifest) { m.StreamEnabled, m.StreamViewType = true, "KEYS_ONLY" }),
			with(restored, func(m *core.Manifest) { m.StreamEnabled, m.StreamViewType = true, "NEW_AND_OLD_IMAGES" }), diff{Stream: true}},
		{"stream off", with(restored, func(m *core.Manifest) { m.StreamEnabled, m.StreamViewType = true, "KEYS_ONLY" }), restored, diff{Stream: true}},
		{"stream off, view type irrelevant", with(restored, func(m *core.Manifest) { m.StreamViewType = "KEYS_ONLY" }), restored, diff{}},

		{"pitr on", restored, with(restored, func(m *core.Manifest) { m.PITREnabled = true }), diff{PITR: true}},
		{"pitr off", with(restored, func(m *core.Manifest) { m.PITREnabled = true }), restored, diff{PITR: true}},
		{"pitr recovery days", with(restored, func(m *core.Manifest) { m.PITREnabled, m.PITRRecoveryDays = true, 35 }),
			with(restored, func(m *core.Manifest) { m.PITREnabled, m.PITRRecoveryDays = true, 7 }), diff{PITR: true}},
		{"pitr days not recorded", with(restored, func(m *core.Manifest) { m.PITREnabled, m.PITRRecoveryDays = true, 35 }),
			with(restored, func(m *core.Manifest) { m.PITREnabled = true }), diff{}},
		{"pitr same days", with(restored, func(m *core.Manifest) { m.PITREnabled, m.PITRRecoveryDays = true, 7 }),
			with(restored, func(m *core.Manifest) { m.PITREnabled, m.PITRRecoveryDays = true, 7 }), diff{}},

		{"ttl on", restored, with(restored, func(m *core.Manifest) { m.TTLEnabled, m.TTLAttribute = true, "expires" }), diff{TTL: true}},
		{"ttl attribute changed", with(restored, func(m *core.Manifest) { m.TTLEnabled, m.TTLAttribute = true, "old" }),
			with(restored, func(m *core.Manifest) { m.TTLEnabled, m.TTLAttribute = true, "expires" }), diff{TTL: true}},
		{"ttl same", with(restored, func(m *core.Manifest) { m.TTLEnabled, m.TTLAttribute = true, "expires" }),
			with(restored, func(m *core.Manifest) { m.TTLEnabled, m.TTLAttribute = true, "expires" }), diff{}},
		// A restored table never has TTL on; the tool only turns it on.
		{"ttl not wanted is left alone", with(restored, func(m *core.Manifest) { m.TTLEnabled, m.TTLAttribute = true, "expires" }), restored, diff{}},

		{"deletion protection on", restored, with(restored, func(m *core.Manifest) { m.DeletionProtection = true }), diff{DeletionProtection: true}},
		{"deletion protection off", with(restored, func(m *core.Manifest) { m.DeletionProtection = true }), restored, diff{DeletionProtection: true}},

		{"everything at once", restored, core.Manifest{
			BillingMode: core.BillingProvisioned, ReadCapacity: 3, WriteCapacity: 4, TableClass: "STANDARD_INFREQUENT_ACCESS",
			DeletionProtection: true, StreamEnabled: true, StreamViewType: "NEW_IMAGE", TTLEnabled: true, TTLAttribute: "ttl",
			PITREnabled: true, PITRRecoveryDays: 10, Tags: map[string]string{"a": "1", "aws:b": "2"},
		}, diff{Tags: map[string]string{"a": "1"}, Billing: true, TTL: true, PITR: true, TableClass: true, Stream: true, DeletionProtection: true}},

		{"item count and size are not settings", restored, with(restored, func(m *core.Manifest) {
			m.ItemCount, m.SizeBytes, m.SourceTable, m.SourceRegion = 100, 1<<20, "orders", "us-east-1"
		}), diff{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := core.Diff(tc.current, tc.want)
			if !maps.Equal(got.Tags, tc.diff.Tags) || got.Billing != tc.diff.Billing || got.TTL != tc.diff.TTL || got.PITR != tc.diff.PITR ||
				got.TableClass != tc.diff.TableClass || got.Stream != tc.diff.Stream || got.DeletionProtection != tc.diff.DeletionProtection {
				t.Errorf("Diff = %+v, want %+v", got, tc.diff)
			}
			d := tc.diff
			wantEmpty := len(d.Tags) == 0 && !d.Billing && !d.TTL && !d.PITR && !d.TableClass && !d.Stream && !d.DeletionProtection
			if got.Empty() != wantEmpty {
				t.Errorf("Empty() = %v, want %v for %+v", got.Empty(), wantEmpty, got)
			}
		})
	}
}

func TestSettingsDiffEmpty(t *testing.T) {
	type diff = core.SettingsDiff
	if !(diff{}).Empty() || !(diff{Tags: map[string]string{}}).Empty() {
		t.Error("a diff with nothing set is not empty")
	}
	for name, d := range map[string]diff{
		"tags":               {Tags: map[string]string{"a": "1"}},
		"billing":            {Billing: true},
		"ttl":                {TTL: true},
		"pitr":               {PITR: true},
		"tableClass":         {TableClass: true},
		"stream":             {Stream: true},
		"deletionProtection": {DeletionProtection: true},
	} {
		if d.Empty() {
			t.Errorf("%s: Empty() = true for %+v", name, d)
		}
	}
}
