package wire

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes DynamoDB returns, as they appear after the '#' of the __type
// field of an error response.
const (
	CodeResourceNotFound     = "ResourceNotFoundException"
	CodeTableNotFound        = "TableNotFoundException"
	CodeTableAlreadyExists   = "TableAlreadyExistsException"
	CodeTableInUse           = "TableInUseException"
	CodeResourceInUse        = "ResourceInUseException"
	CodeBackupNotFound       = "BackupNotFoundException"
	CodeBackupInUse          = "BackupInUseException"
	CodeLimitExceeded        = "LimitExceededException"
	CodeValidation           = "ValidationException"
	CodeConditionalCheck     = "ConditionalCheckFailedException"
	CodeContinuousBackupsOff = "ContinuousBackupsUnavailableException"
	CodeThrottling           = "ThrottlingException"
	CodeInternalServerError  = "InternalServerError"
	CodeServiceUnavailable   = "ServiceUnavailable"
	CodeSerialization        = "SerializationException"
	CodeUnknownOperation     = "UnknownOperationException"
)

// Error is an error in the shape DynamoDB sends on the wire.
type Error struct {
	Code    string
	Message string
	// Item is returned with ConditionalCheckFailedException when the request
	// asked for ReturnValuesOnConditionCheckFailure=ALL_OLD.
	Item Item
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// typeNamespace is the shape-ID namespace DynamoDB puts in front of an error
// code. Protocol-level errors come from the Coral framework, not DynamoDB.
func (e *Error) typeNamespace() string {
	switch e.Code {
	case CodeValidation:
		return "com.amazon.coral.validate#"
	case CodeSerialization, CodeUnknownOperation:
		return "com.amazon.coral.service#"
	case CodeThrottling, CodeServiceUnavailable:
		return "com.amazon.coral.availability#"
	default:
		return "com.amazonaws.dynamodb.v20120810#"
	}
}

// status is the HTTP status code AWS uses for the error.
func (e *Error) status() int {
	switch e.Code {
	case CodeInternalServerError:
		return http.StatusInternalServerError
	case CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

func (e *Error) body() []byte {
	out := struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Item    Item   `json:"Item,omitempty"`
	}{e.typeNamespace() + e.Code, e.Message, e.Item}
	b, _ := json.Marshal(out)
	return b
}

// Errorf returns an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Validation returns a ValidationException.
func Validation(format string, args ...any) *Error {
	return Errorf(CodeValidation, format, args...)
}

// InvalidParam produces DynamoDB's common "One or more parameter values were
// invalid: ..." ValidationException.
func InvalidParam(format string, args ...any) *Error {
	return Errorf(CodeValidation, "One or more parameter values were invalid: "+format, args...)
}

// Constraint produces the shape-validator message AWS returns for a member
// that fails a modelled constraint.
func Constraint(value any, member, constraint string) *Error {
	v := "null"
	if value != nil {
		v = fmt.Sprintf("'%v'", value)
	}
	return Validation("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", v, member, constraint)
}

// ConditionalCheckFailed is the error of a failed ConditionExpression.
func ConditionalCheckFailed() *Error {
	return Errorf(CodeConditionalCheck, "The conditional request failed")
}
