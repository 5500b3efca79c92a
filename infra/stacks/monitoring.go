package stacks

import (
	"fmt"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// The run metrics (names in core: metrics.go): each backup run's summarize
// step writes them to its log in the CloudWatch embedded metric format, one
// line per destination region (dimension DestinationRegion) and one line
// without dimensions (RunsCompleted), and CloudWatch Logs turns them into
// metrics, so no handler needs cloudwatch:PutMetricData ("Embedding metrics
// within logs":
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format.html).

// decisionMetrics count the tables of each decision of a run, per
// destination region.
var decisionMetrics = []string{core.MetricTablesCopied, core.MetricTablesUnchanged, core.MetricTablesNotDue, core.MetricTablesDeferred,
	core.MetricTablesOff, core.MetricTablesFailed, core.MetricTablesUnattainable}

// maxAlarmRange is the longest time an alarm may evaluate, Period ×
// EvaluationPeriods, for a period of an hour or more ("PutMetricAlarm":
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
const maxAlarmRange = 7 * 24 * time.Hour

// alarmPeriod is the period of the RPO alarms: short, so that a run's
// report shows within minutes of the run.
const alarmPeriod = 5 * time.Minute

// runMetric is a run metric with statistic stat over period, for one
// destination region, or without dimensions when destination is empty.
func runMetric(name, destination, stat string, period time.Duration) awscloudwatch.Metric {
	props := &awscloudwatch.MetricProps{
		Namespace:  jsii.String(core.MetricNamespace),
		MetricName: jsii.String(name),
		Statistic:  jsii.String(stat),
		Period:     awscdk.Duration_Seconds(jsii.Number(period.Seconds())),
	}
	if destination != "" {
		props.DimensionsMap = &map[string]*string{core.MetricDimensionDestRegion: jsii.String(destination)}
	}
	return awscloudwatch.NewMetric(props)
}

// addRunAlarms raises alarms on the run metrics, to topic: per destination
// region, any table over its RPO, and any table whose RPO cannot be met at
// all; and a heartbeat, when no run completes within two schedule
// intervals.
//
// The RPO alarms keep their state between runs (missing data: IGNORE): a
// run's report says how things stand until the next run reports, and the
// heartbeat covers runs that stop reporting. An unattainable table has its
// own alarm, although it will also be over its RPO at times: its cause and
// its fix differ (the table needs a larger RPO, the smallest one the
// summary names), and it shows before the RPO is missed.
//
// The heartbeat treats missing data as breaching, so it also fires when
// the schedule is disabled, runs hang, or right after an install until the
// first run completes. Its window must fit the longest range an alarm can
// evaluate (7 days); a schedule whose intervals it cannot tell, or whose
// two intervals are longer, gets no heartbeat, with a warning at synthesis.
func addRunAlarms(stack awscdk.Stack, cfg Config, topic awssns.ITopic) []awscloudwatch.Alarm {
	var alarms []awscloudwatch.Alarm
	keep := alarmOptions{Threshold: 1, Operator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		Missing: awscloudwatch.TreatMissingData_IGNORE}
	for _, d := range cfg.DestinationRegions {
		alarms = append(alarms,
			newAlarm(stack, topic, "TablesOverRPO-"+d, "At least one table's newest copy in "+d+" is older than its RPO. "+
				"The run's summary names each table with its RPO age.", runMetric(core.MetricTablesOverRPO, d, "Maximum", alarmPeriod), keep),
			newAlarm(stack, topic, "TablesUnattainable-"+d, "At least one table's copy to "+d+" takes longer than its RPO, "+
				"so the RPO can never be met. The run's summary names each table with its measured copy time and the smallest RPO "+
				"it can have.", runMetric(core.MetricTablesUnattainable, d, "Maximum", alarmPeriod), keep))
	}
	if cfg.Schedule == "" {
		return alarms
	}
	interval, ok := ScheduleInterval(cfg.Schedule)
	if !ok || 2*interval > maxAlarmRange {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("xregion-backup:no-heartbeat"), jsii.String(fmt.Sprintf(
			"No heartbeat alarm: the schedule %q has runs more than %s apart, or on certain days only, and an alarm can "+
				"evaluate at most %s.", cfg.Schedule, minutes(maxAlarmRange/2), minutes(maxAlarmRange))))
		return alarms
	}
	return append(alarms, newAlarm(stack, topic, "Heartbeat", fmt.Sprintf("No backup run completed within %s, two schedule "+
		"intervals: the schedule may be disabled, or runs may be stuck or failing before their summary.", minutes(2*interval)),
		runMetric(core.MetricRunsCompleted, "", "Sum", 2*interval),
		alarmOptions{Threshold: 1, Operator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			Missing: awscloudwatch.TreatMissingData_BREACHING}))
}

