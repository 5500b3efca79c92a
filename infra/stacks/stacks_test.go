package stacks_test

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/infra/stacks"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

func TestScheduleStartsTheBackupWithEmptyInput(t *testing.T) {
	tpl := defaultApp(t).templates[backupStack]
	tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"ScheduleExpression": "rate(1 hour)",
		"State":              "ENABLED",
		"Targets": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"Input": "{}"}),
		}),
	})
}

func TestScheduleCanBeChangedOrSwitchedOff(t *testing.T) {
	cron := synth(t, "cron", testConfig(t, map[string]any{"schedule": "cron(15 */6 * * ? *)"}))
	cron.templates[backupStack].HasResourceProperties(jsii.String("AWS::Events::Rule"),
		map[string]any{"ScheduleExpression": "cron(15 */6 * * ? *)"})

	off := synth(t, "off", testConfig(t, map[string]any{"schedule": "off"}))
	off.templates[backupStack].ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(0))
	off.templates[backupStack].ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
}

func TestEveryFunctionIsMadeTheSameWay(t *testing.T) {
	app := defaultApp(t)
	want := map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"MemorySize":    256,
		"Timeout":       300,
		"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{
			"LogFormat": "JSON",
			"LogGroup":  assertions.Match_AnyValue(),
		}),
	}
	for name, tpl := range app.templates {
		t.Run(name, func(t *testing.T) {
			tpl.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), want)
		})
	}
	backup := app.json[backupStack]
	if got, want := len(functionsByHandler(t, backup)), len(registry.Backup); got != want {
		t.Errorf("backup stack has %d functions, want %d", got, want)
	}
	restore := app.json[restoreStack(destinations[0])]
	if got, want := len(functionsByHandler(t, restore)), len(registry.Restore); got != want {
		t.Errorf("restore stack has %d functions, want %d", got, want)
	}
}

// TestEveryFunctionRunsTheOneBootstrapAsItsHandler: every function of every
// stack has the one code asset, and its Handler setting, which selects the
// handler the bootstrap serves, is its registry name.
func TestEveryFunctionRunsTheOneBootstrapAsItsHandler(t *testing.T) {
	app := defaultApp(t)
	keys := map[string][]string{}
	for name, tpl := range app.json {
		functions := resources(tpl, "AWS::Lambda::Function")
		for handler, id := range functionsByHandler(t, tpl) {
			fn := functions[id]
			if _, ok := registry.Lookup(handler); !ok || fn["Handler"] != handler {
				t.Errorf("%s: function of %s has Handler %v, want its registry name", name, handler, fn["Handler"])
			}
			code, _ := fn["Code"].(map[string]any)
			key := render(code["S3Key"])
			keys[key] = append(keys[key], name+" "+handler)
		}
	}
	if len(keys) != 1 {
		t.Errorf("the functions have %d code assets, want one: %v", len(keys), keys)
	}
}

func TestFunctionsGetTheSettings(t *testing.T) {
	cfg := testConfig(t, map[string]any{
		"retentionDays": "14", "keepLast": 5.0, "include": []any{"orders-*", "users"}, "exclude": "tmp-*",
		"tagFilter": map[string]any{"backup": "true"}, "kmsKeyId": "alias/backups", "maxConcurrency": "20",
		"dryRun": "true", "sweepAfterHours": "48", "pollLimitMinutes": "600", "catalogTableName": "dr-catalog",
	})
	app := synth(t, "settings", cfg)
	backup := map[string]string{
		core.EnvSourceRegion: "us-east-1", core.EnvDestinationRegions: "us-west-2,eu-west-1", core.EnvRetentionDays: "14",
		core.EnvKeepLast: "5", core.EnvInclude: "orders-*,users", core.EnvExclude: "tmp-*", core.EnvTagFilter: "backup=true",
		core.EnvKMSKeyID: "alias/backups", core.EnvMaxConcurrency: "20", core.EnvDryRun: "true", core.EnvSweepAfterHours: "48",
		core.EnvPollLimitMinutes: "600", core.EnvCatalogTable: "dr-catalog", core.EnvRunsPerDay: "24",
	}
	// A restore reads only the catalog, the poll limit and its ledger;
	// its region is its own, which Lambda sets (AWS_REGION).
	restore := map[string]string{core.EnvCatalogTable: "dr-catalog", core.EnvPollLimitMinutes: "600"}
	for name, tpl := range app.json {
		want, reads := maps.Clone(backup), slices.Clone(core.EnvVars)
		if name != backupStack {
			want, reads = maps.Clone(restore), slices.Clone(core.RestoreEnvVars)
		}
		reads = append(reads, core.EnvLedgerTable)
		// Every function gets the name of its own stack's ledger.
		want[core.EnvLedgerTable] = "${" + ledgerID(t, tpl) + "}"
		functions := resources(tpl, "AWS::Lambda::Function")
		if len(functions) == 0 {
			t.Errorf("%s has no functions", name)
		}
		for id, fn := range functions {
			vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
			for k, v := range want {
				if render(vars[k]) != v {
					t.Errorf("%s/%s: %s = %v, want %q", name, id, k, vars[k], v)
				}
			}
			for k, v := range vars {
				if !slices.Contains(reads, k) {
					t.Errorf("%s/%s: %s = %v, which its handler does not read", name, id, k, v)
				}
			}
		}
	}
}

