package stacks

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// RestoreStackProps configures the restore stack of one destination region.
// The stack's region (StackProps.Env) is that destination region.
type RestoreStackProps struct {
	awscdk.StackProps
	Config Config
	// Handlers to deploy; registry.Restore when nil.
	Handlers []registry.Handler
}

// NewRestoreStack deploys, in one destination region, everything a restore
// needs, so that restores work with the source region gone: the catalog
// table, the restore handlers and, once statemachine/restore.asl.json
// exists, the restore state machine.
func NewRestoreStack(scope constructs.Construct, id string, props *RestoreStackProps) (awscdk.Stack, error) {
	cfg := props.Config
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	region := *stack.Region()
	hs := props.Handlers
	if hs == nil {
		hs = registry.Restore
	}

	catalog := awsdynamodb.NewTable(stack, jsii.String("Catalog"), &awsdynamodb.TableProps{
		TableName:          jsii.String(cfg.CatalogTableName),
		PartitionKey:       &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:            &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:        awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection: jsii.Bool(true),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// The catalog outlives the stack: it describes the backups that
		// stay in this region after an uninstall.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	anyTable := tableARN(region, "*")
	scopeOf := Scope{
		ReadTables:      []ARN{anyTable},
		RestoreTargets:  []ARN{anyTable},
		BackupTables:    []ARN{anyTable},
		ReadBackups:     []ARN{backupARN(region, "*")},
		RestoreSources:  []ARN{backupARN(region, "*")},
		PrunableBackups: []ARN{backupARN(region, TempTablePrefix+"*")},
		TempTables:      []ARN{tableARN(region, TempTablePrefix+"*")},
		SettableTables:  []ARN{anyTable},
		Catalog:         catalogARNs([]string{region}, cfg.CatalogTableName),
		KMSRegions:      []string{region},
		KMSKeyID:        cfg.KMSKeyID,
	}
	functions := make([]*GoFunction, 0, len(hs))
	for _, h := range hs {
		env := cfg.Environment()
		// A restore targets the first destination region: this one.
		env["DESTINATION_REGIONS"] = strings.Join(slices.Concat([]string{region},
			slices.DeleteFunc(slices.Clone(cfg.DestinationRegions), func(r string) bool { return r == region })), ",")
		f, err := NewGoFunction(stack, &GoFunctionProps{
			Handler:      h,
			AssetDir:     cfg.AssetDir,
			Environment:  env,
			LogRetention: cfg.logRetention(),
			Scope:        scopeOf,
		})
		if err != nil {
			return nil, err
		}
		functions = append(functions, f)
	}

	// The restore workflow is optional until its definition is written.
	definition := filepath.Join(cfg.StateMachineDir, "restore.asl.json")
	if _, err := os.Stat(definition); err == nil {
		sm, err := NewWorkflow(stack, "Restore", &WorkflowProps{
			Name:           id + "-restore",
			DefinitionFile: definition,
			Functions:      functions,
			LogRetention:   cfg.logRetention(),
		})
		if err != nil {
			return nil, err
		}
		awscdk.NewCfnOutput(stack, jsii.String("StateMachineArn"), &awscdk.CfnOutputProps{Value: sm.StateMachineArn()})
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	awscdk.NewCfnOutput(stack, jsii.String("CatalogTableName"), &awscdk.CfnOutputProps{Value: catalog.TableName()})
	return stack, nil
}
