package lambdahost

import (
	"strings"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// Handlers builds every handler of the registry, by name, from deps. Each
// sees the environment of its workflow (WorkflowEnv); a handler that serves
// both workflows (summarize, which reads no settings) gets
// that of its first.
func Handlers(deps registry.Deps) map[string]any {
	out := make(map[string]any, len(registry.All))
	for _, h := range registry.All {
		d := deps
		d.Getenv = WorkflowEnv(h.Workflows[0], deps.Getenv)
		out[h.Name] = h.New(d)
	}
	return out
}

// WorkflowEnv is the environment getenv describes as a function of workflow
// w would see it in Lambda, which sets AWS_REGION to the function's region:
// the backup stack is deployed in SOURCE_REGION, and the demo's restore
// stack in the first of DESTINATION_REGIONS.
func WorkflowEnv(w registry.Workflow, getenv func(string) string) func(string) string {
	region := getenv(core.EnvSourceRegion)
	if w == registry.RestoreWorkflow {
		region, _, _ = strings.Cut(getenv(core.EnvDestinationRegions), ",")
	}
	region = strings.TrimSpace(region)
	return func(key string) string {
		if key == core.EnvRegion {
			return region
		}
		return getenv(key)
	}
}
