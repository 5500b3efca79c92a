package core_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// TestASLErrorNamesAreContractErrorCodes checks the contract between the
// state machines and the handlers: every error name that a Retry or Catch
// matches is either a Step Functions name or the ErrorCode of a contract
// error, which the handler edge reports to Lambda as errorType.
func TestASLErrorNamesAreContractErrorCodes(t *testing.T) {
	codes := map[string]bool{}
	for _, err := range core.ContractErrors() {
		codes[err.ErrorCode()] = true
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "statemachine", "*.asl.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no state machine definitions found: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var def any
			if err := json.Unmarshal(raw, &def); err != nil {
				t.Fatalf("%s is not JSON: %v", file, err)
			}
			names := errorNames(def)
			if len(names) == 0 {
				t.Fatal("no ErrorEquals found; the walk is broken")
			}
			for _, name := range names {
				// Sandbox.Timedout is a Lambda timeout, as Step Functions
				// reports it.
				if strings.HasPrefix(name, "States.") || strings.HasPrefix(name, "Lambda.") || name == "Sandbox.Timedout" {
					continue
				}
				if !codes[name] {
					t.Errorf("ErrorEquals %q is not the ErrorCode of a contract error (core.ContractErrors)", name)
				}
			}
		})
	}
}

// TestErrorCodesAreTheTypeNames: the codes are the deployed contract, and
// were the Go type names when Lambda reported those; they must stay so.
func TestErrorCodesAreTheTypeNames(t *testing.T) {
	seen := map[string]bool{}
	for _, err := range core.ContractErrors() {
		code := err.ErrorCode()
		if want := reflect.TypeOf(err).Elem().Name(); code != want {
			t.Errorf("%T.ErrorCode() = %q, want %q", err, code, want)
		}
		if seen[code] {
			t.Errorf("ErrorCode %q is used twice", code)
		}
		seen[code] = true
	}
}

func errorNames(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if k == "ErrorEquals" {
				for _, n := range child.([]any) {
					out = append(out, n.(string))
				}
				continue
			}
			out = append(out, errorNames(child)...)
		}
	case []any:
		for _, child := range v {
			out = append(out, errorNames(child)...)
		}
	}
	return out
}
