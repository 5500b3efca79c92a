package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/infra/stacks"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

const (
	testAccount = "123456789012"
	source      = "us-east-1"
)

var destinations = []string{"us-west-2", "eu-west-1"}

// The stack names under the default prefix.
var backupStack = stacks.DefaultStackPrefix + "Backup"

func restoreStack(region string) string { return stacks.DefaultStackPrefix + "Restore-" + region }

// assetDir holds an empty bootstrap, so that synthesis does not need make
// build. It is the functions' code asset, so it holds nothing else; the apps
// that the tests synthesize write their output beside it.
var assetDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xrb-assets-")
	if err != nil {
		panic(err)
	}
	assetDir = filepath.Join(dir, "lambda")
	if err := os.Mkdir(assetDir, 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(assetDir, "bootstrap"), nil, 0o755); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	jsii.Close()
	os.Exit(code)
}

// repoDir is a directory of the repository, relative to its root.
func repoDir(t *testing.T, rel string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// testConfig is a valid configuration: us-east-1 to us-west-2 and
// eu-west-1, with the given context overrides.
func testConfig(t *testing.T, context map[string]any) stacks.Config {
	t.Helper()
	ctx := map[string]any{
		"sourceRegion":       source,
		"destinationRegions": strings.Join(destinations, ","),
		"notificationEmail":  "ops@example.com",
	}
	for k, v := range context {
		ctx[k] = v
	}
	cfg, err := stacks.LoadConfig(func(k string) any { return ctx[k] }, testAccount)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	cfg.AssetDir = assetDir
	cfg.StateMachineDir = repoDir(t, "statemachine")
	return cfg
}

// newRestoreStack makes a restore stack named Restore in eu-west-1, alone
// in its app, with handlers hs (registry.Restore when nil).
func newRestoreStack(t *testing.T, cfg stacks.Config, hs []registry.Handler) (awscdk.Stack, error) {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	return stacks.NewRestoreStack(app, "Restore", &stacks.RestoreStackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}},
		Config:     cfg,
		Handlers:   hs,
	})
}

// synthesized is one app's stacks and their templates.
type synthesized struct {
	stacks    map[string]awscdk.Stack
	templates map[string]assertions.Template
	json      map[string]map[string]any
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*synthesized{}
)

// synth builds and synthesizes the whole app for cfg, once per name.
func synth(t *testing.T, name string, cfg stacks.Config) *synthesized {
	t.Helper()
	return synthApp(t, name, func(app awscdk.App) ([]awscdk.Stack, error) { return stacks.Build(app, cfg) })
}

// synthApp synthesizes the stacks that build adds to a new app, once per
// name.
func synthApp(t *testing.T, name string, build func(awscdk.App) ([]awscdk.Stack, error)) *synthesized {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if s, ok := cache[name]; ok {
		return s
	}
	// The app outlives this test (it is shared), so its output directory
	// lives beside the assets and is removed after all tests.
	outdir, err := os.MkdirTemp(filepath.Dir(assetDir), "cdk.out-")
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	built, err := build(app)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	s := &synthesized{stacks: map[string]awscdk.Stack{}, templates: map[string]assertions.Template{}, json: map[string]map[string]any{}}
	for _, st := range built {
		stackName := *st.StackName()
		s.stacks[stackName] = st
		tpl := assertions.Template_FromStack(st, nil)
		s.templates[stackName] = tpl
		raw, err := json.Marshal(tpl.ToJSON())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		s.json[stackName] = m
	}
	cache[name] = s
	return s
}

func defaultApp(t *testing.T) *synthesized { return synth(t, "default", testConfig(t, nil)) }

// resources returns the resources of type typ in a template, by logical id.
func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			props, _ := res["Properties"].(map[string]any)
			out[id] = props
		}
	}
	return out
}

// statement is one IAM policy statement, with its values flattened.
type statement struct {
	Policy     string // logical id of the policy resource
	Actions    []string
	Resources  []string
	Condition  map[string]any
	Principals any
}

