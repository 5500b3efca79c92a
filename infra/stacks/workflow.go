package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// WorkflowProps configures a state machine built from an ASL file.
type WorkflowProps struct {
	// Name is the state machine's name; it is fixed so that the role can
	// name the state machine's own executions without a circular reference.
	Name string
	// DefinitionFile is the ASL JSON, with ${...FunctionArn} placeholders.
	DefinitionFile string
	// Functions fill the placeholders, each under its handler's placeholder.
	Functions    []*GoFunction
	LogRetention awslogs.RetentionDays
}

// workflowDeployment is a workflow as a stack deploys it.
type workflowDeployment struct {
	// ID is the state machine's construct id, Name its name.
	ID, Name string
	// Definition is the ASL file, in Config.StateMachineDir.
	Definition string
	Handlers   []registry.Handler
	// Environment is every function's environment.
	Environment map[string]string
	// Scope limits what the functions may act on.
	Scope Scope
}

// deployWorkflow adds w to stack: a function per handler, each with the
// access it needs within w.Scope, and the state machine that runs them,
// whose ARN is the stack's StateMachineArn output.
func deployWorkflow(stack awscdk.Stack, cfg Config, w workflowDeployment) (awsstepfunctions.StateMachine, []*GoFunction, error) {
	functions := make([]*GoFunction, 0, len(w.Handlers))
	for _, h := range w.Handlers {
		f, err := NewGoFunction(stack, &GoFunctionProps{
			Handler:      h,
			AssetDir:     cfg.AssetDir,
			Environment:  w.Environment,
			LogRetention: cfg.logRetention(),
			Scope:        w.Scope,
		})
		if err != nil {
			return nil, nil, err
		}
		functions = append(functions, f)
	}
	sm, err := NewWorkflow(stack, w.ID, &WorkflowProps{
		Name:           w.Name,
		DefinitionFile: filepath.Join(cfg.StateMachineDir, w.Definition),
		Functions:      functions,
		LogRetention:   cfg.logRetention(),
	})
	if err != nil {
		return nil, nil, err
	}
	awscdk.NewCfnOutput(stack, jsii.String("StateMachineArn"), &awscdk.CfnOutputProps{Value: sm.StateMachineArn()})
	return sm, functions, nil
}

// orDefault is hs, or def when hs is nil.
func orDefault(hs, def []registry.Handler) []registry.Handler {
	if hs == nil {
		return def
	}
	return hs
}

const (
	reasonLogDelivery = "Step Functions logging uses CloudWatch Logs log-delivery actions (logs:CreateLogDelivery and the like), " +
		"which do not support resource-level permissions."
	reasonXRay = "X-Ray tracing uses xray:PutTraceSegments, xray:PutTelemetryRecords and the sampling actions, " +
		"which do not support resource-level permissions."
	reasonChildExecutions = "A Distributed Map runs each item as a child execution whose name Step Functions picks at run time; " +
		"the ARN is limited to this state machine's own executions."
)

// NewWorkflow makes a Standard state machine from an ASL file, with every
// placeholder filled by a handler's function ARN, ALL-level logging without
// execution data, X-Ray tracing, and a role that may invoke only those
// functions (and, for a Distributed Map, run its own child executions).
func NewWorkflow(scope constructs.Construct, id string, props *WorkflowProps) (awsstepfunctions.StateMachine, error) {
	raw, err := os.ReadFile(props.DefinitionFile)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: %w", props.Name, err)
	}
	var definition map[string]any
	if err := json.Unmarshal(raw, &definition); err != nil {
		return nil, fmt.Errorf("state machine %s: %s is not valid JSON: %w", props.Name, props.DefinitionFile, err)
	}
	substitutions := map[string]*string{}
	var provided []string
	for _, f := range props.Functions {
		substitutions[f.Handler.Placeholder()] = f.Function.FunctionArn()
		provided = append(provided, f.Handler.Placeholder())
	}
	if err := checkPlaceholders(props.DefinitionFile, registry.UsedPlaceholders(string(raw)), provided); err != nil {
		return nil, err
	}

	c := constructs.NewConstruct(scope, jsii.String(id))
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
		Description: jsii.String("Runs the " + props.Name + " state machine"),
	})
	policy := &Policy{Explain: func(string) string { return reasonChildExecutions }}
	arns := make([]ARN, len(props.Functions))
	for i, f := range props.Functions {
		arns[i] = ARN{IAM: *f.Function.FunctionArn()}
	}
	policy.Allow([]string{"lambda:InvokeFunction"}, arns)
	if isDistributed(definition) {
		region := *awscdk.Stack_Of(scope).Region()
		policy.Allow([]string{"states:StartExecution"},
			[]ARN{NewARN("states", region, "stateMachine:"+props.Name)})
		policy.Allow([]string{"states:DescribeExecution", "states:RedriveExecution", "states:StopExecution"},
			[]ARN{NewARN("states", region, "execution:"+props.Name+"/*")})
	}
	policy.Apply(role)

	logGroup := awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		// Step Functions requires the /aws/vendedlogs/ prefix for long
		// resource policies; keeping it avoids hitting that limit.
		LogGroupName:  jsii.String("/aws/vendedlogs/states/" + props.Name),
		Retention:     props.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	sm := awsstepfunctions.NewStateMachine(c, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(props.Name),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(string(raw))),
		DefinitionSubstitutions: &substitutions,
		Role:                    role,
		TracingEnabled:          jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(false),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// CDK adds the logging and tracing statements to the role's default
	// policy itself; they need Resource "*".
	suppress(role.Node().FindChild(jsii.String("DefaultPolicy")),
		suppression("AwsSolutions-IAM5", reasonLogDelivery+" "+reasonXRay, "Resource::*"))
	return sm, nil
}

// checkPlaceholders fails unless the definition uses exactly the provided
// placeholders: a missing one would deploy a broken state machine, an
// unused one a function that never runs.
func checkPlaceholders(file string, used, provided []string) error {
	var missing, unused []string
	for _, p := range used {
		if !slices.Contains(provided, p) {
			missing = append(missing, "${"+p+"}")
		}
	}
	for _, p := range provided {
		if !slices.Contains(used, p) {
			unused = append(unused, "${"+p+"}")
		}
	}
	switch {
	case len(missing) > 0:
		return fmt.Errorf("%s uses %s, which no handler fills; add the handler to lambdas/registry (placeholders are <PascalName>FunctionArn)",
			file, strings.Join(missing, ", "))
	case len(unused) > 0:
		return fmt.Errorf("%s does not use %s; remove the handler from lambdas/registry or reference it in the definition",
			file, strings.Join(unused, ", "))
	}
	return nil
}

// isDistributed reports whether any state in the definition, at any depth,
// is a Distributed Map.
func isDistributed(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		if pc, ok := v["ProcessorConfig"].(map[string]any); ok && pc["Mode"] == "DISTRIBUTED" {
			return true
		}
		for _, child := range v {
			if isDistributed(child) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(v, isDistributed)
	}
	return false
}
