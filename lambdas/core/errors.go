package core

import (
	"fmt"
	"time"
)

// The error types below are the contract with the state machines: each has
// an ErrorCode, the handler edge reports it to Lambda as the errorType, and
// the ASL matches that name in Retry and Catch. The codes are the type names,
// and must not change: the deployed state machines match them.

// InvalidInput reports bad configuration or execution input. It is never
// retried: the input has to be fixed.
type InvalidInput struct {
	Field   string // the setting or input field, e.g. RETENTION_DAYS or pointInTime
	Problem string // what is wrong and what would be right
}

func (e *InvalidInput) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Problem)
}

// ErrorCode is the name the state machines match.
func (*InvalidInput) ErrorCode() string { return "InvalidInput" }

// TableNotOwned is returned when the tool is asked to delete, or to reuse, a
// table that does not carry its ownership marks. Nothing was changed.
type TableNotOwned struct {
	Table  string
	Region string
	Reason string
}

func (e *TableNotOwned) Error() string {
	return fmt.Sprintf("table %s in %s is not owned by dynamodb-xregion-backup (%s); it was left alone", e.Table, e.Region, e.Reason)
}

// ErrorCode is the name the state machines match.
func (*TableNotOwned) ErrorCode() string { return "TableNotOwned" }

// TableInProgressElsewhere means another execution is working on the same
// source table right now: its temporary table exists. The state machine
// treats this as a skip, not a failure.
type TableInProgressElsewhere struct {
	Table  string // the source table
	Region string // the destination region holding the temporary table
	RunID  string // the run that owns the temporary table, when known
}

func (e *TableInProgressElsewhere) Error() string {
	return fmt.Sprintf("table %s is being processed by run %q (its temporary table exists in %s); skipped", e.Table, e.RunID, e.Region)
}

// ErrorCode is the name the state machines match.
func (*TableInProgressElsewhere) ErrorCode() string { return "TableInProgressElsewhere" }

// TableNotFound means the table does not exist in the region.
type TableNotFound struct {
	Table  string
	Region string
}

func (e *TableNotFound) Error() string {
	return fmt.Sprintf("table %s not found in %s", e.Table, e.Region)
}

// ErrorCode is the name the state machines match.
func (*TableNotFound) ErrorCode() string { return "TableNotFound" }

// BackupNotFound means the backup ARN does not exist (or was deleted).
type BackupNotFound struct {
	BackupArn string
}

func (e *BackupNotFound) Error() string {
	return fmt.Sprintf("backup %s not found", e.BackupArn)
}

// ErrorCode is the name the state machines match.
func (*BackupNotFound) ErrorCode() string { return "BackupNotFound" }

// QuotaExceeded is DynamoDB's LimitExceededException: too many concurrent
// restores or control-plane operations. It is retried with backoff.
type QuotaExceeded struct {
	Operation string
	Region    string
	Message   string
}

func (e *QuotaExceeded) Error() string {
	return fmt.Sprintf("%s in %s hit a DynamoDB quota: %s", e.Operation, e.Region, e.Message)
}

// ErrorCode is the name the state machines match.
func (*QuotaExceeded) ErrorCode() string { return "QuotaExceeded" }

// Throttled is a request-rate throttle that outlasted the SDK's own retries.
// It is retried with backoff.
type Throttled struct {
	Operation string
	Region    string
	Message   string
}

func (e *Throttled) Error() string {
	return fmt.Sprintf("%s in %s was throttled: %s", e.Operation, e.Region, e.Message)
}

// ErrorCode is the name the state machines match.
func (*Throttled) ErrorCode() string { return "Throttled" }

// ResourceBusy is DynamoDB's ResourceInUseException on an operation that will
// succeed later, such as deleting a table whose backup is still being created.
// It is retried with backoff.
type ResourceBusy struct {
	Operation string
	Resource  string
	Region    string
	Message   string
}

func (e *ResourceBusy) Error() string {
	return fmt.Sprintf("%s on %s in %s: resource busy: %s", e.Operation, e.Resource, e.Region, e.Message)
}

// ErrorCode is the name the state machines match.
func (*ResourceBusy) ErrorCode() string { return "ResourceBusy" }

// PollTimedOut means a backup or table did not become ready within the
// configured bound. The temporary table is cleaned up and the table fails.
type PollTimedOut struct {
	What    string // "backup <arn>" or "table <name>"
	Region  string
	Status  string
	Elapsed time.Duration
	Limit   time.Duration
}

func (e *PollTimedOut) Error() string {
	return fmt.Sprintf("%s in %s still %s after %s (limit %s)", e.What, e.Region, e.Status, e.Elapsed.Round(time.Second), e.Limit)
}

// ErrorCode is the name the state machines match.
func (*PollTimedOut) ErrorCode() string { return "PollTimedOut" }

// ResourceFailed means a backup or restore ended in a state it cannot leave,
// such as a backup that went to DELETED while being created.
type ResourceFailed struct {
	What   string
	Region string
	Status string
}

func (e *ResourceFailed) Error() string {
	return fmt.Sprintf("%s in %s ended in status %s", e.What, e.Region, e.Status)
}

// ErrorCode is the name the state machines match.
func (*ResourceFailed) ErrorCode() string { return "ResourceFailed" }

// TemporaryTableLeftBehind means another run's temporary table has existed
// longer than the sweeper's bound and is still there: the sweeper could not
// remove it, and the table is failed rather than skipped again.
type TemporaryTableLeftBehind struct {
	Table  string // the temporary table
	Region string
	Since  time.Time
}

