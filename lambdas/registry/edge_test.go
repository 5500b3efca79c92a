package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/smithy-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// invoke runs handler through aws-lambda-go's own invocation path, the one
// the Lambda runtime uses, and returns its response.
func invoke(t *testing.T, handler any, payload string) messages.InvokeResponse {
	t.Helper()
	//lint:ignore SA1019 aws-lambda-go's Function is the invocation path its runtime uses (payload decoding, error document); it is exactly what the host must reproduce.
	fn := lambda.NewFunction(lambda.NewHandler(handler))
	var resp messages.InvokeResponse
	req := &messages.InvokeRequest{
		Payload:   []byte(payload),
		RequestId: "test-request",
		Deadline:  messages.InvokeRequest_Timestamp{Seconds: time.Now().Add(time.Minute).Unix()},
	}
	if err := fn.Invoke(req, &resp); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return resp
}

type testInput struct {
	Table string `json:"table"`
}

type testOutput struct {
	OK bool `json:"ok"`
}

// failingStep fails the way steps do: the contract error wrapped in context,
// twice.
func failingStep(err error) func(context.Context, testInput) (testOutput, error) {
	return func(ctx context.Context, in testInput) (testOutput, error) {
		return testOutput{}, fmt.Errorf("step on %s: %w", in.Table, fmt.Errorf("inner: %w", err))
	}
}

// behindTheEdge serves run as the registry does.
func behindTheEdge(run func(context.Context, testInput) (testOutput, error)) func(context.Context, testInput) (testOutput, error) {
	return func(ctx context.Context, in testInput) (testOutput, error) {
		out, err := run(ctx, in)
		return out, edge(ctx, "test", err)
	}
}

// TestContractErrorsReachLambdaByErrorCode: every contract error, returned
// wrapped by a step, is reported by Lambda with its ErrorCode (its Go type
// name) as errorType once it passes the edge, so ASL Retry and Catch can
// match it.
func TestContractErrorsReachLambdaByErrorCode(t *testing.T) {
	for _, proto := range core.ContractErrors() {
		name := proto.ErrorCode()
		t.Run(name, func(t *testing.T) {
			handler := behindTheEdge(failingStep(proto))

			resp := invoke(t, handler, `{"table":"orders"}`)

			if resp.Error == nil {
				t.Fatalf("no error reported; payload %s", resp.Payload)
			}
			if resp.Error.Type != name {
				t.Errorf("errorType = %q, want %q", resp.Error.Type, name)
			}
			if resp.Error.Message != proto.Error() {
				t.Errorf("errorMessage = %q, want the contract error's own %q", resp.Error.Message, proto.Error())
			}
		})
	}
}

// TestWrappedErrorsWithoutTheEdge documents why the edge exists: Lambda
// names the outermost error's type, which for a wrapped error is fmt's.
func TestWrappedErrorsWithoutTheEdge(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"wrapped once", fmt.Errorf("restore orders: %w", &core.QuotaExceeded{}), "wrapError"},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", &core.TableNotOwned{})), "wrapError"},
		{"wrapped with the SDK error", fmt.Errorf("%w: %w", &core.Throttled{}, errors.New("sdk")), "wrapErrors"},
		{"unwrapped", &core.ResourceBusy{}, "ResourceBusy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			handler := func(ctx context.Context, in testInput) (testOutput, error) { return testOutput{}, tc.err }

			resp := invoke(t, handler, `{}`)

			if resp.Error == nil || resp.Error.Type != tc.want {
				t.Errorf("error = %+v, want errorType %q", resp.Error, tc.want)
			}
		})
	}
}

