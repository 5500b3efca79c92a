package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// This file holds the JSON shapes shared by several operations. Field names
// match the DynamoDB wire format, which encoding/json derives from the Go
// field names.

// epochTime is a timestamp in DynamoDB's wire format: seconds since the Unix
// epoch as a JSON number with a fractional part.
type epochTime time.Time

func newEpoch(t time.Time) *epochTime {
	e := epochTime(t)
	return &e
}

func (t epochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

func (t *epochTime) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("invalid timestamp %q", b)
	}
	// DynamoDB timestamps have millisecond precision; rounding also absorbs
	// the float error of the client's encoding.
	*t = epochTime(time.UnixMilli(int64(math.Round(f * 1000))))
	return nil
}

func (t *epochTime) time() time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t)
}

type keySchemaElement struct {
	AttributeName string
	KeyType       string
}

type attributeDefinition struct {
	AttributeName string
	AttributeType string
}

type projection struct {
	ProjectionType   string   `json:",omitempty"`
	NonKeyAttributes []string `json:",omitempty"`
}

type provisionedThroughput struct {
	ReadCapacityUnits  *int64 `json:",omitempty"`
	WriteCapacityUnits *int64 `json:",omitempty"`
}

type provisionedThroughputDescription struct {
	LastIncreaseDateTime   *epochTime `json:",omitempty"`
	LastDecreaseDateTime   *epochTime `json:",omitempty"`
	NumberOfDecreasesToday int64
	ReadCapacityUnits      int64
	WriteCapacityUnits     int64
}

type secondaryIndexInput struct {
	IndexName             string
	KeySchema             []keySchemaElement
	Projection            projection
	ProvisionedThroughput *provisionedThroughput `json:",omitempty"`
}

type streamSpecification struct {
	StreamEnabled  bool
	StreamViewType string `json:",omitempty"`
}

type sseSpecification struct {
	Enabled        *bool  `json:",omitempty"`
	SSEType        string `json:",omitempty"`
	KMSMasterKeyId string `json:",omitempty"`
}

type sseDescription struct {
	Status          string `json:",omitempty"`
	SSEType         string `json:",omitempty"`
	KMSMasterKeyArn string `json:",omitempty"`
}

type tag struct {
	Key   string
	Value string
}

type billingModeSummary struct {
	BillingMode                       string
	LastUpdateToPayPerRequestDateTime *epochTime `json:",omitempty"`
}

type tableClassSummary struct {
	TableClass         string
	LastUpdateDateTime *epochTime `json:",omitempty"`
}

type restoreSummary struct {
	SourceBackupArn   string `json:",omitempty"`
	SourceTableArn    string `json:",omitempty"`
	RestoreDateTime   *epochTime
	RestoreInProgress bool
}

type indexDescription struct {
	IndexName             string
	KeySchema             []keySchemaElement
	Projection            projection
	IndexStatus           string                            `json:",omitempty"`
	Backfilling           *bool                             `json:",omitempty"`
	ProvisionedThroughput *provisionedThroughputDescription `json:",omitempty"`
	IndexSizeBytes        int64
	ItemCount             int64
	IndexArn              string
}

type tableDescription struct {
	AttributeDefinitions      []attributeDefinition
	TableName                 string
	KeySchema                 []keySchemaElement
	TableStatus               string
	CreationDateTime          *epochTime
	ProvisionedThroughput     provisionedThroughputDescription
	TableSizeBytes            int64
	ItemCount                 int64
	TableArn                  string
	TableId                   string
	BillingModeSummary        *billingModeSummary  `json:",omitempty"`
	LocalSecondaryIndexes     []indexDescription   `json:",omitempty"`
	GlobalSecondaryIndexes    []indexDescription   `json:",omitempty"`
	StreamSpecification       *streamSpecification `json:",omitempty"`
	LatestStreamLabel         string               `json:",omitempty"`
	LatestStreamArn           string               `json:",omitempty"`
	RestoreSummary            *restoreSummary      `json:",omitempty"`
	SSEDescription            *sseDescription      `json:",omitempty"`
	TableClassSummary         *tableClassSummary   `json:",omitempty"`
	DeletionProtectionEnabled bool
}

// decodeInput unmarshals a request body. Type mismatches are reported the way
// AWS reports them, as a SerializationException.
func decodeInput(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return newError(codeSerialization, "%s", serializationMessage(err))
	}
	return nil
}

func serializationMessage(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("Unexpected value type in payload for field %s", typeErr.Field)
	}
	return "Start of structure or map found where not expected."
}