func (e *TemporaryTableLeftBehind) Error() string {
	return fmt.Sprintf("temporary table %s in %s has been there since %s, longer than sweepAfterHours, and the sweeper did not remove it; check it and delete it by hand",
		e.Table, e.Region, e.Since.Format(time.RFC3339))
}

// ErrorCode is the name the state machines match.
func (*TemporaryTableLeftBehind) ErrorCode() string { return "TemporaryTableLeftBehind" }

// ServiceError is a DynamoDB server-side error (InternalServerError, HTTP
// 500) that outlasted the SDK's own retries. The request may succeed later,
// so the state machines retry it with backoff.
type ServiceError struct {
	Operation string
	Resource  string
	Region    string
	Message   string
}

func (e *ServiceError) Error() string {
	return fmt.Sprintf("%s on %s in %s failed inside DynamoDB (InternalServerError) after the SDK's retries: %s", e.Operation, e.Resource, e.Region, e.Message)
}

// ErrorCode is the name the state machines match.
func (*ServiceError) ErrorCode() string { return "ServiceError" }

// BackupsNotYetEnabled is DynamoDB's ContinuousBackupsUnavailableException:
// "Backups have not yet been enabled for this table", which CreateBackup and
// UpdateContinuousBackups answer for a while after a table (a restored one
// in particular) becomes ACTIVE (Amazon DynamoDB API Reference, CreateBackup,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateBackup.html).
// No API reports the end of that window (DescribeContinuousBackups says
// ENABLED from table creation), so the state machines retry the call at a
// fixed interval, without jitter, for a bounded time.
type BackupsNotYetEnabled struct {
	Operation string
	Table     string
	Region    string
}

func (e *BackupsNotYetEnabled) Error() string {
	return fmt.Sprintf("%s on %s in %s: backups are not yet enabled for the table; it is retried", e.Operation, e.Table, e.Region)
}

// ErrorCode is the name the state machines match.
func (*BackupsNotYetEnabled) ErrorCode() string { return "BackupsNotYetEnabled" }

// RequestRejected is DynamoDB's ValidationException: DynamoDB refused a
// request the tool built from its settings and the table's state. It is not
// an input error (that is InvalidInput, from the tool's own checks), and a
// retry sends the same request, so it is not retried.
type RequestRejected struct {
	Operation string
	Resource  string
	Region    string
	Message   string // DynamoDB's own message
}

func (e *RequestRejected) Error() string {
	return fmt.Sprintf("DynamoDB rejected %s on %s in %s (ValidationException): %s", e.Operation, e.Resource, e.Region, e.Message)
}

// ErrorCode is the name the state machines match.
func (*RequestRejected) ErrorCode() string { return "RequestRejected" }

// AccessDenied is an AccessDeniedException: IAM refused the call. It is not
// retried: the permissions have to change first.
type AccessDenied struct {
	Operation string
	Resource  string
	Region    string
	Message   string
}

func (e *AccessDenied) Error() string {
	return fmt.Sprintf("%s on %s in %s was denied; check the IAM policy of this function's role (and any permissions boundary or SCP): "+
		"a condition on aws:ResourceTag is evaluated on DynamoDB tables only where DynamoDB's attribute-based access control is enabled for the account and region: %s",
		e.Operation, e.Resource, e.Region, e.Message)
}

// ErrorCode is the name the state machines match.
func (*AccessDenied) ErrorCode() string { return "AccessDenied" }

// ContractError is an error the state machines can match by its code. Only
// the types of this package are contract errors: the SDK's API errors have
// an ErrorCode too (DynamoDB's exception names), and must not reach the
// state machines as contract errors.
type ContractError interface {
	error
	ErrorCode() string
	contract()
}

func (*InvalidInput) contract()             {}
func (*TableNotOwned) contract()            {}
func (*TableInProgressElsewhere) contract() {}
func (*TableNotFound) contract()            {}
func (*BackupNotFound) contract()           {}
func (*QuotaExceeded) contract()            {}
func (*Throttled) contract()                {}
func (*ResourceBusy) contract()             {}
func (*PollTimedOut) contract()             {}
func (*ResourceFailed) contract()           {}
func (*TemporaryTableLeftBehind) contract() {}
func (*ServiceError) contract()             {}
func (*BackupsNotYetEnabled) contract()     {}
func (*RequestRejected) contract()          {}
func (*AccessDenied) contract()             {}

// ContractErrors lists one value of every contract error type; tests use it
// to check the ASL's ErrorEquals names and the handler edge.
func ContractErrors() []ContractError {
	return []ContractError{
		&InvalidInput{}, &TableNotOwned{}, &TableInProgressElsewhere{}, &TableNotFound{},
		&BackupNotFound{}, &QuotaExceeded{}, &Throttled{}, &ResourceBusy{},
		&PollTimedOut{}, &ResourceFailed{}, &TemporaryTableLeftBehind{},
		&ServiceError{}, &RequestRejected{}, &AccessDenied{}, &BackupsNotYetEnabled{},
	}
}

// Expected reports whether e is an expected outcome of normal operation
// that the state machines retry or turn into a skip: an overlapping run's
// table, a busy resource, a throttle, a quota. The handler edge logs these
// as warnings, not as failures, and the alarms do not count them.
func Expected(e ContractError) bool {
	switch e.(type) {
	case *TableInProgressElsewhere, *ResourceBusy, *Throttled, *QuotaExceeded, *BackupsNotYetEnabled:
		return true
	}
	return false
}