// statements returns the statements of every IAM policy in tpl.
func statements(tpl map[string]any) []statement {
	var out []statement
	for id, props := range resources(tpl, "AWS::IAM::Policy") {
		doc := props["PolicyDocument"].(map[string]any)
		for _, s := range doc["Statement"].([]any) {
			st := s.(map[string]any)
			cond, _ := st["Condition"].(map[string]any)
			out = append(out, statement{
				Policy:    id,
				Actions:   strs(st["Action"]),
				Resources: strs(st["Resource"]),
				Condition: cond,
			})
		}
	}
	return out
}

// strs flattens a string or a list of values to strings, rendering
// intrinsic functions as ${...}.
func strs(v any) []string {
	if list, ok := v.([]any); ok {
		out := make([]string, len(list))
		for i, item := range list {
			out[i] = render(item)
		}
		return out
	}
	return []string{render(v)}
}

// render turns a template value into a string: Fn::Join is joined, Ref and
// Fn::GetAtt become ${Name} and ${Name.Attr}.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, render(p))
			}
			return strings.Join(parts, join[0].(string))
		}
		if ref, ok := v["Ref"].(string); ok {
			return "${" + ref + "}"
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok {
			return fmt.Sprintf("${%s.%s}", att[0], att[1])
		}
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// functionsByHandler maps each handler name to its function's logical id,
// found through the function's description (never the hashed id).
func functionsByHandler(t *testing.T, tpl map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, props := range resources(tpl, "AWS::Lambda::Function") {
		name, ok := strings.CutPrefix(props["Description"].(string), "dynamodb-xregion-backup ")
		if !ok {
			t.Fatalf("function %s has no handler description", id)
		}
		out[name] = id
	}
	return out
}

// roleOf returns the logical id of the role a function runs as.
func roleOf(t *testing.T, tpl map[string]any, functionID string) string {
	t.Helper()
	fn := resources(tpl, "AWS::Lambda::Function")[functionID]
	role := fn["Role"].(map[string]any)["Fn::GetAtt"].([]any)
	return role[0].(string)
}

// roleStatements returns the statements of the policies attached to role.
func roleStatements(tpl map[string]any, role string) []statement {
	var out []statement
	policies := resources(tpl, "AWS::IAM::Policy")
	for _, s := range statements(tpl) {
		for _, r := range strs(policies[s.Policy]["Roles"]) {
			if r == "${"+role+"}" {
				out = append(out, s)
			}
		}
	}
	return out
}

// actionsOf returns the sorted, distinct actions of statements.
func actionsOf(ss []statement) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Actions...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// metricRef is one metric an alarm watches.
type metricRef struct {
	ID, Namespace, Name, Stat string
	Dimensions                map[string]string // name: rendered value
}

// alarmMetrics returns the metrics an alarm watches: its one metric, or
// every metric of its math expression.
func alarmMetrics(alarm map[string]any) []metricRef {
	if name, ok := alarm["MetricName"].(string); ok {
		stat, _ := alarm["Statistic"].(string)
		return []metricRef{{Namespace: alarm["Namespace"].(string), Name: name, Stat: stat, Dimensions: dimensions(alarm["Dimensions"])}}
	}
	var out []metricRef
	list, _ := alarm["Metrics"].([]any)
	for _, item := range list {
		m := item.(map[string]any)
		stat, ok := m["MetricStat"].(map[string]any)
		if !ok {
			continue
		}
		metric := stat["Metric"].(map[string]any)
		out = append(out, metricRef{
			ID: m["Id"].(string), Namespace: metric["Namespace"].(string), Name: metric["MetricName"].(string),
			Stat: stat["Stat"].(string), Dimensions: dimensions(metric["Dimensions"]),
		})
	}
	return out
}

func dimensions(v any) map[string]string {
	out := map[string]string{}
	list, _ := v.([]any)
	for _, d := range list {
		dim := d.(map[string]any)
		out[dim["Name"].(string)] = render(dim["Value"])
	}
	return out
}

// resourcePolicy returns the statements of a policy document held in a
// resource's properties (a key policy, a topic policy), as JSON objects.
func resourcePolicy(props map[string]any, field string) []map[string]any {
	doc, _ := props[field].(map[string]any)
	list, _ := doc["Statement"].([]any)
	out := make([]map[string]any, len(list))
	for i, s := range list {
		out[i] = s.(map[string]any)
	}
	return out
}
