package lambdahost

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/demo"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

var update = flag.Bool("update", false, "rewrite the outputs and errors in testdata/*.golden.json")

// goldenNow is the clock of the emulator and of every handler, so that
// timestamps in the golden files are stable.
var goldenNow = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// goldenScenario is the order the golden cases run in, against one
// emulator seeded with the demo tables: a backup execution of "orders"
// into eu-west-1, then a restore of it there. The nth mention of a handler
// runs the nth case of its file; the cases left over (refusals) run after.
var goldenScenario = []string{
	"list-tables", "sweep", "plan-copies", "create-backup", "describe-backup", "restore-table", "poll-temporary-table",
	"finish-copy", "prune-backups", "record-outcome", "summarize",
	"plan-restore", "start-restore", "finish-restore", "finish-restore", "finish-restore", "report",
}

// goldenCase is one invocation: its input, and its output or the error
// Lambda reports. Backup ids, which are random, read {backup-N}.
type goldenCase struct {
	Name   string          `json:"name"`
	Input  json.RawMessage `json:"input"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *goldenError    `json:"error,omitempty"`
}

type goldenError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

// TestGolden runs every handler, built from the registry and invoked
// through the edge and aws-lambda-go as the host does, with the inputs in
// testdata/<handler>.golden.json, and compares what it returns with the
// file. go test -run TestGolden -update rewrites the outputs.
func TestGolden(t *testing.T) {
	files := map[string][]goldenCase{}
	for _, h := range registry.All {
		raw, err := os.ReadFile(goldenPath(h.Name))
		if err != nil {
			t.Fatalf("handler %s has no golden file: %v", h.Name, err)
		}
		var cases []goldenCase
		if err := json.Unmarshal(raw, &cases); err != nil {
			t.Fatalf("%s: %v", goldenPath(h.Name), err)
		}
		files[h.Name] = cases
	}
	host, ids := goldenHost(t)

	next := map[string]int{}
	run := func(name string) {
		i := next[name]
		next[name]++
		if i >= len(files[name]) {
			t.Fatalf("the scenario runs %s more often than its golden file has cases", name)
		}
		c := &files[name][i]
		t.Run(fmt.Sprintf("%s/%d %s", name, i+1, c.Name), func(t *testing.T) {
			got := invokeGolden(t, host, name, ids, c.Input)
			if *update {
				c.Output, c.Error = got.Output, got.Error
				return
			}
			if want, have := indent(t, c), indent(t, &got); want != have {
				t.Errorf("%s changed; got\n%s\nwant\n%s\n(go test -run TestGolden -update rewrites it)", goldenPath(name), have, want)
			}
		})
	}
	for _, name := range goldenScenario {
		run(name)
	}
	for _, h := range registry.All {
		for next[h.Name] < len(files[h.Name]) {
			run(h.Name)
		}
	}
	if *update {
		for name, cases := range files {
			if err := os.WriteFile(goldenPath(name), marshal(t, cases), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func goldenPath(handler string) string {
	return filepath.Join("testdata", handler+".golden.json")
}

// goldenHost starts an emulator on goldenNow with instant lifecycles,
// seeds the demo tables (source us-east-1, destination eu-west-1) and the
// catalog, and hosts the registry's handlers against it.
func goldenHost(t *testing.T) (*Host, *idScrubber) {
	t.Helper()
	// The clock is frozen at goldenNow, so a behaviour that ends after a
	// while would never end: the timed ones are off for this test (tables
	// are ACTIVE again at once after an update, tag changes and backups are
	// there at once, counts are live). The rest of the model stays strict.
	model := emulator.DefaultModel()
	model.TableUpdate, model.TagPropagation, model.BackupsEnabling, model.StatsRefresh = 0, 0, 0, 0
	emu, err := emulator.Start("127.0.0.1:0", emulator.Options{Now: func() time.Time { return goldenNow }, Model: &model})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(emu.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:   emulator.NewHTTPClient(),
	}
	ctx := context.Background()
	for _, table := range []string{core.DefaultCatalogTable, core.DefaultLedgerTable} {
		if err := demo.CreateToolTable(ctx, cfg, "eu-west-1", table); err != nil {
			t.Fatal(err)
		}
	}
	if err := demo.CreateToolTable(ctx, cfg, "us-east-1", core.DefaultLedgerTable); err != nil {
		t.Fatal(err)
	}
	// The backup state machine's run ledger, in its region.
	if err := demo.CreateToolTable(ctx, cfg, "us-east-1", core.DefaultLedgerTable); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedDemo(ctx, cfg, "us-east-1", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_REGION": "us-east-1", "SOURCE_REGION": "us-east-1", "DESTINATION_REGIONS": "eu-west-1", "INCLUDE": "orders"}
	deps := registry.Deps{Regions: ddb.NewRegions(cfg), Getenv: func(k string) string { return env[k] }, Now: emu.Emulator.Now}
	return New(Handlers(deps)), &idScrubber{}
}

func invokeGolden(t *testing.T, host *Host, name string, ids *idScrubber, input json.RawMessage) goldenCase {
	t.Helper()
	out, fnErr, ok := host.Invoke(name, []byte(ids.restore(string(input))))
	if !ok {
		t.Fatalf("%s is not hosted", name)
	}
	if fnErr != nil {
		return goldenCase{Error: &goldenError{Type: fnErr.Type, Message: ids.scrub(fnErr.Message)}}
	}
	return goldenCase{Output: json.RawMessage(ids.scrub(string(out)))}
}

// indent renders what a case expects, for comparison and for messages.
func indent(t *testing.T, c *goldenCase) string {
	t.Helper()
	return string(marshal(t, struct {
		Output json.RawMessage `json:"output,omitempty"`
		Error  *goldenError    `json:"error,omitempty"`
	}{c.Output, c.Error}))
}

// marshal is indented JSON that leaves <, > and & as they are.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

// idScrubber names each backup id (random in the emulator, as in AWS)
// {backup-N}, in the order it first appears, in backup ARNs and tags
// alike; and turns the names in inputs back into the ids.
type idScrubber struct{ ids []string }

var backupID = regexp.MustCompile(`\b[0-9]{14}-[0-9a-f]{8}\b`)

func (s *idScrubber) scrub(text string) string {
	return backupID.ReplaceAllStringFunc(text, func(id string) string {
		i := slices.Index(s.ids, id)
		if i < 0 {
			s.ids = append(s.ids, id)
			i = len(s.ids) - 1
		}
		return fmt.Sprintf("{backup-%d}", i+1)
	})
}

func (s *idScrubber) restore(text string) string {
	for i, id := range s.ids {
		text = strings.ReplaceAll(text, fmt.Sprintf("{backup-%d}", i+1), id)
	}
	return text
}
