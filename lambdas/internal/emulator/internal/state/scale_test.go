package state

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

const (
	source      = "eu-west-1"
	destination = "ap-southeast-2"
)

// fleet is a State with n tables in the source region, each with one
// AVAILABLE backup and one item in the table "catalog" (partition key the
// table's name).
type fleet struct {
	s       *State
	backups []string // ARN of table i's backup
}

func newFleet(t *testing.T, n int) *fleet {
	t.Helper()
	f := &fleet{s: New(Config{Model: DefaultModel()})}
	catalog := tableSpec("catalog")
	catalog.KeySchema = append(catalog.KeySchema, wire.KeySchemaElement{AttributeName: "sk", KeyType: "RANGE"})
	catalog.AttributeDefinitions = append(catalog.AttributeDefinitions, wire.AttributeDefinition{AttributeName: "sk", AttributeType: "S"})
	f.call(t, source, func(c *Call) (any, error) { return c.CreateTable(catalog) })
	for i := range n {
		f.call(t, source, func(c *Call) (any, error) { return c.CreateTable(tableSpec(fleetTable(i))) })
		out := f.call(t, source, func(c *Call) (any, error) {
			return c.CreateBackup(&wire.CreateBackupInput{TableName: fleetTable(i), BackupName: "earlier"})
		})
		f.backups = append(f.backups, out.(*wire.CreateBackupOutput).BackupDetails.BackupArn)
		f.call(t, source, func(c *Call) (any, error) {
			return c.PutItem(&wire.PutItemInput{ItemWrite: wire.ItemWrite{TableName: "catalog"}, Item: catalogItem(i, "copy")})
		})
	}
	return f
}

func fleetTable(i int) string { return fmt.Sprintf("table-%05d", i) }

func catalogItem(i int, sk string) wire.Item {
	return wire.Item{"pk": json.RawMessage(fmt.Sprintf(`{"S":%q}`, fleetTable(i))), "sk": json.RawMessage(fmt.Sprintf(`{"S":%q}`, sk))}
}

func tableSpec(name string) *wire.CreateTableInput {
	return &wire.CreateTableInput{
		TableName:            name,
		KeySchema:            []wire.KeySchemaElement{{AttributeName: "pk", KeyType: "HASH"}},
		AttributeDefinitions: []wire.AttributeDefinition{{AttributeName: "pk", AttributeType: "S"}},
		TableSettings:        wire.TableSettings{BillingMode: billingPayPerRequest},
	}
}

func (f *fleet) call(t *testing.T, region string, op func(*Call) (any, error)) any {
	t.Helper()
	out, err := f.s.Serve(region, op)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCallCostDoesNotGrowWithTables checks that no call walks every table
// or backup: each call, made calls times, takes about as long with 10,000
// tables (and as many backups) as with 100. Each figure is the best of a
// few rounds, so that a busy machine does not fail the test; a call that
// walks 10,000 tables or backups takes tens of times longer.
func TestCallCostDoesNotGrowWithTables(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 10,100 tables")
	}
	const calls, rounds = 100, 5
	type call struct {
		name    string
		region  string
		op      func(c *Call, f *fleet, round, i int) (any, error)
		advance time.Duration // to move the clock on by before each call
	}
	restored := func(round, i int) string { return fmt.Sprintf("restored-%d-%d", round, i) }
	tests := []call{
		{"CreateTable", source, func(c *Call, _ *fleet, round, i int) (any, error) {
			return c.CreateTable(tableSpec(fmt.Sprintf("new-%d-%d", round, i)))
		}, 0},
		{"DescribeTable", source, func(c *Call, _ *fleet, _, i int) (any, error) {
			return c.DescribeTable(&wire.TableName{TableName: fleetTable(i)})
		}, 0},
		{"DescribeTable of the catalog, refreshed", source, func(c *Call, _ *fleet, _, _ int) (any, error) {
			return c.DescribeTable(&wire.TableName{TableName: "catalog"})
		}, DefaultModel().StatsRefresh},
		{"PutItem", source, func(c *Call, _ *fleet, round, i int) (any, error) {
			return c.PutItem(&wire.PutItemInput{ItemWrite: wire.ItemWrite{TableName: "catalog"}, Item: catalogItem(i, fmt.Sprintf("round-%d", round))})
		}, 0},
		{"Query of a partition", source, func(c *Call, _ *fleet, _, i int) (any, error) {
			return c.Query(&wire.ReadInput{TableName: "catalog", KeyConditionExpression: "pk = :pk",
				ExpressionAttributes: wire.ExpressionAttributes{ExpressionAttributeValues: map[string]json.RawMessage{":pk": catalogItem(i, "")["pk"]}}})
		}, 0},
		{"ListTables from the middle", source, func(c *Call, f *fleet, _, _ int) (any, error) {
			return c.ListTables(&wire.ListTablesInput{ExclusiveStartTableName: fleetTable(len(f.backups) / 2)})
		}, 0},
		{"CreateBackup", source, func(c *Call, _ *fleet, round, i int) (any, error) {
			return c.CreateBackup(&wire.CreateBackupInput{TableName: fleetTable(i), BackupName: fmt.Sprintf("round-%d", round)})
		}, 0},
		{"ListBackups of a table", source, func(c *Call, _ *fleet, _, i int) (any, error) {
			return c.ListBackups(&wire.ListBackupsInput{TableName: fleetTable(i)})
		}, 0},
		{"ListBackups from the middle", source, func(c *Call, f *fleet, _, _ int) (any, error) {
			return c.ListBackups(&wire.ListBackupsInput{ExclusiveStartBackupArn: f.backups[len(f.backups)/2]})
		}, 0},
		{"RestoreTableFromBackup", destination, func(c *Call, f *fleet, round, i int) (any, error) {
			return c.RestoreTableFromBackup(&wire.RestoreTableFromBackupInput{
				TargetTableName: restored(round, i), BackupArn: f.backups[i],
				SSESpecificationOverride: &wire.SSESpecification{},
			})
		}, 0},
		{"DeleteTable", destination, func(c *Call, _ *fleet, round, i int) (any, error) {
			return c.DeleteTable(&wire.TableName{TableName: restored(round, i)})
		}, 0},
	}
	// best is the shortest time, over the rounds, that each call took calls times.
	best := func(f *fleet) map[string]time.Duration {
		out := map[string]time.Duration{}
		for round := range rounds {
			for _, tc := range tests {
				start := time.Now()
				for i := range calls {
					if tc.advance > 0 {
						f.s.AdvanceClock(tc.advance)
					}
					f.call(t, tc.region, func(c *Call) (any, error) { return tc.op(c, f, round, i) })
				}
				if d := time.Since(start); round == 0 || d < out[tc.name] {
					out[tc.name] = d
				}
			}
		}
		return out
	}
	few, many := best(newFleet(t, 100)), best(newFleet(t, 10000))
	for _, tc := range tests {
		// 2 ms of slack for a busy machine: a walk of 10,000 tables or
		// backups per call costs far more.
		if few, many := few[tc.name], many[tc.name]; many > 3*few+2*time.Millisecond {
			t.Errorf("%s: %d calls took %v with 10,000 tables, %v with 100", tc.name, calls, many, few)
		} else {
			t.Logf("%s: %d calls took %v with 10,000 tables, %v with 100", tc.name, calls, many, few)
		}
	}
}
