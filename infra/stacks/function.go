package stacks

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// Settings every handler function gets.
const (
	FunctionMemoryMB = 256
	FunctionTimeout  = 5 // minutes
)

// GoFunctionProps configures one handler's function.
type GoFunctionProps struct {
	Handler registry.Handler
	// AssetDir holds bootstrap, the one Lambda binary of every handler,
	// built for linux/arm64 (make build); it is every function's code.
	AssetDir     string
	Environment  map[string]string
	LogRetention awslogs.RetentionDays
	// Scope limits the handler's AWS access.
	Scope Scope
}

// GoFunction is a deployed handler: its function, its own role and its own
// log group.
type GoFunction struct {
	Handler  registry.Handler
	Function awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
}

// NewGoFunction makes a handler's Lambda function; every handler is made
// here, the same way: arm64, provided.al2023, the one bootstrap as its code
// and the handler's name as its Handler setting (which selects the handler,
// see registry.Select), JSON logs to its own log group, and a role with only
// the statements its access needs. The functions share one code asset: CDK
// stages and uploads identical assets once.
func NewGoFunction(scope constructs.Construct, props *GoFunctionProps) (*GoFunction, error) {
	h := props.Handler
	bootstrap := filepath.Join(props.AssetDir, "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("handler %s: %s is missing; run make build first (or set the assetDir context key)", h.Name, bootstrap)
	}
	id := strings.TrimSuffix(h.Placeholder(), "Arn")
	c := constructs.NewConstruct(scope, jsii.String(id))

	logGroup := awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs the " + h.Name + " handler of dynamodb-xregion-backup"),
	})
	logGroup.GrantWrite(role)
	PolicyFor(h, props.Scope).Apply(role)

	env := make(map[string]*string, len(props.Environment))
	for _, k := range slices.Sorted(maps.Keys(props.Environment)) {
		env[k] = jsii.String(props.Environment[k])
	}
	fn := awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		Description:   jsii.String("dynamodb-xregion-backup " + h.Name),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String(h.Name),
		Code:          awslambda.Code_FromAsset(jsii.String(props.AssetDir), nil),
		MemorySize:    jsii.Number(FunctionMemoryMB),
		Timeout:       awscdk.Duration_Minutes(jsii.Number(FunctionTimeout)),
		Role:          role,
		LogGroup:      logGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment:   &env,
	})
	return &GoFunction{Handler: h, Function: fn, Role: role, LogGroup: logGroup}, nil
}
