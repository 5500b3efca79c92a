package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes DynamoDB returns, as they appear after the '#' of the __type
// field of an error response.
const (
	codeResourceNotFound           = "ResourceNotFoundException"
	codeTableNotFound              = "TableNotFoundException"
	codeTableAlreadyExists         = "TableAlreadyExistsException"
	codeTableInUse                 = "TableInUseException"
	codeResourceInUse              = "ResourceInUseException"
	codeBackupNotFound             = "BackupNotFoundException"
	codeBackupInUse                = "BackupInUseException"
	codeLimitExceeded              = "LimitExceededException"
	codeValidation                 = "ValidationException"
	codeConditionalCheckFailed     = "ConditionalCheckFailedException"
	codeProvisionedThroughputError = "ProvisionedThroughputExceededException"
	codeThrottling                 = "ThrottlingException"
	codeInternalServerError        = "InternalServerError"
	codeServiceUnavailable         = "ServiceUnavailable"
	codeSerialization              = "SerializationException"
	codeUnknownOperation           = "UnknownOperationException"
)

// apiError is an error in the shape DynamoDB sends on the wire.
type apiError struct {
	Code    string
	Message string
	// Item is returned with ConditionalCheckFailedException when the request
	// asked for ReturnValuesOnConditionCheckFailure=ALL_OLD.
	Item item
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// typeNamespace is the shape-ID namespace DynamoDB puts in front of an error
// code. Protocol-level errors come from the Coral framework, not DynamoDB.
func (e *apiError) typeNamespace() string {
	switch e.Code {
	case codeValidation:
		return "com.amazon.coral.validate#"
	case codeSerialization, codeUnknownOperation:
		return "com.amazon.coral.service#"
	case codeThrottling, codeServiceUnavailable:
		return "com.amazon.coral.availability#"
	default:
		return "com.amazonaws.dynamodb.v20120810#"
	}
}

// status is the HTTP status code AWS uses for the error.
func (e *apiError) status() int {
	switch e.Code {
	case codeInternalServerError:
		return http.StatusInternalServerError
	case codeServiceUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

func (e *apiError) body() []byte {
	out := struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Item    item   `json:"Item,omitempty"`
	}{e.typeNamespace() + e.Code, e.Message, e.Item}
	b, _ := json.Marshal(out)
	return b
}

func newError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func validationError(format string, args ...any) *apiError {
	return newError(codeValidation, format, args...)
}

// invalidParam produces DynamoDB's common "One or more parameter values were
// invalid: ..." ValidationException.
func invalidParam(format string, args ...any) *apiError {
	return newError(codeValidation, "One or more parameter values were invalid: "+format, args...)
}

// constraintError produces the shape-validator message AWS returns for a
// member that fails a modelled constraint.
func constraintError(value any, member, constraint string) *apiError {
	v := "null"
	if value != nil {
		v = fmt.Sprintf("'%v'", value)
	}
	return validationError("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", v, member, constraint)
}

func tableNotFound(name string) *apiError {
	return newError(codeResourceNotFound, "Requested resource not found: Table: %s not found", name)
}

func conditionalCheckFailed() *apiError {
	return newError(codeConditionalCheckFailed, "The conditional request failed")
}
