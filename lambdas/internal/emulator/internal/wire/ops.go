package wire

// This file holds the request and response of every operation the emulator
// serves. Outputs omit what DynamoDB omits: `omitzero` on items and lists
// leaves out a nil value but keeps an empty one.

// TableName is the input of the operations that name only a table:
// DescribeTable, DeleteTable, DescribeTimeToLive, DescribeContinuousBackups.
type TableName struct{ TableName string }

// BackupArn is the input of DescribeBackup and DeleteBackup.
type BackupArn struct{ BackupArn string }

// Empty is the output of operations that return nothing.
type Empty struct{}

// TableSettings are the members CreateTable and UpdateTable share.
type TableSettings struct {
	BillingMode               string
	ProvisionedThroughput     *ProvisionedThroughput
	StreamSpecification       *StreamSpecification
	SSESpecification          *SSESpecification
	TableClass                string
	DeletionProtectionEnabled *bool
}

type CreateTableInput struct {
	TableName              string
	KeySchema              []KeySchemaElement
	AttributeDefinitions   []AttributeDefinition
	GlobalSecondaryIndexes []SecondaryIndex
	LocalSecondaryIndexes  []SecondaryIndex
	Tags                   []Tag
	TableSettings
}

// TableDescriptionOutput is the output of CreateTable, UpdateTable,
// DeleteTable and RestoreTableFromBackup.
type TableDescriptionOutput struct{ TableDescription TableDescription }

type DescribeTableOutput struct{ Table TableDescription }

type ListTablesInput struct {
	ExclusiveStartTableName string
	Limit                   *int32
}

type ListTablesOutput struct {
	LastEvaluatedTableName string `json:",omitempty"`
	TableNames             []string
}

type UpdateTableInput struct {
	TableName                   string
	AttributeDefinitions        []AttributeDefinition
	GlobalSecondaryIndexUpdates []GlobalSecondaryIndexUpdate
	TableSettings
}

type GlobalSecondaryIndexUpdate struct {
	Create *SecondaryIndex
	Update *struct {
		IndexName             string
		ProvisionedThroughput *ProvisionedThroughput
	}
	Delete *struct{ IndexName string }
}

type TagResourceInput struct {
	ResourceArn string
	Tags        []Tag
}

type UntagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

type ListTagsOfResourceInput struct {
	ResourceArn string
	NextToken   string
}

type ListTagsOfResourceOutput struct{ Tags []Tag }

type UpdateTimeToLiveInput struct {
	TableName               string
	TimeToLiveSpecification *TimeToLiveSpecification
}

type UpdateTimeToLiveOutput struct{ TimeToLiveSpecification *TimeToLiveSpecification }

type DescribeTimeToLiveOutput struct{ TimeToLiveDescription TimeToLiveDescription }

type UpdateContinuousBackupsInput struct {
	TableName                        string
	PointInTimeRecoverySpecification *struct {
		PointInTimeRecoveryEnabled bool
		RecoveryPeriodInDays       *int32
	}
}

// ContinuousBackupsOutput is the output of UpdateContinuousBackups and
// DescribeContinuousBackups.
type ContinuousBackupsOutput struct{ ContinuousBackupsDescription ContinuousBackupsDescription }

type CreateBackupInput struct{ TableName, BackupName string }

type CreateBackupOutput struct{ BackupDetails BackupDetails }

// BackupDescriptionOutput is the output of DescribeBackup and DeleteBackup.
type BackupDescriptionOutput struct{ BackupDescription BackupDescription }

type ListBackupsInput struct {
	TableName               string
	Limit                   *int32
	TimeRangeLowerBound     *Epoch
	TimeRangeUpperBound     *Epoch
	ExclusiveStartBackupArn string
	BackupType              string
}

type ListBackupsOutput struct {
	BackupSummaries        []BackupSummary
	LastEvaluatedBackupArn string `json:",omitempty"`
}

type RestoreTableFromBackupInput struct {
	TargetTableName               string
	BackupArn                     string
	BillingModeOverride           string
	ProvisionedThroughputOverride *ProvisionedThroughput
	GlobalSecondaryIndexOverride  []SecondaryIndex
	LocalSecondaryIndexOverride   []SecondaryIndex
	SSESpecificationOverride      *SSESpecification
}

// ItemWrite is what PutItem, DeleteItem and UpdateItem have in common.
type ItemWrite struct {
	TableName                           string
	ConditionExpression                 string
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
	ExpressionAttributes
}

type PutItemInput struct {
	Item Item
	ItemWrite
}

type DeleteItemInput struct {
	Key Item
	ItemWrite
}

type UpdateItemInput struct {
	Key              Item
	UpdateExpression string
	ItemWrite
}

// AttributesOutput is the output of PutItem, DeleteItem and UpdateItem.
type AttributesOutput struct {
	Attributes Item `json:",omitzero"`
}

type GetItemInput struct {
	TableName            string
	Key                  Item
	ProjectionExpression string
	ConsistentRead       bool
	ExpressionAttributes
}

type GetItemOutput struct {
	Item Item `json:",omitzero"`
}

// ReadInput is the input of Query and Scan; each ignores the other's
// members.
type ReadInput struct {
	TableName              string
	IndexName              string
	Limit                  *int32
	ExclusiveStartKey      Item
	FilterExpression       string
	ProjectionExpression   string
	Select                 string
	ConsistentRead         bool
	ScanIndexForward       *bool
	KeyConditionExpression string
	Segment                *int32
	TotalSegments          *int32
	ExpressionAttributes
}

// ReadOutput is the output of Query and Scan. Items is nil when only a
// count was asked for.
type ReadOutput struct {
	Count            int
	ScannedCount     int
	Items            []Item `json:",omitzero"`
	LastEvaluatedKey Item   `json:",omitzero"`
}

type BatchWriteItemInput struct {
	RequestItems map[string][]WriteRequest
}

type WriteRequest struct {
	PutRequest    *struct{ Item Item }
	DeleteRequest *struct{ Key Item }
}

type BatchWriteItemOutput struct {
	UnprocessedItems map[string][]WriteRequest
}

type BatchGetItemInput struct {
	RequestItems map[string]KeysAndAttributes
}

type KeysAndAttributes struct {
	Keys                 []Item
	ProjectionExpression string
	ConsistentRead       bool
	ExpressionAttributes
}

type BatchGetItemOutput struct {
	Responses       map[string][]Item
	UnprocessedKeys map[string]KeysAndAttributes
}
