package lambdahost

import (
	"reflect"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

func TestWorkflowEnv(t *testing.T) {
	env := map[string]string{"SOURCE_REGION": "us-east-1", "DESTINATION_REGIONS": " eu-west-1 ,eu-central-1", "AWS_REGION": "ap-south-1", "KEEP_LAST": "3"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		workflow registry.Workflow
		key      string
		want     string
	}{
		{registry.BackupWorkflow, "AWS_REGION", "us-east-1"},
		{registry.RestoreWorkflow, "AWS_REGION", "eu-west-1"},
		{registry.BackupWorkflow, "KEEP_LAST", "3"},
		{registry.RestoreWorkflow, "DESTINATION_REGIONS", " eu-west-1 ,eu-central-1"},
		{registry.RestoreWorkflow, "UNSET", ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.workflow)+" "+tc.key, func(t *testing.T) {
			if got := WorkflowEnv(tc.workflow, getenv)(tc.key); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

// TestHandlersHostsTheWholeRegistry: every registry entry is hosted under
// its name, as a function Lambda can serve.
func TestHandlersHostsTheWholeRegistry(t *testing.T) {
	hosted := Handlers(registry.Deps{Getenv: func(string) string { return "" }})
	if len(hosted) != len(registry.All) {
		t.Errorf("%d handlers hosted, want the registry's %d", len(hosted), len(registry.All))
	}
	for _, h := range registry.All {
		fn, ok := hosted[h.Name]
		if !ok || reflect.TypeOf(fn).Kind() != reflect.Func {
			t.Errorf("%s is not hosted as a function: %T", h.Name, fn)
		}
	}
}