// minutes writes d, a whole number of minutes, in hours where it can.
func minutes(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}

// dashboardPeriod is the period of the dashboard's run metrics: one
// schedule interval, so that each point is one run, within 5 minutes and a
// day; an hour when the schedule's interval is unknown.
func dashboardPeriod(cfg Config) time.Duration {
	interval, ok := ScheduleInterval(cfg.Schedule)
	if !ok {
		return time.Hour
	}
	return min(max(interval, 5*time.Minute), 24*time.Hour)
}

// newDashboard makes the stack's CloudWatch dashboard, named after the
// stack: the RPO (tables over their RPO and the worst RPO age, per
// destination region), each destination's decisions, the cost (GB copied
// and the runs' cost), and failures over time (tables failed, the state
// machine's failed, timed out and aborted executions, each handler's real
// failures), with the state of every alarm.
func newDashboard(stack awscdk.Stack, cfg Config, failures failureMetrics, runAlarms []awscloudwatch.Alarm) {
	period := dashboardPeriod(cfg)
	perDestination := func(name, stat string) *[]awscloudwatch.IMetric {
		var out []awscloudwatch.IMetric
		for _, d := range cfg.DestinationRegions {
			out = append(out, runMetric(name, d, stat, period).With(&awscloudwatch.MetricOptions{Label: jsii.String(d)}))
		}
		return &out
	}
	graph := func(title string, left *[]awscloudwatch.IMetric, stacked bool) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: left, Stacked: jsii.Bool(stacked), Width: jsii.Number(12), Height: jsii.Number(6),
		})
	}

	rows := [][]awscloudwatch.IWidget{{
		graph("Tables over their RPO", perDestination(core.MetricTablesOverRPO, "Maximum"), false),
		graph("Worst RPO age (seconds)", perDestination(core.MetricWorstRPOAgeSeconds, "Maximum"), false),
	}}
	var decisions []awscloudwatch.IWidget
	for _, d := range cfg.DestinationRegions {
		var metrics []awscloudwatch.IMetric
		for _, name := range decisionMetrics {
			m := runMetric(name, d, "Sum", period).With(&awscloudwatch.MetricOptions{Label: jsii.String(name)})
			metrics = append(metrics, m)
		}
		decisions = append(decisions, graph("Decisions per run: "+d, &metrics, true))
	}
	runs := append(slices.Clone(failures.Executions),
		runMetric(core.MetricRunsCompleted, "", "Sum", period).With(&awscloudwatch.MetricOptions{Label: jsii.String(core.MetricRunsCompleted)}))
	rows = append(rows, decisions,
		[]awscloudwatch.IWidget{
			graph("GB copied", perDestination(core.MetricGBCopied, "Sum"), true),
			graph("Run cost (USD)", perDestination(core.MetricRunCostUSD, "Sum"), true),
		},
		[]awscloudwatch.IWidget{
			graph("Tables failed", perDestination(core.MetricTablesFailed, "Sum"), true),
			graph("Executions failed, timed out, aborted; runs completed", &runs, false),
		},
	)
	var handlers []awscloudwatch.IMetric
	for i, h := range failures.Handlers {
		handlers = append(handlers, h.Metric(fmt.Sprint(i), awscdk.Duration_Minutes(jsii.Number(5))))
	}
	rows = append(rows, []awscloudwatch.IWidget{graph("Handler failures", &handlers, true)})
	var alarms []interfacesawscloudwatch.IAlarmRef
	for _, a := range slices.Concat(runAlarms, failures.Alarms) {
		alarms = append(alarms, a)
	}
	rows = append(rows, []awscloudwatch.IWidget{awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24),
	})})

	widgets := make([]*[]awscloudwatch.IWidget, len(rows))
	for i := range rows {
		widgets[i] = &rows[i]
	}
	awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: stack.StackName(),
		Widgets:       &widgets,
	})
	awscdk.NewCfnOutput(stack, jsii.String("DashboardName"), &awscdk.CfnOutputProps{Value: stack.StackName()})
}
