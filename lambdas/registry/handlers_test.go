package registry

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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
		{"describe-table", `{"region":"eu-west-1","since":"2025-06-01T12:00:00Z"}`, "pollLimitMinutes"},
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

// TestEveryHandlerHasAMainAndEveryMainAHandler: lambdas/<name>/main.go
// exists for every entry of All, and names it; every such directory has an
// entry.
func TestEveryHandlerHasAMainAndEveryMainAHandler(t *testing.T) {
	for _, h := range All {
		raw, err := os.ReadFile(filepath.Join("..", h.Name, "main.go"))
		if err != nil {
			t.Errorf("handler %s has no lambdas/%s/main.go", h.Name, h.Name)
			continue
		}
		if want := `registry.Main("` + h.Name + `")`; !strings.Contains(string(raw), want) {
			t.Errorf("lambdas/%s/main.go does not call %s", h.Name, want)
		}
		if fn := h.New(Deps{Regions: ddb.NewRegions(offlineConfig()), Getenv: func(string) string { return "" }}); reflect.TypeOf(fn).Kind() != reflect.Func {
			t.Errorf("handler %s is a %T", h.Name, fn)
		}
	}
	mains, err := filepath.Glob(filepath.Join("..", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no lambdas/*/main.go found: %v", err)
	}
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		if _, ok := Lookup(name); !ok {
			t.Errorf("lambdas/%s/main.go has no entry in registry.All", name)
		}
	}
}

// offline builds the handler called name against offlineConfig, with env as
// its environment.
func offline(t *testing.T, name string, env map[string]string) any {
	t.Helper()
	h, ok := Lookup(name)
	if !ok {
		t.Fatalf("no handler %s in the registry", name)
	}
	return h.New(Deps{Regions: ddb.NewRegions(offlineConfig()), Getenv: func(k string) string { return env[k] }})
}
