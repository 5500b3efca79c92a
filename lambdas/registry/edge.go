package registry

import (
	"context"
	"errors"
	"log/slog"
	"reflect"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// edge shapes a step's error for Lambda. A step wraps its errors with
// context, and Lambda would report a wrapped error as "wrapError"; so the
// first contract error in the chain is returned as Lambda's error document,
// its ErrorCode as errorType, for the ASL's Retry and Catch to match. Other
// errors are returned as they are.
//
// Every failure is logged as one JSON line, "step failed", with the step,
// the errorType Lambda reports and whether the outcome is expected
// (core.Expected): expected outcomes (a skip, a busy table, a throttle, a
// quota), which the state machine retries or skips, at WARN; everything
// else at ERROR. The deployment's metric filter matches these fields.
func edge(ctx context.Context, step string, err error) error {
	if err == nil {
		return nil
	}
	var contract core.ContractError
	if !errors.As(err, &contract) {
		logFailure(ctx, step, lambdaErrorType(err), false, err)
		return err
	}
	logFailure(ctx, step, contract.ErrorCode(), core.Expected(contract), err)
	// A value: aws-lambda-go passes an InvokeResponse_Error through as is.
	return messages.InvokeResponse_Error{Type: contract.ErrorCode(), Message: contract.Error()}
}

func logFailure(ctx context.Context, step, errorType string, expected bool, err error) {
	level := slog.LevelError
	if expected {
		level = slog.LevelWarn
	}
	slog.Log(ctx, level, "step failed", "step", step, "errorType", errorType, "expected", expected, "error", err.Error())
}

// lambdaErrorType is the errorType Lambda reports for an error that is no
// contract error: its Go type's name, as aws-lambda-go names it.
func lambdaErrorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
