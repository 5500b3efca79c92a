package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/infra/stacks"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// ledgerID returns the logical id of the stack's run ledger: the one table
// whose items expire by the expiresAt attribute.
func ledgerID(t *testing.T, tpl map[string]any) string {
	t.Helper()
	var ids []string
	for id, table := range resources(tpl, "AWS::DynamoDB::Table") {
		ttl, _ := table["TimeToLiveSpecification"].(map[string]any)
		if ttl["AttributeName"] == "expiresAt" {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d ledger tables (%v), want 1", len(ids), ids)
	}
	return ids[0]
}

// Handlers that use the ledger, the table metrics and the copy status, as
// the workflows' handlers declare them, in the workflows of testdata.
var (
	ledgerBackupHandlers = []registry.Handler{
		{Name: "plan-copies", Needs: []registry.Access{registry.ReadTables, registry.UseLedger, registry.ReadTableMetrics, registry.ReadCopyStatus}},
		{Name: "finish-copy", Needs: []registry.Access{registry.UseLedger, registry.WriteCatalog}},
		{Name: "prune-source", Needs: []registry.Access{registry.PruneBackups}},
	}
	ledgerRestoreHandlers = []registry.Handler{
		{Name: "describe-table", Needs: []registry.Access{registry.ReadTables, registry.UseLedger}},
		{Name: "restore-table", Needs: []registry.Access{registry.RestoreTables}},
	}
)

// ledgerApp is a backup stack and a restore stack (in the first
// destination) with those handlers, checked by cdk-nag like the app.
func ledgerApp(t *testing.T) *synthesized {
	t.Helper()
	cfg := testConfig(t, nil)
	cfg.StateMachineDir = "testdata"
	env := func(region string) *awscdk.Environment {
		return &awscdk.Environment{Region: jsii.String(region), Account: jsii.String(testAccount)}
	}
	return synthApp(t, "ledger handlers", func(app awscdk.App) ([]awscdk.Stack, error) {
		backup, err := stacks.NewBackupStack(app, backupStack, &stacks.BackupStackProps{
			StackProps: awscdk.StackProps{Env: env(source)}, Config: cfg, Handlers: ledgerBackupHandlers,
		})
		if err != nil {
			return nil, err
		}
		restore, err := stacks.NewRestoreStack(app, restoreStack(destinations[0]), &stacks.RestoreStackProps{
			StackProps: awscdk.StackProps{Env: env(destinations[0])}, Config: cfg, Handlers: ledgerRestoreHandlers,
		})
		if err != nil {
			return nil, err
		}
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		return []awscdk.Stack{backup, restore}, nil
	})
}

// TestLedgerTable: each stack has its own ledger, named by CloudFormation,
// keyed pk/sk, on demand, encrypted, with TTL on expiresAt, and removed with
// its stack; it holds no user data, so it has no point-in-time recovery.
func TestLedgerTable(t *testing.T) {
	for name, tpl := range defaultApp(t).json {
		t.Run(name, func(t *testing.T) {
			id := ledgerID(t, tpl)
			res := tpl["Resources"].(map[string]any)[id].(map[string]any)
			if res["DeletionPolicy"] != "Delete" || res["UpdateReplacePolicy"] != "Delete" {
				t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v, want Delete", res["DeletionPolicy"], res["UpdateReplacePolicy"])
			}
			props := res["Properties"].(map[string]any)
			want := map[string]string{
				"KeySchema":               `[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]`,
				"AttributeDefinitions":    `[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}]`,
				"BillingMode":             "PAY_PER_REQUEST",
				"TimeToLiveSpecification": `{"AttributeName":"expiresAt","Enabled":true}`,
				"SSESpecification":        `{"SSEEnabled":true}`,
			}
			for k, v := range want {
				if got := render(props[k]); got != v {
					t.Errorf("%s = %s, want %s", k, got, v)
				}
			}
			for _, absent := range []string{"TableName", "PointInTimeRecoverySpecification", "DeletionProtectionEnabled"} {
				if v, ok := props[absent]; ok {
					t.Errorf("%s = %s, want none", absent, render(v))
				}
			}
		})
	}
}

// TestLedgerAccessFollowsNeeds: exactly the handlers that declare UseLedger
// may read and write their own stack's ledger, with exactly the item
// actions the ledger needs; ReadTableMetrics gives GetMetricData, and
// ReadCopyStatus a Query of this source region's status partition in each
// destination's catalog.
func TestLedgerAccessFollowsNeeds(t *testing.T) {
	app := ledgerApp(t)
	ledgerActions := []string{"dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	want := map[string][]string{
		"plan-copies": slices.Concat(ledgerActions, []string{"cloudwatch:GetMetricData", "dynamodb:DescribeTable",
			"dynamodb:ListTables", "dynamodb:ListTagsOfResource"}),
		"finish-copy":    slices.Concat(ledgerActions, []string{"dynamodb:DeleteItem"}),
		"prune-source":   {"dynamodb:DeleteBackup", "dynamodb:ListBackups"},
		"describe-table": slices.Concat(ledgerActions, []string{"dynamodb:DescribeTable", "dynamodb:ListTables", "dynamodb:ListTagsOfResource"}),
		"restore-table": {"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
			"dynamodb:RestoreTableFromBackup", "dynamodb:Scan", "dynamodb:UpdateItem"},
	}
	uses := map[string]bool{"plan-copies": true, "finish-copy": true, "describe-table": true}
	for name, tpl := range app.json {
		ledger := "${" + ledgerID(t, tpl) + ".Arn}"
		for handler, fn := range functionsByHandler(t, tpl) {
			t.Run(handler, func(t *testing.T) {
				ss := roleStatements(tpl, roleOf(t, tpl, fn))
				got := actionsOf(ss)
				if w := slices.Sorted(slices.Values(slices.Concat(want[handler], logs))); !slices.Equal(got, slices.Compact(w)) {
					t.Errorf("%s may do %v, want %v", name, got, w)
				}
				var onLedger []statement
				for _, s := range ss {
					if slices.Contains(s.Resources, ledger) {
						onLedger = append(onLedger, s)
					}
				}
				switch {
				case !uses[handler] && len(onLedger) > 0:
					t.Errorf("may use the ledger without UseLedger: %+v", onLedger)
				case uses[handler] && (len(onLedger) != 1 || !slices.Equal(onLedger[0].Actions, ledgerActions) ||
					!slices.Equal(onLedger[0].Resources, []string{ledger}) || onLedger[0].Condition != nil):
					t.Errorf("ledger statements %+v, want one allowing %v on %s only", onLedger, ledgerActions, ledger)
				}
				for _, s := range ss {
					if slices.Contains(s.Actions, "cloudwatch:GetMetricData") && !slices.Equal(s.Resources, []string{"*"}) {
						t.Errorf("GetMetricData on %v, want *: it has no resource-level permissions for metrics", s.Resources)
					}
				}
			})
		}
	}

	// The planner's status query: this source region's partition of each
	// destination's catalog, and nothing else of the catalogs.
	tpl := app.json[backupStack]
	var status []statement
	for _, s := range roleStatements(tpl, roleOf(t, tpl, functionsByHandler(t, tpl)["plan-copies"])) {
		if slices.ContainsFunc(s.Resources, func(r string) bool { return strings.HasSuffix(r, ":table/xregion-backup-catalog") }) {
			status = append(status, s)
		}
	}
	var catalogs []string
	for _, d := range destinations {
		catalogs = append(catalogs, "arn:${AWS::Partition}:dynamodb:"+d+":${AWS::AccountId}:table/xregion-backup-catalog")
	}
	if len(status) != 1 || !slices.Equal(status[0].Actions, []string{"dynamodb:Query"}) || !slices.Equal(status[0].Resources, catalogs) ||
		conditions(status[0].Condition) != "ForAllValues:StringEquals dynamodb:LeadingKeys=status#"+source {
		t.Errorf("catalog statements of the planner %+v, want a Query of %v limited to the leading key status#%s", status, catalogs, source)
	}
}

func TestLedgerHandlersAreNagClean(t *testing.T) {
	assertNagClean(t, ledgerApp(t))
}
