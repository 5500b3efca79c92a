package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/infra/stacks"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// TestCloudWatchMayPublishToTheAlarmTopic: the topic policy replaces SNS's
// default policy, so it must allow CloudWatch to publish, and the key
// policy must let CloudWatch encrypt with the topic's key; both only for
// this account's alarms of this stack, and every alarm of the stack is
// named so that the condition covers it.
func TestCloudWatchMayPublishToTheAlarmTopic(t *testing.T) {
	tpl := defaultApp(t).json[backupStack]
	var topic string
	for id := range resources(tpl, "AWS::SNS::Topic") {
		topic = id
	}
	alarms := "arn:${AWS::Partition}:cloudwatch:" + source + ":${AWS::AccountId}:alarm:" + backupStack + "-*"
	wantCondition := `ArnLike aws:SourceArn=` + alarms + `; StringEquals aws:SourceAccount=` + testAccount
	fromCloudWatch := func(s map[string]any) bool {
		return s["Effect"] == "Allow" && render(s["Principal"]) == `{"Service":"cloudwatch.amazonaws.com"}`
	}

	var published []string
	for _, policy := range resources(tpl, "AWS::SNS::TopicPolicy") {
		if !slices.Equal(strs(policy["Topics"]), []string{"${" + topic + "}"}) {
			continue
		}
		for _, s := range resourcePolicy(policy, "PolicyDocument") {
			if !fromCloudWatch(s) {
				continue
			}
			if got := conditions(s["Condition"]); got != wantCondition {
				t.Errorf("CloudWatch may publish under the condition %s, want %s", got, wantCondition)
			}
			if got := strs(s["Resource"]); !slices.Equal(got, []string{"${" + topic + "}"}) {
				t.Errorf("CloudWatch may publish to %v, want the topic", got)
			}
			published = append(published, strs(s["Action"])...)
		}
	}
	if !slices.Equal(published, []string{"sns:Publish"}) {
		t.Errorf("the topic policy allows CloudWatch %v, want sns:Publish", published)
	}

	var used []string
	for _, key := range resources(tpl, "AWS::KMS::Key") {
		for _, s := range resourcePolicy(key, "KeyPolicy") {
			if !fromCloudWatch(s) {
				continue
			}
			// The documented form: a condition the KMS calls do not meet
			// would silence every alarm.
			if s["Condition"] != nil {
				t.Errorf("CloudWatch may use the key only under the condition %s, want none", conditions(s["Condition"]))
			}
			used = append(used, strs(s["Action"])...)
		}
	}
	slices.Sort(used)
	if !slices.Equal(used, []string{"kms:Decrypt", "kms:GenerateDataKey*"}) {
		t.Errorf("the key policy allows CloudWatch %v, want kms:Decrypt and kms:GenerateDataKey*", used)
	}

	alarmResources := resources(tpl, "AWS::CloudWatch::Alarm")
	if len(alarmResources) == 0 {
		t.Fatal("no alarms")
	}
	for id, alarm := range alarmResources {
		if name, _ := alarm["AlarmName"].(string); !strings.HasPrefix(name, backupStack+"-") {
			t.Errorf("alarm %s is named %q, which the policies' aws:SourceArn %s does not cover", id, name, alarms)
		}
	}
}

// TestHandlerAlarmsCountOnlyRealFailures: each handler's alarm watches its
// Lambda Errors minus its expected outcomes, which a metric filter on its
// own log group counts from the handlers' "expected":true log lines.
func TestHandlerAlarmsCountOnlyRealFailures(t *testing.T) {
	tpl := defaultApp(t).json[backupStack]
	functions := resources(tpl, "AWS::Lambda::Function")
	filters := resources(tpl, "AWS::Logs::MetricFilter")
	if len(filters) != len(registry.Backup) {
		t.Errorf("%d metric filters, want one per handler (%d)", len(filters), len(registry.Backup))
	}
	alarms := resources(tpl, "AWS::CloudWatch::Alarm")
	for handler, fn := range functionsByHandler(t, tpl) {
		t.Run(handler, func(t *testing.T) {
			logGroup := render(functions[fn]["LoggingConfig"].(map[string]any)["LogGroup"])
			namespace, name := stacks.ExpectedOutcomesMetric(backupStack, handler)
			var found int
			for id, f := range filters {
				if render(f["LogGroupName"]) != logGroup {
					continue
				}
				found++
				if f["FilterPattern"] != "{ $.expected IS TRUE }" {
					t.Errorf("filter %s has the pattern %q", id, f["FilterPattern"])
				}
				want := render([]any{map[string]any{"MetricName": name, "MetricNamespace": namespace, "MetricValue": "1", "Unit": "Count"}})
				if got := render(f["MetricTransformations"]); got != want {
					t.Errorf("filter %s publishes %s, want %s", id, got, want)
				}
			}
			if found != 1 {
				t.Errorf("%d metric filters on the log group %s, want 1", found, logGroup)
			}

			var watching []string
			for id, alarm := range alarms {
				metrics := alarmMetrics(alarm)
				if !slices.ContainsFunc(metrics, func(m metricRef) bool { return m.Dimensions["FunctionName"] == "${"+fn+"}" }) {
					continue
				}
				watching = append(watching, id)
				got := map[string]metricRef{}
				for _, m := range metrics {
					got[m.ID] = m
				}
				errors, expected := got["errors"], got["expected"]
				if len(metrics) != 2 || errors.Namespace != "AWS/Lambda" || errors.Name != "Errors" || errors.Stat != "Sum" ||
					expected.Namespace != namespace || expected.Name != name || expected.Stat != "Sum" {
					t.Errorf("alarm %s watches %+v, want the function's Errors and its expected outcomes", id, metrics)
				}
				var expression string
				list, _ := alarm["Metrics"].([]any)
				for _, item := range list {
					m := item.(map[string]any)
					if e, ok := m["Expression"].(string); ok && m["ReturnData"] == true {
						expression = e
					}
				}
				if expression != "errors - FILL(expected, 0)" {
					t.Errorf("alarm %s evaluates %q, want errors - FILL(expected, 0)", id, expression)
				}
				if alarm["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || alarm["Threshold"] != 1.0 {
					t.Errorf("alarm %s fires at %v %v, want >= 1", id, alarm["ComparisonOperator"], alarm["Threshold"])
				}
			}
			if len(watching) != 1 {
				t.Errorf("%d alarms watch the function, want 1: %v", len(watching), watching)
			}
		})
	}
}

// conditions renders a statement's Condition block as sorted
// "Operator key=value" clauses joined by "; ".
func conditions(v any) string {
	var out []string
	block, _ := v.(map[string]any)
	for op, keys := range block {
		for key, value := range keys.(map[string]any) {
			out = append(out, op+" "+key+"="+strings.Join(strs(value), ","))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}
