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
}

// RestoreRequest is one RestoreTableFromBackup call.
type RestoreRequest struct {
	BackupArn   string
	TargetTable string
	// KMSKeyID encrypts the restored table with that key; empty means the
	// AWS-owned key.
	KMSKeyID string
}

// ErrTableExists is wrapped by adapters when a table of that name exists
// already (TableAlreadyExistsException, or ResourceInUseException on create).
var ErrTableExists = errors.New("table already exists")
