package core

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jsFacts is statemachine/lib/facts.json: the Go facts the JS runner and
// its tests need. TestJSFacts pins each one to the constant it copies.
type jsFacts struct {
	MaxNameLength          int               `json:"maxNameLength"`
	TempTablePrefix        string            `json:"tempTablePrefix"`
	TempTableHashHexDigits int               `json:"tempTableHashHexDigits"`
	BackupPrefix           string            `json:"backupPrefix"`
	DefaultCatalogTable    string            `json:"defaultCatalogTable"`
	DefaultLedgerTable     string            `json:"defaultLedgerTable"`
	ReservedTagPrefix      string            `json:"reservedTagPrefix"`
	OwnerValue             string            `json:"ownerValue"`
	Tags                   map[string]string `json:"tags"`
	ContractErrors         []string          `json:"contractErrors"`
	NeverRetry             []string          `json:"neverRetry"`
	// Cost holds prices; those the Go cost model has are pinned to it.
	Cost map[string]float64 `json:"cost"`
}

const jsFactsDir = "../../statemachine/lib"

func readJSFacts(t *testing.T) jsFacts {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(jsFactsDir, "facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f jsFacts
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("facts.json: %v", err)
	}
	return f
}

func TestJSFacts(t *testing.T) {
	f := readJSFacts(t)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"maxNameLength", f.MaxNameLength, MaxNameLen},
		{"tempTablePrefix", f.TempTablePrefix, TempPrefix},
		{"tempTableHashHexDigits", f.TempTableHashHexDigits, hashLen},
		{"backupPrefix", f.BackupPrefix, BackupPrefix},
		{"defaultCatalogTable", f.DefaultCatalogTable, DefaultCatalogTable},
		{"defaultLedgerTable", f.DefaultLedgerTable, DefaultLedgerTable},
		{"ownerValue", f.OwnerValue, OwnerValue},
		{"tags", f.Tags, map[string]string{
			"owner":        TagOwner,
			"runId":        TagRunID,
			"startedAt":    TagStartedAt,
			"sourceTable":  TagSourceTable,
			"sourceRegion": TagSourceRegion,
			"sourceBackup": TagSourceBackup,
		}},
		{"contractErrors", f.ContractErrors, contractErrorNames()},
		{"cost.restorePerGB", f.Cost["restorePerGB"], RestorePerGB},
		{"cost.transferPerGB", f.Cost["transferPerGB"], TransferPerGB},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("facts.json %s = %v, Go has %v", c.name, c.got, c.want)
		}
	}
	if f.ReservedTagPrefix != ReservedTagPrefix {
		t.Errorf("reservedTagPrefix = %q, want core.ReservedTagPrefix %q", f.ReservedTagPrefix, ReservedTagPrefix)
	}
	for role, tag := range f.Tags {
		if !strings.HasPrefix(tag, f.ReservedTagPrefix) {
			t.Errorf("tag %s (%s) does not start with reservedTagPrefix %q", role, tag, f.ReservedTagPrefix)
		}
	}
	for _, name := range f.NeverRetry {
		if !slices.Contains(f.ContractErrors, name) {
			t.Errorf("neverRetry names %s, which is not a contract error", name)
		}
	}
}

// contractErrorNames are the names Lambda reports as errorType.
func contractErrorNames() []string {
	var names []string
	for _, err := range ContractErrors() {
		names = append(names, err.ErrorCode())
	}
	return names
}

// TestJSTempTableName runs the JS name function (statemachine/lib/facts.mjs)
// on sample inputs and compares it with TempTableName.
func TestJSTempTableName(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; run `make deps`, then the test from the Makefile")
	}
	samples := [][2]string{
		{"eu-west-1", "orders"},
		{"ap-southeast-2", "audit-log"},
		{"us-east-1", "a.b_c-D"},
		{"eu-west-1", strings.Repeat("n", MaxNameLen)},
		{"eu-central-1", "long-" + strings.Repeat("x", 240)},
	}
	in, err := json.Marshal(samples)
	if err != nil {
		t.Fatal(err)
	}
	script := `import { tempTableName } from './facts.mjs';
const samples = JSON.parse(process.argv[1]);
process.stdout.write(JSON.stringify(samples.map(([region, table]) => tempTableName(region, table))));`
	cmd := exec.Command(node, "--input-type=module", "-e", script, string(in))
	cmd.Dir = jsFactsDir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	if len(got) != len(samples) {
		t.Fatalf("node returned %d names for %d samples", len(got), len(samples))
	}
	for i, s := range samples {
		if want := TempTableName(s[0], s[1]); got[i] != want {
			t.Errorf("JS tempTableName(%q, %q) = %q, Go TempTableName = %q", s[0], s[1], got[i], want)
		}
	}
}
