package registry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
)

// handlerEnv is a function's environment with the Handler setting name.
func handlerEnv(name string) func(string) string {
	return func(k string) string {
		if k == HandlerEnv {
			return name
		}
		return ""
	}
}

func TestSelectReturnsTheEntryTheHandlerSettingNames(t *testing.T) {
	deps := Deps{Regions: ddb.NewRegions(offlineConfig()), Getenv: func(string) string { return "" }}
	for _, want := range All {
		t.Run(want.Name, func(t *testing.T) {
			h, err := Select(handlerEnv(want.Name))
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			if h.Name != want.Name {
				t.Errorf("Select selected %s, want %s", h.Name, want.Name)
			}
			if fn := h.New(deps); reflect.TypeOf(fn).Kind() != reflect.Func {
				t.Errorf("handler %s is a %T", h.Name, fn)
			}
		})
	}
}

func TestSelectRefusesAnUnknownOrEmptyHandlerSetting(t *testing.T) {
	tests := map[string]string{
		"empty": "",
		// The usual Handler of a provided.al2023 function names no handler here.
		"bootstrap":  "bootstrap",
		"unknown":    "no-such-step",
		"wrong case": "List-Tables",
	}
	for name, setting := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Select(handlerEnv(setting))

			var unknown *UnknownHandler
			if !errors.As(err, &unknown) || unknown.Name != setting {
				t.Fatalf("Select(%q) = %v, want an UnknownHandler naming it", setting, err)
			}
			assertListsEveryHandler(t, err.Error())
		})
	}
}

// TestMainFailsAtInitOnAnUnknownHandler runs Main in a child process (this
// test binary) as Lambda would start the bootstrap: a Handler setting that
// names no handler ends it at init with exit code 1 and one JSON log line
// that says what to set.
func TestMainFailsAtInitOnAnUnknownHandler(t *testing.T) {
	if os.Getenv("XRB_RUN_MAIN") == "1" {
		Main()
		return
	}
	for _, setting := range []string{"", "no-such-step"} {
		t.Run(setting, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMainFailsAtInitOnAnUnknownHandler$")
			cmd.Env = append(os.Environ(), "XRB_RUN_MAIN=1", HandlerEnv+"="+setting)
			out, err := cmd.Output()

			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("Main exited with %v, want exit status 1; stdout:\n%s", err, out)
			}
			line, _, _ := bufio.NewReader(bytes.NewReader(out)).ReadLine()
			var entry struct {
				Level string `json:"level"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal(line, &entry); err != nil {
				t.Fatalf("first line of stdout is not a JSON log entry: %q", line)
			}
			if entry.Level != "ERROR" || !strings.Contains(entry.Error, HandlerEnv) {
				t.Errorf("log entry = %+v, want an ERROR naming %s", entry, HandlerEnv)
			}
			assertListsEveryHandler(t, entry.Error)
		})
	}
}

// assertListsEveryHandler checks that msg names every handler, so that it
// says what the Handler setting may be.
func assertListsEveryHandler(t *testing.T, msg string) {
	t.Helper()
	for _, h := range All {
		if !strings.Contains(msg, h.Name) {
			t.Errorf("%q does not list %s", msg, h.Name)
		}
	}
}
