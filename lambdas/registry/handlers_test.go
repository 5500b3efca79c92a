package registry

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/steps"
)

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
		{"delete-table", `{"region":"eu-west-1","table":"x"}`, "table"},
		{"prune-backups", `{"region":"us-east-1","sourceRegion":"us-east-1","sourceTable":"orders","keepLast":3}`, "retentionDays"},
	}
	for _, tc := range tests {
		t.Run(tc.handler+" "+tc.field, func(t *testing.T) {
			handler := offline(t, tc.handler, env)

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
	resp := invoke(t, offline(t, "list-tables", env), `{"runId":"r","startedAt":"2025-06-01T12:00:00Z"}`)

	if resp.Error == nil || resp.Error.Type != "InvalidInput" || !strings.Contains(resp.Error.Message, "KEEP_LAST") {
		t.Errorf("error = %+v, want InvalidInput naming KEEP_LAST", resp.Error)
	}
}

func TestSummarizeThroughLambda(t *testing.T) {
	in := steps.SummarizeInput{RunID: "r", Results: []steps.TableResult{
		{Table: "b", Status: steps.StatusFailed, Error: "PollTimedOut"},
		{Table: "a", Status: steps.StatusSucceeded},
	}}
	payload, _ := json.Marshal(in)

	resp := invoke(t, offline(t, "summarize", nil), string(payload))

	var s steps.Summary
	if resp.Error != nil || json.Unmarshal(resp.Payload, &s) != nil {
		t.Fatalf("response = %s, %+v", resp.Payload, resp.Error)
	}
	if s.Tables != 2 || s.Failed != 1 || len(s.Failures) != 1 || s.Failures[0].Table != "b" {
		t.Errorf("summary = %+v", s)
	}
}

// offline builds the handler that a function whose Handler setting is name
// runs, against offlineConfig, with env as its environment.
func offline(t *testing.T, name string, env map[string]string) any {
	t.Helper()
	h, err := Select(handlerEnv(name))
	if err != nil {
		t.Fatal(err)
	}
	return h.New(Deps{Regions: ddb.NewRegions(offlineConfig()), Getenv: func(k string) string { return env[k] }})
}