func TestDefinitionReferencesEveryHandler(t *testing.T) {
	app := defaultApp(t)
	workflows := map[string][]registry.Handler{backupStack: registry.Backup}
	for _, region := range destinations {
		workflows[restoreStack(region)] = registry.Restore
	}
	for name, hs := range workflows {
		t.Run(name, func(t *testing.T) {
			tpl := app.json[name]
			machines := resources(tpl, "AWS::StepFunctions::StateMachine")
			if len(machines) != 1 {
				t.Fatalf("%d state machines, want 1", len(machines))
			}
			functions := functionsByHandler(t, tpl)
			for _, sm := range machines {
				definition := sm["DefinitionString"].(string)
				substitutions := sm["DefinitionSubstitutions"].(map[string]any)
				if len(substitutions) != len(hs) {
					t.Errorf("%d substitutions, want one per handler (%d)", len(substitutions), len(hs))
				}
				for _, h := range hs {
					if !strings.Contains(definition, "${"+h.Placeholder()+"}") {
						t.Errorf("definition does not use ${%s}", h.Placeholder())
					}
					if got, want := render(substitutions[h.Placeholder()]), "${"+functions[h.Name]+".Arn}"; got != want {
						t.Errorf("%s = %s, want the ARN of the %s function (%s)", h.Placeholder(), got, h.Name, want)
					}
				}
			}
		})
	}
}

func TestStateMachineLogsAndTraces(t *testing.T) {
	tpl := defaultApp(t).templates[backupStack]
	tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"StateMachineType":     "STANDARD",
		"TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{
			"Level":                "ALL",
			"IncludeExecutionData": false,
		}),
	})
}

func TestStateMachineRoleRunsOnlyItsHandlersAndChildExecutions(t *testing.T) {
	tpl := defaultApp(t).json[backupStack]
	var role string
	for _, sm := range resources(tpl, "AWS::StepFunctions::StateMachine") {
		role = sm["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	}
	byAction := map[string][]string{}
	for _, s := range roleStatements(tpl, role) {
		for _, a := range s.Actions {
			byAction[a] = append(byAction[a], s.Resources...)
		}
	}
	if got := len(byAction["lambda:InvokeFunction"]); got != len(registry.Backup) {
		t.Errorf("lambda:InvokeFunction on %d resources, want the %d handlers", got, len(registry.Backup))
	}
	name := backupStack + "-backup"
	checks := map[string]string{
		"states:StartExecution":    ":states:us-east-1:${AWS::AccountId}:stateMachine:" + name,
		"states:DescribeExecution": ":states:us-east-1:${AWS::AccountId}:execution:" + name + "/*",
		"states:StopExecution":     ":states:us-east-1:${AWS::AccountId}:execution:" + name + "/*",
	}
	for action, suffix := range checks {
		if rs := byAction[action]; len(rs) != 1 || !strings.HasSuffix(rs[0], suffix) {
			t.Errorf("%s on %v, want only ...%s", action, rs, suffix)
		}
	}
}

func TestAlarmsNotifyTheTopic(t *testing.T) {
	app := defaultApp(t)
	tpl := app.json[backupStack]
	topics := resources(tpl, "AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%d topics, want 1", len(topics))
	}
	var topic string
	for id, props := range topics {
		topic = id
		if props["KmsMasterKeyId"] == nil {
			t.Error("the topic is not encrypted")
		}
	}
	metrics := map[string]int{}
	for id, alarm := range resources(tpl, "AWS::CloudWatch::Alarm") {
		if got := strs(alarm["AlarmActions"]); !slices.Equal(got, []string{"${" + topic + "}"}) {
			t.Errorf("alarm %s notifies %v, want the topic", id, got)
		}
		for _, m := range alarmMetrics(alarm) {
			metrics[m.Namespace+" "+m.Name]++
		}
	}
	for _, m := range []string{"AWS/States ExecutionsFailed", "AWS/States ExecutionsTimedOut", "AWS/States ExecutionsAborted"} {
		if metrics[m] != 1 {
			t.Errorf("%d alarms on %s, want 1", metrics[m], m)
		}
	}
	if got := metrics["AWS/Lambda Errors"]; got != len(registry.Backup) {
		t.Errorf("%d Lambda Errors alarms, want one per handler (%d)", got, len(registry.Backup))
	}

	tplA := app.templates[backupStack]
	tplA.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
		"Protocol": "email", "Endpoint": "ops@example.com",
	})
	tplA.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
		"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
			"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})}),
		}),
	})
}