func TestEdgeFindsTheContractError(t *testing.T) {
	sdk := errors.New("operation error DynamoDB: RestoreTableFromBackup, LimitExceededException")
	quota := &core.QuotaExceeded{Operation: "RestoreTableFromBackup", Region: "eu-west-1"}
	reported := messages.InvokeResponse_Error{Type: "QuotaExceeded", Message: quota.Error()}
	sdkAPI := fmt.Errorf("restore: %w", &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected"})
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"adapter style: mapped error, then the SDK's", fmt.Errorf("restore: %w", fmt.Errorf("%w: %w", quota, sdk)), reported},
		{"SDK error first", fmt.Errorf("%w: %w", sdk, quota), reported},
		{"joined", errors.Join(errors.New("other"), quota), reported},
		{"unwrapped", quota, reported},
		{"no contract error", sdk, sdk},
		// The SDK's API errors have an ErrorCode too; they are no contract.
		{"an SDK API error", sdkAPI, sdkAPI},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// reflect.DeepEqual: Lambda's error document holds a slice.
			if got := edge(context.Background(), "test", tc.err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("edge = %#v, want %#v", got, tc.want)
			}
		})
	}
	if edge(context.Background(), "test", nil) != nil {
		t.Error("edge(nil) != nil")
	}
}

func TestEdgeLeavesSuccessAlone(t *testing.T) {
	handler := behindTheEdge(func(context.Context, testInput) (testOutput, error) { return testOutput{OK: true}, nil })
	resp := invoke(t, handler, `{"table":"orders"}`)
	if resp.Error != nil || string(resp.Payload) != `{"ok":true}` {
		t.Errorf("response = %s, %+v", resp.Payload, resp.Error)
	}
	failing := behindTheEdge(failingStep(errors.New("plain failure")))
	if resp := invoke(t, failing, `{}`); resp.Error == nil || resp.Error.Type != "wrapError" || !strings.Contains(resp.Error.Message, "plain failure") {
		t.Errorf("a non-contract error must pass unchanged: %+v", resp.Error)
	}
}

// TestEdgeLogsEachFailureOnce: every failure is one JSON line "step failed"
// with step, errorType and expected; expected outcomes (retried or skipped
// by the state machine) at WARN, everything else at ERROR, so that an alarm
// on ERROR lines counts only real failures.
func TestEdgeLogsEachFailureOnce(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		errorType string
		expected  bool
	}{
		{"an overlapping run's table", &core.TableInProgressElsewhere{Table: "orders"}, "TableInProgressElsewhere", true},
		{"a busy table", &core.ResourceBusy{Operation: "DeleteTable"}, "ResourceBusy", true},
		{"a throttle", &core.Throttled{Operation: "ListTagsOfResource"}, "Throttled", true},
		{"a quota", &core.QuotaExceeded{Operation: "RestoreTableFromBackup"}, "QuotaExceeded", true},
		{"a table that is not ours", &core.TableNotOwned{Table: "x"}, "TableNotOwned", false},
		{"access denied", &core.AccessDenied{Operation: "DeleteTable"}, "AccessDenied", false},
		{"a DynamoDB server error", &core.ServiceError{Operation: "DescribeTable"}, "ServiceError", false},
		// Lambda names a wrapped error by fmt's type, and so does the log.
		{"no contract error", errors.New("plain failure"), "wrapError", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf strings.Builder
			defer slog.SetDefault(slog.Default())
			slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))

			_ = edge(context.Background(), "delete-table", fmt.Errorf("delete: %w", tc.err))

			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want 1: %s", len(lines), buf.String())
			}
			var entry map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
				t.Fatalf("not JSON: %s", lines[0])
			}
			wantLevel := map[bool]string{true: "WARN", false: "ERROR"}[tc.expected]
			for field, want := range map[string]any{"msg": "step failed", "level": wantLevel, "step": "delete-table", "errorType": tc.errorType, "expected": tc.expected} {
				if entry[field] != want {
					t.Errorf("%s = %v, want %v (line %s)", field, entry[field], want, lines[0])
				}
			}
			if !strings.Contains(fmt.Sprint(entry["error"]), "delete: ") {
				t.Errorf("error = %v, want the whole chain", entry["error"])
			}
		})
	}
}
