package core

import (
	"maps"
	"strings"
	"time"
)

// Manifest records the settings of a source table that a backup does not
// carry, so that a restore can bring them back. It is captured when the
// backup is made and stored in the catalog of each destination region.
type Manifest struct {
	SourceRegion string    `json:"sourceRegion"`
	SourceTable  string    `json:"sourceTable"`
	CapturedAt   time.Time `json:"capturedAt"`

	BillingMode   string `json:"billingMode"` // PAY_PER_REQUEST or PROVISIONED
	ReadCapacity  int64  `json:"readCapacity,omitempty"`
	WriteCapacity int64  `json:"writeCapacity,omitempty"`
	// IndexCapacity is each global secondary index's provisioned capacity,
	// for PROVISIONED tables: switching a table with indexes to PROVISIONED
	// needs them.
	IndexCapacity map[string]Capacity `json:"indexCapacity,omitempty"`
	TableClass    string              `json:"tableClass,omitempty"` // STANDARD or STANDARD_INFREQUENT_ACCESS

	DeletionProtection bool   `json:"deletionProtection"`
	StreamEnabled      bool   `json:"streamEnabled"`
	StreamViewType     string `json:"streamViewType,omitempty"`
	TTLEnabled         bool   `json:"ttlEnabled"`
	TTLAttribute       string `json:"ttlAttribute,omitempty"`
	PITREnabled        bool   `json:"pitrEnabled"`
	PITRRecoveryDays   int32  `json:"pitrRecoveryDays,omitempty"`

	Tags map[string]string `json:"tags,omitempty"`

	ItemCount int64 `json:"itemCount"`
	SizeBytes int64 `json:"sizeBytes"`
}

// Capacity is a provisioned read and write capacity.
type Capacity struct {
	Read  int64 `json:"read"`
	Write int64 `json:"write"`
}

// Billing modes and the default table class.
const (
	BillingPayPerRequest = "PAY_PER_REQUEST"
	BillingProvisioned   = "PROVISIONED"
	TableClassStandard   = "STANDARD"
)

// RestorableTags returns the tags a user may set: AWS reserves the "aws:"
// prefix, and the tool's own tags do not belong on a restored table.
func (m Manifest) RestorableTags() map[string]string {
	tags := maps.Clone(m.Tags)
	maps.DeleteFunc(tags, func(k, _ string) bool {
		return strings.HasPrefix(k, "aws:") || strings.HasPrefix(k, ReservedTagPrefix)
	})
	return tags
}

// SettingsDiff lists, in the order they are applied, the settings of
// current that differ from want. Table-level updates (class, stream,
// deletion protection) are separate because DynamoDB takes one UpdateTable
// at a time and the table is UPDATING in between.
type SettingsDiff struct {
	Tags               map[string]string // to add or change
	Billing            bool
	TTL                bool
	PITR               bool
	TableClass         bool
	Stream             bool
	DeletionProtection bool
}

// Empty reports whether nothing differs.
func (d SettingsDiff) Empty() bool {
	return len(d.Tags) == 0 && !d.Billing && !d.TTL && !d.PITR && !d.TableClass && !d.Stream && !d.DeletionProtection
}

// Diff compares the current settings of a restored table with the manifest.
func Diff(current, want Manifest) SettingsDiff {
	var d SettingsDiff
	for k, v := range want.RestorableTags() {
		if current.Tags[k] != v {
			if d.Tags == nil {
				d.Tags = map[string]string{}
			}
			d.Tags[k] = v
		}
	}
	d.TTL = want.TTLEnabled && (!current.TTLEnabled || current.TTLAttribute != want.TTLAttribute)
	d.PITR = want.PITREnabled != current.PITREnabled ||
		(want.PITREnabled && want.PITRRecoveryDays != 0 && want.PITRRecoveryDays != current.PITRRecoveryDays)
	d.Billing = want.BillingMode != "" && (want.BillingMode != current.BillingMode ||
		want.BillingMode == BillingProvisioned && (want.ReadCapacity != current.ReadCapacity || want.WriteCapacity != current.WriteCapacity ||
			!maps.Equal(want.IndexCapacity, current.IndexCapacity)))
	d.TableClass = want.TableClass != "" && want.TableClass != current.TableClass &&
		!(want.TableClass == TableClassStandard && current.TableClass == "")
	d.Stream = want.StreamEnabled != current.StreamEnabled ||
		(want.StreamEnabled && want.StreamViewType != current.StreamViewType)
	d.DeletionProtection = want.DeletionProtection != current.DeletionProtection
	return d
}
