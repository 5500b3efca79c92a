package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// BackupStackProps configures the backup stack, deployed in the source
// region.
type BackupStackProps struct {
	awscdk.StackProps
	Config Config
	// Handlers to deploy; registry.Backup when nil.
	Handlers []registry.Handler
}

// NewBackupStack deploys the backup workflow in the source region: its
// handlers, the state machine, the schedule that starts it, and the alarms
// that report its failures to an SNS topic.
func NewBackupStack(scope constructs.Construct, id string, props *BackupStackProps) (awscdk.Stack, error) {
	cfg := props.Config
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	env, err := cfg.Environment()
	if err != nil {
		return nil, err
	}

	src, dests := cfg.SourceRegion, cfg.DestinationRegions
	all := append([]string{src}, dests...)
	anyTable := func(r string) ARN { return tableARN(r, "*") }
	tempTable := func(r string) ARN { return tableARN(r, core.TempPrefix+"*") }
	tempBackups := func(r string) ARN { return backupARN(r, core.TempPrefix+"*") }
	sm, functions, err := deployWorkflow(stack, cfg, workflowDeployment{
		ID:          "Backup",
		Name:        id + "-backup",
		Definition:  "backup.asl.json",
		Handlers:    orDefault(props.Handlers, registry.Backup),
		Environment: env,
		Scope: Scope{
			ReadTables:      inRegions(all, anyTable),
			RestoreTargets:  inRegions(dests, tempTable),
			BackupTables:    append([]ARN{anyTable(src)}, inRegions(dests, tempTable)...),
			ReadBackups:     append([]ARN{backupARN(src, "*")}, inRegions(dests, tempBackups)...),
			RestoreSources:  []ARN{backupARN(src, "*")},
			PrunableBackups: append([]ARN{backupARN(src, "*")}, inRegions(dests, tempBackups)...),
			TempTables:      inRegions(dests, tempTable),
			SettableTables:  inRegions(dests, tempTable),
			Catalog:         catalogARNs(dests, cfg.CatalogTable),
			KMSRegions:      dests,
			KMSKeyID:        cfg.KMSKeyID,
		},
	})
	if err != nil {
		return nil, err
	}

	if cfg.Schedule != "" {
		awsevents.NewRule(stack, jsii.String("Schedule"), &awsevents.RuleProps{
			Description: jsii.String("Starts a dynamodb-xregion-backup run"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(cfg.Schedule)),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, &awseventstargets.SfnStateMachineProps{
				Input: awsevents.RuleTargetInput_FromObject(map[string]any{}),
			})},
		})
	}

	topic := newAlarmTopic(stack, cfg.NotificationEmail)
	addAlarms(stack, sm, functions, topic)

	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{Value: topic.TopicArn()})
	return stack, nil
}

// catalogARNs are the catalog tables in regions.
func catalogARNs(regions []string, name string) []ARN {
	return inRegions(regions, func(r string) ARN { return tableARN(r, name) })
}

// newAlarmTopic makes the encrypted, SSL-only topic that alarms publish to,
// with an optional email subscription. Its key is a customer managed key,
// because CloudWatch cannot publish to a topic encrypted with the AWS
// managed SNS key.
func newAlarmTopic(stack awscdk.Stack, email string) awssns.Topic {
	key := awskms.NewKey(stack, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the dynamodb-xregion-backup alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
	}), nil)
	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("dynamodb-xregion-backup alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	return topic
}

// addAlarms raises an alarm, to topic, whenever a run fails, times out or
// is aborted, and whenever a handler reports an error.
func addAlarms(stack awscdk.Stack, sm awsstepfunctions.StateMachine, functions []*GoFunction, topic awssns.Topic) {
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm := func(id, description string, metric awscloudwatch.IMetric) {
		a := awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
	}
	sum := &awscloudwatch.MetricOptions{
		Statistic: jsii.String("Sum"),
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
	}
	alarm("ExecutionsFailedAlarm", "A backup run failed: at least one table was not copied. See the execution's summary.", sm.MetricFailed(sum))
	alarm("ExecutionsTimedOutAlarm", "A backup run timed out.", sm.MetricTimedOut(sum))
	alarm("ExecutionsAbortedAlarm", "A backup run was aborted.", sm.MetricAborted(sum))
	for _, f := range functions {
		alarm(strings.TrimSuffix(f.Handler.Placeholder(), "FunctionArn")+"ErrorsAlarm",
			"The "+f.Handler.Name+" handler returned errors.", f.Function.MetricErrors(sum))
	}
}
