package core

import (
	"errors"
	"time"
)

// Table statuses as DynamoDB reports them.
const (
	TableActive   = "ACTIVE"
	TableCreating = "CREATING"
	TableDeleting = "DELETING"
	TableUpdating = "UPDATING"
)

// Table is what the steps need to know about one DynamoDB table.
type Table struct {
	Name      string
	Arn       string
	Status    string
	Created   time.Time
	ItemCount int64
	SizeBytes int64
	// RestoredFrom is RestoreSummary.SourceBackupArn, empty when the table
	// was not made by a restore.
	RestoredFrom string
	// Replicated: a global table (DescribeTable reports Replicas, or a
	// GlobalTableVersion: version 2017.11.29 global tables report only
	// that), whose replicated writes may not show in its metrics.
	Replicated bool
}

// RestoreRequest is one RestoreTableFromBackup call.
type RestoreRequest struct {
	BackupArn   string
	TargetTable string
	// SSE overrides the encryption; nil keeps the backup's (allowed only
	// when the backup is in the target region).
	SSE *SSE
	// PayPerRequest makes the restored table on-demand; otherwise it keeps
	// the backup's billing mode.
	PayPerRequest bool
}

// SSE chooses the encryption key of a restored table.
type SSE struct {
	KMSKeyID string // empty: the AWS-owned key
}

// ErrTableExists is wrapped by adapters when a table of that name exists
// already (TableAlreadyExistsException, or ResourceInUseException on create).
var ErrTableExists = errors.New("table already exists")

// TableUpdate is one UpdateTable change; exactly one of billing, class,
// stream and deletion protection is set.
type TableUpdate struct {
	BillingMode                 string
	ReadCapacity, WriteCapacity int64
	IndexCapacity               map[string]Capacity // with PROVISIONED
	TableClass                  string
	Stream                      *StreamSetting
	DeletionProtection          *bool
}

// StreamSetting turns a table's stream on, with a view type, or off.
type StreamSetting struct {
	Enabled  bool
	ViewType string
}