func TestNoDynamoDBWildcardActions(t *testing.T) {
	for name, tpl := range defaultApp(t).json {
		for _, s := range statements(tpl) {
			for _, a := range s.Actions {
				if a == "*" || a == "dynamodb:*" || (strings.HasPrefix(a, "dynamodb:") && strings.Contains(a, "*")) {
					t.Errorf("%s: %s allows %s", name, s.Policy, a)
				}
			}
		}
	}
}

func TestResourceStarOnlyWhereIAMRequiresIt(t *testing.T) {
	unscoped := []string{
		"dynamodb:ListTables", "dynamodb:ListBackups", "cloudwatch:GetMetricData",
		// Added by CDK for state machine logging and tracing.
		"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
		"logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
		"xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
	}
	for _, app := range []*synthesized{defaultApp(t), ledgerApp(t)} {
		for name, tpl := range app.json {
			for _, s := range statements(tpl) {
				if !slices.Contains(s.Resources, "*") {
					continue
				}
				for _, a := range s.Actions {
					if !slices.Contains(unscoped, a) {
						t.Errorf("%s: %s allows %s on Resource *", name, s.Policy, a)
					}
				}
			}
		}
	}
}

func TestDeletesAreLimitedToTheToolsOwnResources(t *testing.T) {
	for name, tpl := range defaultApp(t).json {
		for _, s := range statements(tpl) {
			if slices.Contains(s.Actions, "dynamodb:DeleteTable") {
				if len(s.Actions) != 1 {
					t.Errorf("%s: DeleteTable shares a statement with %v", name, s.Actions)
				}
				for _, r := range s.Resources {
					if !strings.HasSuffix(r, ":table/xrb-tmp.*") {
						t.Errorf("%s: DeleteTable on %s, want only temporary tables", name, r)
					}
				}
			}
			// No tag conditions on DynamoDB: DynamoDB evaluates
			// aws:ResourceTag only where its attribute-based access control
			// is enabled, and elsewhere denies; the name prefix is the scope.
			if slices.ContainsFunc(s.Actions, func(a string) bool { return strings.HasPrefix(a, "dynamodb:") }) {
				for _, keys := range s.Condition {
					for key := range keys.(map[string]any) {
						if strings.HasPrefix(strings.ToLower(key), "aws:resourcetag/") {
							t.Errorf("%s: %v is conditioned on %s", name, s.Actions, key)
						}
					}
				}
			}
			if slices.Contains(s.Actions, "dynamodb:DeleteBackup") {
				for _, r := range s.Resources {
					srcBackups := strings.HasSuffix(r, ":dynamodb:"+source+":${AWS::AccountId}:table/*/backup/*")
					if !srcBackups && !strings.HasSuffix(r, ":table/xrb-tmp.*/backup/*") {
						t.Errorf("%s: DeleteBackup on %s, want source backups or backups of temporary tables", name, r)
					}
				}
			}
		}
	}

	// The backup stack may delete exactly the temporary tables of every
	// destination region.
	tpl := defaultApp(t).json[backupStack]
	var want []string
	for _, r := range destinations {
		want = append(want, "arn:${AWS::Partition}:dynamodb:"+r+":${AWS::AccountId}:table/xrb-tmp.*")
	}
	slices.Sort(want)
	for handler, fn := range functionsByHandler(t, tpl) {
		var got []string
		for _, s := range roleStatements(tpl, roleOf(t, tpl, fn)) {
			if slices.Contains(s.Actions, "dynamodb:DeleteTable") {
				got = append(got, s.Resources...)
			}
		}
		slices.Sort(got)
		if got != nil && !slices.Equal(got, want) {
			t.Errorf("%s may delete %v, want exactly %v", handler, got, want)
		}
	}
}

