package app

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
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/steps"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// invoke runs handler through aws-lambda-go's own invocation path, the one
// the Lambda runtime uses, and returns its response.
func invoke(t *testing.T, handler any, payload string) messages.InvokeResponse {
	t.Helper()
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

func typeName(err error) string { return reflect.TypeOf(err).Elem().Name() }

// TestContractErrorsReachLambdaByTypeName: every contract error, returned
// wrapped by a step, is reported by Lambda with its Go type name as
// errorType once it passes the edge, so ASL Retry and Catch can match it.
func TestContractErrorsReachLambdaByTypeName(t *testing.T) {
	for _, proto := range core.ContractErrors() {
		name := typeName(proto)
		t.Run(name, func(t *testing.T) {
			handler := func(ctx context.Context, in testInput) (testOutput, error) {
				return edge(ctx, "test", in, failingStep(proto))
			}

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

func TestContract(t *testing.T) {
	sdk := errors.New("operation error DynamoDB: RestoreTableFromBackup, LimitExceededException")
	quota := &core.QuotaExceeded{Operation: "RestoreTableFromBackup", Region: "eu-west-1"}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"adapter style: mapped error, then the SDK's", fmt.Errorf("restore: %w", fmt.Errorf("%w: %w", quota, sdk)), quota},
		{"SDK error first", fmt.Errorf("%w: %w", sdk, quota), quota},
		{"joined", errors.Join(errors.New("other"), quota), quota},
		{"unwrapped", quota, quota},
		{"no contract error", sdk, sdk},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Contract(tc.err); got != tc.want {
				t.Errorf("Contract = %#v, want %#v", got, tc.want)
			}
		})
	}
	if Contract(nil) != nil {
		t.Error("Contract(nil) != nil")
	}
}

func TestEdgeLeavesSuccessAlone(t *testing.T) {
	handler := func(ctx context.Context, in testInput) (testOutput, error) {
		return edge(ctx, "test", in, func(context.Context, testInput) (testOutput, error) { return testOutput{OK: true}, nil })
	}
	resp := invoke(t, handler, `{"table":"orders"}`)
	if resp.Error != nil || string(resp.Payload) != `{"ok":true}` {
		t.Errorf("response = %s, %+v", resp.Payload, resp.Error)
	}
	failing := func(ctx context.Context, in testInput) (testOutput, error) {
		return edge(ctx, "test", in, failingStep(errors.New("plain failure")))
	}
	if resp := invoke(t, failing, `{}`); resp.Error == nil || resp.Error.Type != "wrapError" || !strings.Contains(resp.Error.Message, "plain failure") {
		t.Errorf("a non-contract error must pass unchanged: %+v", resp.Error)
	}
}

// offlineConfig points the SDK at a closed local port, so that a handler
// that called DynamoDB before checking its input would fail fast here
// rather than reach AWS.
func offlineConfig() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// TestHandlersRefuseBadInputThroughLambda drives the real wired handlers
// through Lambda with input that is wrong: each fails with InvalidInput
// before any DynamoDB call, naming the field.
func TestHandlersRefuseBadInputThroughLambda(t *testing.T) {
	env := map[string]string{"SOURCE_REGION": "us-east-1", "DESTINATION_REGIONS": "eu-west-1"}
	h := New(offlineConfig(), func(k string) string { return env[k] })
	byName := h.ByName()
	tests := []struct {
		handler string
		payload string
		field   string
	}{
		{"list-tables", `{"startedAt":"2025-06-01T12:00:00Z"}`, "runId"},
		{"list-tables", `{"runId":"r","startedAt":"2025-06-01T12:00:00Z","input":{"keepLast":0}}`, "keepLast"},
		{"list-tables", `{"runId":"r","startedAt":"2025-06-01T12:00:00Z","input":{"bogus":1}}`, "bogus"},
		{"sweep", `{"regions":["eu-west-1"]}`, "sweepAfterHours"},
		{"create-backup", `{"region":"mars-1","table":"orders"}`, "region"},
		{"describe-backup", `{"region":"us-east-1","pollLimitMinutes":5}`, "since"},
		{"restore-table", `{"region":"eu-west-1","sourceRegion":"us-east-1","sourceTable":"orders","runId":"r","startedAt":"2025-06-01T12:00:00Z","backupArn":"nope"}`, "backupArn"},
		{"describe-table", `{"region":"eu-west-1","since":"2025-06-01T12:00:00Z"}`, "pollLimitMinutes"},
		{"delete-table", `{"region":"eu-west-1","table":"x"}`, "table"},
		{"prune-backups", `{"region":"us-east-1","sourceRegion":"us-east-1","sourceTable":"orders","keepLast":3}`, "retentionDays"},
	}
	for _, tc := range tests {
		t.Run(tc.handler+" "+tc.field, func(t *testing.T) {
			handler, ok := byName[tc.handler]
			if !ok {
				t.Fatalf("ByName has no %s", tc.handler)
			}

			resp := invoke(t, handler, tc.payload)

			if resp.Error == nil || resp.Error.Type != "InvalidInput" {
				t.Fatalf("error = %+v, want InvalidInput", resp.Error)
			}
			if !strings.Contains(resp.Error.Message, "invalid "+tc.field+":") {
				t.Errorf("message %q does not name %s", resp.Error.Message, tc.field)
			}
		})
	}
}

func TestInvalidEnvironmentIsReportedByTheFirstStep(t *testing.T) {
	env := map[string]string{"SOURCE_REGION": "us-east-1", "DESTINATION_REGIONS": "eu-west-1", "KEEP_LAST": "0"}
	h := New(offlineConfig(), func(k string) string { return env[k] })

	resp := invoke(t, h.ListTables, `{"runId":"r","startedAt":"2025-06-01T12:00:00Z"}`)

	if resp.Error == nil || resp.Error.Type != "InvalidInput" || !strings.Contains(resp.Error.Message, "KEEP_LAST") {
		t.Errorf("error = %+v, want InvalidInput naming KEEP_LAST", resp.Error)
	}
}

func TestSummarizeThroughLambda(t *testing.T) {
	h := New(offlineConfig(), func(string) string { return "" })
	in := steps.SummarizeInput{RunID: "r", Results: []steps.TableResult{
		{Table: "b", Status: steps.StatusFailed, Error: "PollTimedOut"},
		{Table: "a", Status: steps.StatusSucceeded},
	}}
	payload, _ := json.Marshal(in)

	resp := invoke(t, h.Summarize, string(payload))

	var s steps.Summary
	if resp.Error != nil || json.Unmarshal(resp.Payload, &s) != nil {
		t.Fatalf("response = %s, %+v", resp.Payload, resp.Error)
	}
	if s.Tables != 2 || s.Failed != 1 || len(s.Failures) != 1 || s.Failures[0].Table != "b" {
		t.Errorf("summary = %+v", s)
	}
}

func TestByNameMatchesTheHandlerDirectories(t *testing.T) {
	h := New(offlineConfig(), func(string) string { return "" })
	for name, handler := range h.ByName() {
		if _, err := os.Stat("../../" + name + "/main.go"); err != nil {
			t.Errorf("handler %s has no lambdas/%s/main.go", name, name)
		}
		if reflect.TypeOf(handler).Kind() != reflect.Func {
			t.Errorf("handler %s is a %T", name, handler)
		}
	}
}
