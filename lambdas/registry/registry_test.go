package registry

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPlaceholder(t *testing.T) {
	tests := map[string]string{
		"list-tables":     "ListTablesFunctionArn",
		"sweep":           "SweepFunctionArn",
		"describe-backup": "DescribeBackupFunctionArn",
		"prune-backups":   "PruneBackupsFunctionArn",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Placeholder(name); got != want {
				t.Errorf("Placeholder(%q) = %q, want %q", name, got, want)
			}
		})
	}
}

// TestEveryHandlerServesAWorkflow: a handler no workflow invokes would be
// built and never deployed.
func TestEveryHandlerServesAWorkflow(t *testing.T) {
	for _, h := range All {
		if !h.In(BackupWorkflow) && !h.In(RestoreWorkflow) {
			t.Errorf("%s serves no workflow: %v", h.Name, h.Workflows)
		}
		if h.New == nil {
			t.Errorf("%s has no constructor", h.Name)
		}
	}
}

func TestUsedPlaceholders(t *testing.T) {
	def := `{"A":"${SweepFunctionArn}","B":"${ListTablesFunctionArn}","C":"${SweepFunctionArn}","D":"$.x"}`
	want := []string{"ListTablesFunctionArn", "SweepFunctionArn"}
	if got := UsedPlaceholders(def); !slices.Equal(got, want) {
		t.Errorf("UsedPlaceholders() = %v, want %v", got, want)
	}
}

func TestHandlerNamesAreUnique(t *testing.T) {
	for name, hs := range map[string][]Handler{"All": All, "Backup": Backup, "Restore": Restore} {
		seen := map[string]bool{}
		for _, h := range hs {
			if seen[h.Name] {
				t.Errorf("%s lists %s twice", name, h.Name)
			}
			seen[h.Name] = true
		}
	}
}

// TestStateMachinesUseExactlyTheDeployedHandlers: every ${Placeholder} in
// each ASL file is one infra fills in, and every handler the stack deploys
// for it is used.
func TestStateMachinesUseExactlyTheDeployedHandlers(t *testing.T) {
	for file, handlers := range map[string][]Handler{"backup.asl.json": Backup, "restore.asl.json": Restore} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "statemachine", file))
		if err != nil {
			t.Fatal(err)
		}
		used, filled := UsedPlaceholders(string(raw)), Placeholders(handlers)
		slices.Sort(filled)
		if len(used) == 0 || !slices.Equal(used, filled) {
			t.Errorf("%s uses %v; infra fills %v", file, used, filled)
		}
	}
}