func TestHandlersGetOnlyTheActionsTheyNeed(t *testing.T) {
	tpl := defaultApp(t).json[backupStack]
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	ledger := []string{"dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
	want := map[string][]string{
		"list-tables": slices.Concat(ledger, []string{"dynamodb:DescribeTable", "dynamodb:ListTables", "dynamodb:ListTagsOfResource"}),
		"delete-table": {"dynamodb:DeleteTable", "dynamodb:DescribeTable", "dynamodb:ListTables",
			"dynamodb:ListTagsOfResource", "dynamodb:TagResource"},
		"prune-backups": slices.Concat(ledger, []string{"dynamodb:DeleteBackup", "dynamodb:DeleteItem", "dynamodb:ListBackups"}),
		"restore-table": {"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
			"dynamodb:ListTables", "dynamodb:ListTagsOfResource", "dynamodb:PutItem", "dynamodb:Query",
			"dynamodb:RestoreTableFromBackup", "dynamodb:Scan", "dynamodb:UpdateItem"},
		"summarize":      ledger,
		"record-outcome": ledger,
	}
	functions := functionsByHandler(t, tpl)
	for handler, actions := range want {
		got := actionsOf(roleStatements(tpl, roleOf(t, tpl, functions[handler])))
		want := slices.Sorted(slices.Values(slices.Concat(actions, logs)))
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s may do %v, want %v", handler, got, want)
		}
	}
}

func TestRestoreTargetsInDestinationRegionsAreTemporaryTables(t *testing.T) {
	tpl := defaultApp(t).json[backupStack]
	fn := functionsByHandler(t, tpl)["restore-table"]
	for _, s := range roleStatements(tpl, roleOf(t, tpl, fn)) {
		if !slices.Contains(s.Actions, "dynamodb:PutItem") {
			continue
		}
		for _, r := range s.Resources {
			if !strings.HasSuffix(r, ":table/xrb-tmp.*") || strings.Contains(r, ":"+source+":") {
				t.Errorf("restore-table may write items to %s, want only temporary tables in destination regions", r)
			}
		}
	}
}

func TestKMSAccessOnlyForTheConfiguredKey(t *testing.T) {
	hasKMS := func(tpl map[string]any) []statement {
		var out []statement
		for _, s := range statements(tpl) {
			if slices.ContainsFunc(s.Actions, func(a string) bool { return strings.HasPrefix(a, "kms:") }) {
				out = append(out, s)
			}
		}
		return out
	}
	for name, tpl := range defaultApp(t).json {
		if ss := hasKMS(tpl); len(ss) > 0 {
			t.Errorf("%s: KMS access without a configured key: %v", name, ss)
		}
	}

	tests := map[string]struct {
		key       string
		resources []string
		alias     bool
	}{
		"alias":  {key: "alias/backups", resources: []string{":kms:us-west-2:${AWS::AccountId}:key/*", ":kms:eu-west-1:${AWS::AccountId}:key/*"}, alias: true},
		"key id": {key: "mrk-1234abcd12ab34cd56ef1234567890ab", resources: []string{":kms:us-west-2:${AWS::AccountId}:key/mrk-1234abcd12ab34cd56ef1234567890ab", ":kms:eu-west-1:${AWS::AccountId}:key/mrk-1234abcd12ab34cd56ef1234567890ab"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			app := synth(t, "kms "+name, testConfig(t, map[string]any{"kmsKeyId": tc.key}))
			ss := hasKMS(app.json[backupStack])
			if len(ss) != 1 {
				t.Fatalf("%d KMS statements, want 1 (restore-table)", len(ss))
			}
			s := ss[0]
			if len(s.Resources) != len(tc.resources) {
				t.Fatalf("KMS resources %v, want %v", s.Resources, tc.resources)
			}
			for i, r := range s.Resources {
				if !strings.HasSuffix(r, tc.resources[i]) {
					t.Errorf("KMS resource %s, want ...%s", r, tc.resources[i])
				}
			}
			via := render(s.Condition["StringEquals"])
			if via != `{"kms:ViaService":["dynamodb.us-west-2.amazonaws.com","dynamodb.eu-west-1.amazonaws.com"]}` {
				t.Errorf("KMS ViaService condition %s", via)
			}
			if _, ok := s.Condition["ForAnyValue:StringEquals"]; ok != tc.alias {
				t.Errorf("alias condition present = %v, want %v", ok, tc.alias)
			}
			for _, a := range []string{"kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"} {
				if !slices.Contains(s.Actions, a) {
					t.Errorf("KMS statement lacks %s", a)
				}
			}
			assertNagClean(t, app)
		})
	}
}

