package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// This file holds the JSON shapes shared by several operations. Field names
// match the DynamoDB wire format, which encoding/json derives from the Go
// field names.

// Item is an item as it travels: attribute name → AttributeValue JSON
// exactly as the client sent it (e.g. {"S":"x"}).
type Item map[string]json.RawMessage

// Clone returns a shallow copy of it (never nil).
func (it Item) Clone() Item {
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = v
	}
	return out
}

// Epoch is a timestamp in DynamoDB's wire format: seconds since the Unix
// epoch as a JSON number with a fractional part.
type Epoch time.Time

// NewEpoch returns t as an Epoch.
func NewEpoch(t time.Time) *Epoch {
	e := Epoch(t)
	return &e
}

func (t Epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

func (t *Epoch) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("invalid timestamp %q", b)
	}
	// DynamoDB timestamps have millisecond precision; rounding also absorbs
	// the float error of the client's encoding.
	*t = Epoch(time.UnixMilli(int64(math.Round(f * 1000))))
	return nil
}

// Time is the timestamp, or the zero time for nil.
func (t *Epoch) Time() time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t)
}

type KeySchemaElement struct {
	AttributeName string
	KeyType       string
}

type AttributeDefinition struct {
	AttributeName string
	AttributeType string
}

type Projection struct {
	ProjectionType   string   `json:",omitempty"`
	NonKeyAttributes []string `json:",omitempty"`
}

// ProvisionedThroughput is the throughput of a request; both members are
// optional on input.
type ProvisionedThroughput struct {
	ReadCapacityUnits  *int64 `json:",omitempty"`
	WriteCapacityUnits *int64 `json:",omitempty"`
}

// Throughput returns a ProvisionedThroughput with both members set.
func Throughput(rcu, wcu int64) *ProvisionedThroughput {
	return &ProvisionedThroughput{ReadCapacityUnits: &rcu, WriteCapacityUnits: &wcu}
}

type ProvisionedThroughputDescription struct {
	LastIncreaseDateTime   *Epoch `json:",omitempty"`
	LastDecreaseDateTime   *Epoch `json:",omitempty"`
	NumberOfDecreasesToday int64
	ReadCapacityUnits      int64
	WriteCapacityUnits     int64
}

// SecondaryIndex is a GlobalSecondaryIndex or LocalSecondaryIndex of a
// request, and an index of a backup's SourceTableFeatureDetails.
type SecondaryIndex struct {
	IndexName             string
	KeySchema             []KeySchemaElement
	Projection            Projection
	ProvisionedThroughput *ProvisionedThroughput `json:",omitempty"`
}

type StreamSpecification struct {
	StreamEnabled  bool
	StreamViewType string `json:",omitempty"`
}

type SSESpecification struct {
	Enabled        *bool  `json:",omitempty"`
	SSEType        string `json:",omitempty"`
	KMSMasterKeyId string `json:",omitempty"`
}

type SSEDescription struct {
	Status          string `json:",omitempty"`
	SSEType         string `json:",omitempty"`
	KMSMasterKeyArn string `json:",omitempty"`
}

type Tag struct {
	Key   string
	Value string
}

type BillingModeSummary struct {
	BillingMode                       string
	LastUpdateToPayPerRequestDateTime *Epoch `json:",omitempty"`
}

type TableClassSummary struct {
	TableClass         string
	LastUpdateDateTime *Epoch `json:",omitempty"`
}

type RestoreSummary struct {
	SourceBackupArn   string `json:",omitempty"`
	SourceTableArn    string `json:",omitempty"`
	RestoreDateTime   *Epoch
	RestoreInProgress bool
}

type IndexDescription struct {
	IndexName             string
	KeySchema             []KeySchemaElement
	Projection            Projection
	IndexStatus           string                            `json:",omitempty"`
	Backfilling           *bool                             `json:",omitempty"`
	ProvisionedThroughput *ProvisionedThroughputDescription `json:",omitempty"`
	IndexSizeBytes        int64
	ItemCount             int64
	IndexArn              string
}

type TableDescription struct {
	AttributeDefinitions      []AttributeDefinition
	TableName                 string
	KeySchema                 []KeySchemaElement
	TableStatus               string
	CreationDateTime          *Epoch
	ProvisionedThroughput     ProvisionedThroughputDescription
	TableSizeBytes            int64
	ItemCount                 int64
	TableArn                  string
	TableId                   string
	BillingModeSummary        *BillingModeSummary  `json:",omitempty"`
	LocalSecondaryIndexes     []IndexDescription   `json:",omitempty"`
	GlobalSecondaryIndexes    []IndexDescription   `json:",omitempty"`
	StreamSpecification       *StreamSpecification `json:",omitempty"`
	LatestStreamLabel         string               `json:",omitempty"`
	LatestStreamArn           string               `json:",omitempty"`
	RestoreSummary            *RestoreSummary      `json:",omitempty"`
	SSEDescription            *SSEDescription      `json:",omitempty"`
	TableClassSummary         *TableClassSummary   `json:",omitempty"`
	DeletionProtectionEnabled bool
}

type TimeToLiveSpecification struct {
	Enabled       bool
	AttributeName string
}

type TimeToLiveDescription struct {
	TimeToLiveStatus string
	AttributeName    string `json:",omitempty"`
}

type PointInTimeRecoveryDescription struct {
	PointInTimeRecoveryStatus  string
	RecoveryPeriodInDays       int32  `json:",omitempty"`
	EarliestRestorableDateTime *Epoch `json:",omitempty"`
	LatestRestorableDateTime   *Epoch `json:",omitempty"`
}

type ContinuousBackupsDescription struct {
	ContinuousBackupsStatus        string
	PointInTimeRecoveryDescription PointInTimeRecoveryDescription
}

type BackupDetails struct {
	BackupArn              string
	BackupName             string
	BackupSizeBytes        int64
	BackupStatus           string
	BackupType             string
	BackupCreationDateTime *Epoch
}

type BackupSummary struct {
	TableName              string
	TableId                string
	TableArn               string
	BackupArn              string
	BackupName             string
	BackupCreationDateTime *Epoch
	BackupStatus           string
	BackupType             string
	BackupSizeBytes        int64
}

type SourceTableDetails struct {
	TableName             string
	TableId               string
	TableArn              string
	TableSizeBytes        int64
	KeySchema             []KeySchemaElement
	TableCreationDateTime *Epoch
	ProvisionedThroughput *ProvisionedThroughput
	ItemCount             int64
	BillingMode           string
}

type SourceTableFeatureDetails struct {
	LocalSecondaryIndexes  []SecondaryIndex       `json:",omitempty"`
	GlobalSecondaryIndexes []SecondaryIndex       `json:",omitempty"`
	StreamDescription      *StreamSpecification   `json:",omitempty"`
	TimeToLiveDescription  *TimeToLiveDescription `json:",omitempty"`
	SSEDescription         *SSEDescription        `json:",omitempty"`
}

type BackupDescription struct {
	BackupDetails             BackupDetails
	SourceTableDetails        SourceTableDetails
	SourceTableFeatureDetails SourceTableFeatureDetails
}

// ExpressionAttributes are the placeholders of a request's expressions.
type ExpressionAttributes struct {
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]json.RawMessage
}
