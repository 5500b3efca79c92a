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
// handlers, its run ledger, the state machine, the schedule that starts it,
// the alarms that report its failures, missed RPOs and missing runs to an
// SNS topic, and a dashboard.
func NewBackupStack(scope constructs.Construct, id string, props *BackupStackProps) (awscdk.Stack, error) {
	cfg := props.Config
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	env, err := cfg.Environment()
	if err != nil {
		return nil, err
	}

	src, dests := cfg.SourceRegion, cfg.DestinationRegions
	ledger := useLedger(newLedger(stack), env)
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
			StatusCatalogs:  catalogARNs(dests, cfg.CatalogTable),
			StatusPartition: StatusPartitionKey(src),
			Ledger:          ledger,
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
	failures := addAlarms(stack, sm, functions, topic)
	newDashboard(stack, cfg, failures, addRunAlarms(stack, cfg, topic))

	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{Value: topic.TopicArn()})
	return stack, nil
}

// StatusPartitionKey is the partition key of the copy status items of the
// tables of sourceRegion in a destination's catalog.
func StatusPartitionKey(sourceRegion string) string { return "status#" + sourceRegion }

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

// alarmOptions are how an alarm compares its metric with its threshold and
// treats periods without data.
type alarmOptions struct {
	Threshold float64
	Operator  awscloudwatch.ComparisonOperator
	Missing   awscloudwatch.TreatMissingData
}

// atLeastOne fires when a period's value is 1 or more; a period without
// data is fine.
var atLeastOne = alarmOptions{Threshold: 1, Operator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
	Missing: awscloudwatch.TreatMissingData_NOT_BREACHING}

// newAlarm makes an alarm of stack, named with alarmNamePrefix, that
// notifies topic when it fires, after one evaluation period.
func newAlarm(stack awscdk.Stack, topic awssns.ITopic, id, description string, metric awscloudwatch.IMetric, o alarmOptions) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(alarmNamePrefix(stack) + id),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(o.Threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: o.Operator,
		TreatMissingData:   o.Missing,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	return a
}

// failureMetrics are what addAlarms watches, for the dashboard to show.
type failureMetrics struct {
	// Executions are the state machine's failed, timed out and aborted
	// executions.
	Executions []awscloudwatch.IMetric
	// Handlers are the handlers' real failures, one per handler.
	Handlers []handlerFailures
	Alarms   []awscloudwatch.Alarm
}

// handlerFailures are a handler's real failures: its Lambda Errors minus
// its expected outcomes.
type handlerFailures struct {
	Name             string
	Errors, Expected awscloudwatch.IMetric
}

// Metric is the failures as a math expression whose metrics have ids
// errors<suffix> and expected<suffix> (the ids must differ between the
// expressions of one graph).
func (h handlerFailures) Metric(suffix string, period awscdk.Duration) awscloudwatch.MathExpression {
	errors, expected := "errors"+suffix, "expected"+suffix
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(errors + " - FILL(" + expected + ", 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{errors: h.Errors, expected: h.Expected},
		Label:        jsii.String(h.Name + " failures"),
		Period:       period,
	})
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
func addAlarms(stack awscdk.Stack, sm awsstepfunctions.StateMachine, functions []*GoFunction, topic awssns.Topic) failureMetrics {
	var out failureMetrics
	alarm := func(id, description string, metric awscloudwatch.IMetric) {
		out.Alarms = append(out.Alarms, newAlarm(stack, topic, id, description, metric, atLeastOne))
	}
	period := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}
	executions := []struct {
		id, description string
		metric          awscloudwatch.Metric
	}{
		{"ExecutionsFailedAlarm", "A backup run failed: at least one table was not copied. See the execution's summary.", sm.MetricFailed(sum)},
		{"ExecutionsTimedOutAlarm", "A backup run timed out.", sm.MetricTimedOut(sum)},
		{"ExecutionsAbortedAlarm", "A backup run was aborted.", sm.MetricAborted(sum)},
	}
	for _, e := range executions {
		alarm(e.id, e.description, e.metric)
		out.Executions = append(out.Executions, e.metric)
	}
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
		failures := handlerFailures{Name: f.Handler.Name, Errors: f.Function.MetricErrors(sum), Expected: expected.Metric(sum)}
		alarm(id+"ErrorsAlarm", "The "+f.Handler.Name+" handler failed: errors other than the expected, retried outcomes, "+
			"including timeouts and crashes. See its log group.", failures.Metric("", period))
		out.Handlers = append(out.Handlers, failures)
	}
	return out
}