func TestRestoreStacksLandInTheDestinationRegions(t *testing.T) {
	app := defaultApp(t)
	if len(app.stacks) != 1+len(destinations) {
		t.Fatalf("%d stacks, want the backup stack and one restore stack per destination", len(app.stacks))
	}
	if got := *app.stacks[backupStack].Region(); got != source {
		t.Errorf("backup stack in %s, want %s", got, source)
	}
	for _, region := range destinations {
		st, ok := app.stacks[restoreStack(region)]
		if !ok {
			t.Fatalf("no restore stack for %s", region)
		}
		if got := *st.Region(); got != region {
			t.Errorf("restore stack for %s is in %s", region, got)
		}
		if got := *st.Account(); got != testAccount {
			t.Errorf("restore stack for %s is in account %s", region, got)
		}
		// Every ARN the restore handlers use is in the stack's own region.
		for _, s := range statements(app.json[restoreStack(region)]) {
			for _, r := range s.Resources {
				if strings.Contains(r, ":dynamodb:") && !strings.Contains(r, ":dynamodb:"+region+":") {
					t.Errorf("restore stack in %s grants access to %s", region, r)
				}
			}
		}
	}
}

func TestCatalogTable(t *testing.T) {
	tpl := defaultApp(t).templates[restoreStack(destinations[0])]
	// Retained on update and delete, deleted only when the operation that
	// created it rolls back, so a failed first install can be retried.
	tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
		"DeletionPolicy":      "RetainExceptOnCreate",
		"UpdateReplacePolicy": "Retain",
		"Properties": map[string]any{
			"TableName":   "xregion-backup-catalog",
			"BillingMode": "PAY_PER_REQUEST",
			"KeySchema": []any{
				map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
				map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
			},
			"AttributeDefinitions": []any{
				map[string]any{"AttributeName": "pk", "AttributeType": "S"},
				map[string]any{"AttributeName": "sk", "AttributeType": "S"},
			},
			"SSESpecification":                 map[string]any{"SSEEnabled": true},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			// Deletion protection would make that rollback fail.
			"DeletionProtectionEnabled": assertions.Match_Absent(),
		},
	})
}

