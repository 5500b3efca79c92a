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
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
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

// alarmNamePrefix starts the name of every alarm of stack, so that the
// topic and key policies can name them all with one ARN pattern (an exact
// list of alarm ARNs in the key policy would be a circular reference: the
// alarms name the topic, which names the key).
func alarmNamePrefix(stack awscdk.Stack) string { return *stack.StackName() + "-" }

// newAlarmTopic makes the encrypted, SSL-only topic that the stack's alarms
// publish to, with an optional email subscription. Its key is a customer
// managed key, because CloudWatch cannot publish to a topic encrypted with
// the AWS managed SNS key.
//
// A topic policy replaces SNS's default policy, and EnforceSSL makes CDK
// write one whose only statement is a Deny, so CloudWatch must be allowed
// to publish explicitly, only for this account's alarms of this stack
// (aws:SourceAccount and aws:SourceArn, against the confused deputy
// problem), and to use the key that encrypts the messages. The key
// statement has the form SNS documents, with no condition: no AWS document
// says that the KMS calls made for an alarm carry the alarm's ARN, and a
// condition they fail would silence every alarm; the topic policy is what
// limits publishing to this stack's alarms. See "Amazon SNS
// access control: example cases" and "Enable compatibility between event
// sources from AWS services and encrypted topics":
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
// and "Using Amazon CloudWatch alarms", alarm actions:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
func newAlarmTopic(stack awscdk.Stack, email string) awssns.Topic {
	cloudWatch := &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)}
	fromOurAlarms := &map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()},
		"ArnLike": map[string]any{"aws:SourceArn": NewARN("cloudwatch", *stack.Region(),
			"alarm:"+alarmNamePrefix(stack)+"*").IAM},
	}
	key := awskms.NewKey(stack, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the dynamodb-xregion-backup alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToUseTheKey"),
		Principals: cloudWatch,
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), nil)
	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("dynamodb-xregion-backup alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: cloudWatch,
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: fromOurAlarms,
	}))
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	return topic
}

// ExpectedOutcomePattern matches the one log line a handler writes when a
// step ends with an expected, retried outcome (an overlapping run's skip, a
// busy table, throttling): {"msg":"step failed","expected":true,...}.
// Lambda keeps application log lines that are already JSON as they are
// ("Configuring JSON and plain text log formats":
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html),
// so a JSON metric filter pattern can select them ("Filter pattern syntax
// for metric filters", JSON boolean values:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
const ExpectedOutcomePattern = "{ $.expected IS TRUE }"

// ExpectedOutcomesMetric names the metric that counts a handler's expected
// outcomes: in the namespace of the stack, one metric per handler.
func ExpectedOutcomesMetric(stackName, handler string) (namespace, name string) {
	return "dynamodb-xregion-backup/" + stackName, handler + "-ExpectedOutcomes"
}

// addAlarms raises an alarm, to topic, whenever a run fails, times out or
// is aborted, and whenever a handler fails for real.
//
// A handler's Lambda Errors count every error it returns, including the
// expected outcomes the state machine retries, and the failures that never
// reach the handler's own log line (timeouts, crashes). So each handler's
// alarm watches Errors minus its expected outcomes, counted by a metric
// filter on its log group; a period without expected outcomes has no data
// point, which FILL makes 0. "Using math expressions with CloudWatch
// metrics": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
func addAlarms(stack awscdk.Stack, sm awsstepfunctions.StateMachine, functions []*GoFunction, topic awssns.Topic) {
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm := func(id, description string, metric awscloudwatch.IMetric) {
		a := awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(alarmNamePrefix(stack) + id),
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
	}
	period := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}
	alarm("ExecutionsFailedAlarm", "A backup run failed: at least one table was not copied. See the execution's summary.", sm.MetricFailed(sum))
	alarm("ExecutionsTimedOutAlarm", "A backup run timed out.", sm.MetricTimedOut(sum))
	alarm("ExecutionsAbortedAlarm", "A backup run was aborted.", sm.MetricAborted(sum))
	for _, f := range functions {
		id := strings.TrimSuffix(f.Handler.Placeholder(), "FunctionArn")
		namespace, name := ExpectedOutcomesMetric(*stack.StackName(), f.Handler.Name)
		expected := awslogs.NewMetricFilter(stack, jsii.String(id+"ExpectedOutcomes"), &awslogs.MetricFilterProps{
			LogGroup:        f.LogGroup,
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(ExpectedOutcomePattern)),
			MetricNamespace: jsii.String(namespace),
			MetricName:      jsii.String(name),
			MetricValue:     jsii.String("1"),
			Unit:            awscloudwatch.Unit_COUNT,
		})
		failures := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("errors - FILL(expected, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"errors":   f.Function.MetricErrors(sum),
				"expected": expected.Metric(sum),
			},
			Label:  jsii.String(f.Handler.Name + " failures"),
			Period: period,
		})
		alarm(id+"ErrorsAlarm", "The "+f.Handler.Name+" handler failed: errors other than the expected, retried outcomes, "+
			"including timeouts and crashes. See its log group.", failures)
	}
}
