package stacks_test

import (
	"encoding/json"
	"fmt"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// topicOf returns the logical id of the stack's one SNS topic.
func topicOf(t *testing.T, tpl map[string]any) string {
	t.Helper()
	var ids []string
	for id := range resources(tpl, "AWS::SNS::Topic") {
		ids = append(ids, id)
	}
	if len(ids) != 1 {
		t.Fatalf("%d topics, want 1", len(ids))
	}
	return ids[0]
}

// runMetricAlarms returns the alarms on the run metrics, by logical id.
func runMetricAlarms(tpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, alarm := range resources(tpl, "AWS::CloudWatch::Alarm") {
		for _, m := range alarmMetrics(alarm) {
			if m.Namespace == core.MetricNamespace {
				out[id] = alarm
			}
		}
	}
	return out
}

// TestRPOAlarmsPerDestination: for each destination region, one alarm
// fires when any table is over its RPO and one when any table cannot meet
// its RPO at all; each keeps its state between runs, and notifies the
// topic.
func TestRPOAlarmsPerDestination(t *testing.T) {
	tpl := defaultApp(t).json[backupStack]
	topic := topicOf(t, tpl)
	alarms := runMetricAlarms(tpl)
	for _, d := range destinations {
		for _, name := range []string{core.MetricTablesOverRPO, core.MetricTablesUnattainable} {
			t.Run(name+" "+d, func(t *testing.T) {
				var found []string
				for id, alarm := range alarms {
					m := alarmMetrics(alarm)[0]
					if m.Name != name || m.Dimensions[core.MetricDimensionDestRegion] != d {
						continue
					}
					found = append(found, id)
					if len(m.Dimensions) != 1 || m.Stat != "Maximum" {
						t.Errorf("%s watches %+v, want the Maximum of %s with only the DestinationRegion dimension", id, m, name)
					}
					if alarm["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || alarm["Threshold"] != 1.0 ||
						alarm["EvaluationPeriods"] != 1.0 || alarm["TreatMissingData"] != "ignore" {
						t.Errorf("%s fires at %v %v over %v periods, missing data %v; want >= 1, one period, ignore",
							id, alarm["ComparisonOperator"], alarm["Threshold"], alarm["EvaluationPeriods"], alarm["TreatMissingData"])
					}
					if got := strs(alarm["AlarmActions"]); !slices.Equal(got, []string{"${" + topic + "}"}) {
						t.Errorf("%s notifies %v, want the topic", id, got)
					}
				}
				if len(found) != 1 {
					t.Errorf("%d alarms on %s in %s, want 1: %v", len(found), name, d, found)
				}
			})
		}
	}
}

// TestHeartbeatAlarm: an alarm fires when no run completes within two
// schedule intervals (missing data breaches, so a disabled schedule fires
// it too); without a schedule there is none, and a schedule whose
// intervals an alarm cannot cover gets none and a warning.
func TestHeartbeatAlarm(t *testing.T) {
	tests := []struct {
		schedule string
		period   float64 // seconds; 0: no heartbeat
		warning  bool
	}{
		{"rate(1 hour)", 2 * 3600, false},
		{"rate(15 minutes)", 30 * 60, false},
		{"cron(0 9,17 * * ? *)", 2 * 16 * 3600, false},
		{"rate(3 days)", 6 * 24 * 3600, false},
		{"rate(4 days)", 0, true},
		{"cron(0 9 ? * MON-FRI *)", 0, true},
		{"off", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.schedule, func(t *testing.T) {
			app := synth(t, "heartbeat "+tc.schedule, testConfig(t, map[string]any{"schedule": tc.schedule, "destinationRegions": "us-west-2"}))
			tpl := app.json[backupStack]
			var heartbeats []map[string]any
			for _, alarm := range runMetricAlarms(tpl) {
				if alarmMetrics(alarm)[0].Name == core.MetricRunsCompleted {
					heartbeats = append(heartbeats, alarm)
				}
			}
			if tc.period == 0 {
				if len(heartbeats) != 0 {
					t.Errorf("%d heartbeat alarms, want none", len(heartbeats))
				}
			} else if len(heartbeats) != 1 {
				t.Fatalf("%d heartbeat alarms, want 1", len(heartbeats))
			} else {
				a := heartbeats[0]
				m := alarmMetrics(a)[0]
				if len(m.Dimensions) != 0 || m.Stat != "Sum" || a["Period"] != tc.period || a["EvaluationPeriods"] != 1.0 {
					t.Errorf("heartbeat watches %+v over %v s x %v, want the Sum of RunsCompleted without dimensions over one period of %v s",
						m, a["Period"], a["EvaluationPeriods"], tc.period)
				}
				if a["ComparisonOperator"] != "LessThanThreshold" || a["Threshold"] != 1.0 || a["TreatMissingData"] != "breaching" {
					t.Errorf("heartbeat fires at %v %v, missing data %v; want < 1, breaching",
						a["ComparisonOperator"], a["Threshold"], a["TreatMissingData"])
				}
				if got := strs(a["AlarmActions"]); !slices.Equal(got, []string{"${" + topicOf(t, tpl) + "}"}) {
					t.Errorf("heartbeat notifies %v, want the topic", got)
				}
			}
			warnings := assertions.Annotations_FromStack(app.stacks[backupStack]).FindWarning(jsii.String("*"),
				assertions.Match_StringLikeRegexp(jsii.String("No heartbeat alarm")))
			if got := len(*warnings) > 0; got != tc.warning {
				t.Errorf("warning about the heartbeat: %v, want %v", got, tc.warning)
			}
		})
	}
}

// dashboardMetric is one metric a dashboard widget shows.
type dashboardMetric struct {
	Namespace, Name, Stat string
	Dimensions            string // name=value, comma-separated
}

// dashboard returns the stack's one dashboard: its name, the metrics of its
// graphs, the expressions they plot, and the alarms it shows.
func dashboard(t *testing.T, tpl map[string]any) (name string, metrics []dashboardMetric, expressions, alarms []string) {
	t.Helper()
	boards := resources(tpl, "AWS::CloudWatch::Dashboard")
	if len(boards) != 1 {
		t.Fatalf("%d dashboards, want 1", len(boards))
	}
	for _, b := range boards {
		name = render(b["DashboardName"])
		var body struct {
			Widgets []struct {
				Type       string `json:"type"`
				Properties struct {
					Metrics [][]any  `json:"metrics"`
					Alarms  []string `json:"alarms"`
				} `json:"properties"`
			} `json:"widgets"`
		}
		if err := json.Unmarshal([]byte(render(b["DashboardBody"])), &body); err != nil {
			t.Fatalf("dashboard body: %v", err)
		}
		for _, w := range body.Widgets {
			alarms = append(alarms, w.Properties.Alarms...)
			for _, m := range w.Properties.Metrics {
				opts, _ := m[len(m)-1].(map[string]any)
				if e, ok := opts["expression"].(string); ok {
					expressions = append(expressions, e)
					continue
				}
				var dims []string
				for i := 2; i+1 < len(m); i += 2 {
					dims = append(dims, fmt.Sprint(m[i])+"="+fmt.Sprint(m[i+1]))
				}
				stat, _ := opts["stat"].(string)
				metrics = append(metrics, dashboardMetric{Namespace: m[0].(string), Name: m[1].(string), Stat: stat,
					Dimensions: strings.Join(dims, ",")})
			}
		}
	}
	return name, metrics, expressions, alarms
}

// TestDashboardShowsRPODecisionsCostAndFailures: the backup stack's
// dashboard plots every run metric per destination region (RPO,
// decisions, cost), the runs completed, the state machine's failures and
// each handler's real failures, and shows every alarm of the stack.
func TestDashboardShowsRPODecisionsCostAndFailures(t *testing.T) {
	tpl := defaultApp(t).json[backupStack]
	name, metrics, expressions, alarms := dashboard(t, tpl)
	if name != backupStack {
		t.Errorf("dashboard named %q, want the stack's name %q", name, backupStack)
	}
	shows := func(m dashboardMetric) bool { return slices.Contains(metrics, m) }
	perDestination := map[string]string{
		core.MetricTablesOverRPO: "Maximum", core.MetricWorstRPOAgeSeconds: "Maximum",
		core.MetricTablesCopied: "Sum", core.MetricTablesUnchanged: "Sum", core.MetricTablesNotDue: "Sum",
		core.MetricTablesDeferred: "Sum", core.MetricTablesOff: "Sum", core.MetricTablesFailed: "Sum",
		core.MetricTablesUnattainable: "Sum", core.MetricGBCopied: "Sum", core.MetricRunCostUSD: "Sum",
	}
	for metric, stat := range perDestination {
		for _, d := range destinations {
			want := dashboardMetric{core.MetricNamespace, metric, stat, core.MetricDimensionDestRegion + "=" + d}
			if !shows(want) {
				t.Errorf("the dashboard does not show %+v", want)
			}
		}
	}
	if want := (dashboardMetric{core.MetricNamespace, core.MetricRunsCompleted, "Sum", ""}); !shows(want) {
		t.Errorf("the dashboard does not show %+v", want)
	}
	var stateMachine string
	for id := range resources(tpl, "AWS::StepFunctions::StateMachine") {
		stateMachine = "StateMachineArn=${" + id + "}"
	}
	for _, metric := range []string{"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"} {
		if want := (dashboardMetric{"AWS/States", metric, "Sum", stateMachine}); !shows(want) {
			t.Errorf("the dashboard does not show %+v", want)
		}
	}
	for handler, fn := range functionsByHandler(t, tpl) {
		if want := (dashboardMetric{"AWS/Lambda", "Errors", "Sum", "FunctionName=${" + fn + "}"}); !shows(want) {
			t.Errorf("the dashboard does not show the errors of %s: %+v", handler, want)
		}
	}
	if len(expressions) != len(registry.Backup) {
		t.Errorf("the dashboard plots %d expressions, want each handler's failures (%d): %v", len(expressions), len(registry.Backup), expressions)
	}
	var want []string
	for id := range resources(tpl, "AWS::CloudWatch::Alarm") {
		want = append(want, "${"+id+".Arn}")
	}
	slices.Sort(want)
	slices.Sort(alarms)
	if !slices.Equal(alarms, want) {
		t.Errorf("the dashboard shows the alarms %v, want every alarm of the stack %v", alarms, want)
	}
}

// TestRunMetricsNeedNoPutMetricData: the run metrics come from the
// summarize step's log, so no role may put metric data.
func TestRunMetricsNeedNoPutMetricData(t *testing.T) {
	for _, app := range []*synthesized{defaultApp(t), ledgerApp(t)} {
		for name, tpl := range app.json {
			for _, s := range statements(tpl) {
				if slices.Contains(s.Actions, "cloudwatch:PutMetricData") {
					t.Errorf("%s: %s allows cloudwatch:PutMetricData", name, s.Policy)
				}
			}
		}
	}
}