// TestReinstallAdoptsTheRetainedCatalog: with adoptCatalog, a restore stack
// creates no catalog table (the retained one has its fixed name) and its
// functions get the same access to the same table as when it creates it.
func TestReinstallAdoptsTheRetainedCatalog(t *testing.T) {
	adopting, other := destinations[0], destinations[1]
	created := defaultApp(t).json[restoreStack(adopting)]
	adopted := synth(t, "adopt catalog", testConfig(t, map[string]any{"adoptCatalog": adopting})).json

	catalogs := func(tpl map[string]any) (n int) {
		for _, table := range resources(tpl, "AWS::DynamoDB::Table") {
			if table["TableName"] == "xregion-backup-catalog" {
				n++
			}
		}
		return n
	}
	if n := catalogs(adopted[restoreStack(adopting)]); n != 0 {
		t.Errorf("the adopting restore stack makes %d catalogs, want none", n)
	}
	if n := catalogs(adopted[restoreStack(other)]); n != 1 {
		t.Errorf("the restore stack of %s makes %d catalogs, want its catalog", other, n)
	}
	catalogAccess := func(tpl map[string]any) []string {
		var out []string
		for _, s := range statements(tpl) {
			if slices.ContainsFunc(s.Resources, func(r string) bool { return strings.HasSuffix(r, ":table/xregion-backup-catalog") }) {
				out = append(out, render(s.Actions)+" on "+render(s.Resources))
			}
		}
		slices.Sort(out)
		return out
	}
	want := catalogAccess(created)
	if len(want) == 0 {
		t.Fatal("no statement names the catalog table")
	}
	if got := catalogAccess(adopted[restoreStack(adopting)]); !slices.Equal(got, want) {
		t.Errorf("access to the adopted catalog:\n%s\nwant, as when the stack creates it:\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	outputs := adopted[restoreStack(adopting)]["Outputs"].(map[string]any)
	if got := outputs["CatalogTableName"].(map[string]any)["Value"]; got != "xregion-backup-catalog" {
		t.Errorf("CatalogTableName output is %v, want the adopted table's name", got)
	}
}

func TestMissingDefinitionFailsSynthesis(t *testing.T) {
	cfg := testConfig(t, nil)
	cfg.StateMachineDir = t.TempDir() // no restore.asl.json
	_, err := newRestoreStack(t, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(cfg.StateMachineDir, "restore.asl.json")) {
		t.Errorf("error = %v, want one naming the missing restore.asl.json", err)
	}
}

func TestRestoreStateMachine(t *testing.T) {
	cfg := testConfig(t, nil)
	cfg.StateMachineDir = "testdata"
	st, err := newRestoreStack(t, cfg, []registry.Handler{
		{Name: "describe-table", Needs: []registry.Access{registry.ReadTables, registry.ReadCatalog}},
		{Name: "restore-table", Needs: []registry.Access{registry.RestoreTables, registry.ReapplySettings}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tpl := assertions.Template_FromStack(st, nil)
	tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"StateMachineName": "Restore-restore",
		"DefinitionSubstitutions": map[string]any{
			"DescribeTableFunctionArn": assertions.Match_AnyValue(),
			"RestoreTableFunctionArn":  assertions.Match_AnyValue(),
		},
	})
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
			"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Action": []any{"dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive"},
			})}),
		}),
	})
	tpl.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
			"CATALOG_TABLE": assertions.Match_AnyValue(),
		})},
	})
}

func TestDefinitionMustMatchTheHandlers(t *testing.T) {
	tests := map[string]struct {
		handlers []registry.Handler
		want     string
	}{
		"missing handler": {
			handlers: []registry.Handler{{Name: "describe-table"}},
			want:     "uses ${RestoreTableFunctionArn}, which no handler fills",
		},
		"unused handler": {
			handlers: []registry.Handler{{Name: "describe-table"}, {Name: "restore-table"}, {Name: "list-tables"}},
			want:     "does not use ${ListTablesFunctionArn}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t, nil)
			cfg.StateMachineDir = "testdata"
			_, err := newRestoreStack(t, cfg, tc.handlers)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMissingBootstrapFailsWithAHint(t *testing.T) {
	cfg := testConfig(t, nil)
	cfg.AssetDir = t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	_, err := stacks.Build(app, cfg)
	if err == nil || !strings.Contains(err.Error(), "run make build") {
		t.Errorf("error = %v, want one that says to run make build", err)
	}
}

func TestNagReportsNoUnsuppressedFindings(t *testing.T) {
	assertNagClean(t, defaultApp(t))
}

// assertNagClean checks that cdk-nag's AwsSolutions pack left no error or
// warning on any stack.
func assertNagClean(t *testing.T, app *synthesized) {
	t.Helper()
	for name, st := range app.stacks {
		annotations := assertions.Annotations_FromStack(st)
		nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
		for _, m := range *annotations.FindError(jsii.String("*"), nag) {
			//lint:ignore SA1019 FindError returns this type; there is no replacement in the Go bindings.
			t.Errorf("%s: %s: %v", name, *m.Id, m.Entry.Data)
		}
		for _, m := range *annotations.FindWarning(jsii.String("*"), nag) {
			//lint:ignore SA1019 as above.
			t.Errorf("%s: %s: %v", name, *m.Id, m.Entry.Data)
		}
	}
}
