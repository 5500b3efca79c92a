package registry

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// edge shapes a step's error for Lambda. A step wraps its errors with
// context, and Lambda would report a wrapped error as "wrapError"; so the
// first contract error in the chain is returned as Lambda's error document,
// its ErrorCode as errorType, for the ASL's Retry and Catch to match. Other
// errors are returned as they are. Every failure is logged.
func edge(ctx context.Context, step string, err error) error {
	if err == nil {
		return nil
	}
	var contract core.ContractError
	if !errors.As(err, &contract) {
		slog.ErrorContext(ctx, "step failed", "step", step, "error", err.Error())
		return err
	}
	slog.ErrorContext(ctx, "step failed", "step", step, "errorType", contract.ErrorCode(), "error", err.Error())
	// A value: aws-lambda-go passes an InvokeResponse_Error through as is.
	return messages.InvokeResponse_Error{Type: contract.ErrorCode(), Message: contract.Error()}
}
