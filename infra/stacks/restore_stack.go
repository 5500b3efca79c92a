package stacks

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
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
// table, the restore's run ledger, the restore handlers and the restore
// state machine.
func NewRestoreStack(scope constructs.Construct, id string, props *RestoreStackProps) (awscdk.Stack, error) {
	cfg := props.Config
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	region := *stack.Region()
	settings, err := cfg.Environment()
	if err != nil {
		return nil, err
	}
	// A restore reads only these and its ledger's name; its default target
	// region is its own, which Lambda gives it as AWS_REGION.
	env := make(map[string]string, len(core.RestoreEnvVars))
	for _, k := range core.RestoreEnvVars {
		env[k] = settings[k]
	}

	if !slices.Contains(cfg.AdoptCatalog, region) {
		newCatalog(stack, cfg.CatalogTable)
	}

	ledger := useLedger(newLedger(stack), env)
	anyTable := tableARN(region, "*")
	_, _, err = deployWorkflow(stack, cfg, workflowDeployment{
		ID:          "Restore",
		Name:        id + "-restore",
		Definition:  "restore.asl.json",
		Handlers:    orDefault(props.Handlers, registry.Restore),
		Environment: env,
		Scope: Scope{
			ReadTables:      []ARN{anyTable},
			RestoreTargets:  []ARN{anyTable},
			BackupTables:    []ARN{anyTable},
			ReadBackups:     []ARN{backupARN(region, "*")},
			RestoreSources:  []ARN{backupARN(region, "*")},
			PrunableBackups: []ARN{backupARN(region, core.TempPrefix+"*")},
			TempTables:      []ARN{tableARN(region, core.TempPrefix+"*")},
			SettableTables:  []ARN{anyTable},
			Catalog:         catalogARNs([]string{region}, cfg.CatalogTable),
			Ledger:          ledger,
			KMSRegions:      []string{region},
			KMSKeyID:        cfg.KMSKeyID,
		},
	})
	if err != nil {
		return nil, err
	}
	awscdk.NewCfnOutput(stack, jsii.String("CatalogTableName"), &awscdk.CfnOutputProps{Value: jsii.String(cfg.CatalogTable)})
	return stack, nil
}

// newCatalog makes the catalog table. It outlives the stack: it describes
// the backups that stay in this region after an uninstall, so an update or
// a delete of the stack retains it, and a re-install adopts it (the
// adoptCatalog context key) instead of creating it again under its fixed
// name. Only the stack operation that created it deletes it when it rolls
// back, so a failed first install leaves nothing behind (CloudFormation's
// DeletionPolicy RetainExceptOnCreate:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
// For the same reason it has no deletion protection: while it is on, no
// one can delete the table, CloudFormation's rollback included ("Using
// deletion protection":
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection).
// The stack's roles may not delete it, and point-in-time recovery protects
// its data.
func newCatalog(stack awscdk.Stack, name string) {
	awsdynamodb.NewTable(stack, jsii.String("Catalog"), &awsdynamodb.TableProps{
		TableName:    jsii.String(name),
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(core.CatalogPartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(core.CatalogSortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:   awsdynamodb.TableEncryption_AWS_MANAGED,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
}
