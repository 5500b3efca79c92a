// Package demo makes and reads the local demo's DynamoDB state through the
// DynamoDB API: it seeds the demo tables (SeedDemo) and the catalog
// (CreateToolTable: the catalog, the run ledger), lists what exists in each region (ReadInventory), and
// reads a table's content hash and settings (ReadSnapshot) for the disaster
// drill to compare a restore with its source.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// longTableName is a demo table whose name has the maximum 255 characters.
var longTableName = "long-" + strings.Repeat("n", 250)

// SeedDemo creates the demo tables: in the source region, "orders" (with a
// GSI and an LSI), "customers", "audit-log" and a 255-character name, with
// items and the settings a restore must bring back; in the destination
// region, a real table also named "orders", which the tool must leave alone.
func SeedDemo(ctx context.Context, cfg aws.Config, source, destination string) error {
	src := client(cfg, source)
	specs := []struct {
		name  string
		items int
		index bool
	}{{"orders", 40, true}, {"customers", 25, false}, {"audit-log", 60, false}, {longTableName, 5, false}}
	for _, s := range specs {
		if err := createTable(ctx, src, s.name, s.index); err != nil {
			return err
		}
		if err := putItems(ctx, src, s.name, s.items, "source"); err != nil {
			return err
		}
	}
	if err := seedSettings(ctx, src); err != nil {
		return err
	}
	dst := client(cfg, destination)
	if err := createTable(ctx, dst, "orders", false); err != nil {
		return err
	}
	return putItems(ctx, dst, "orders", 3, "destination-own")
}

// createTable makes a pk/sk table, optionally with a GSI and an LSI, and
// waits until it is ACTIVE.
func createTable(ctx context.Context, db *dynamodb.Client, name string, indexes bool) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	}
	if indexes {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("customer"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String("placed"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("by-customer"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("customer"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{
			IndexName: aws.String("by-placed"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("placed"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}}
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return waitActive(ctx, db, name)
}

func waitActive(ctx context.Context, db *dynamodb.Client, name string) error {
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 500*time.Millisecond
	})
	return w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute)
}

func putItems(ctx context.Context, db *dynamodb.Client, table string, n int, origin string) error {
	for i := 0; i < n; i += 25 {
		var reqs []types.WriteRequest
		for j := i; j < min(i+25, n); j++ {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"pk":       &types.AttributeValueMemberS{Value: fmt.Sprintf("item-%03d", j)},
				"sk":       &types.AttributeValueMemberS{Value: "v1"},
				"customer": &types.AttributeValueMemberS{Value: fmt.Sprintf("c-%d", j%7)},
				"placed":   &types.AttributeValueMemberS{Value: fmt.Sprintf("2026-11-%02d", 1+j%28)},
				"origin":   &types.AttributeValueMemberS{Value: origin},
				"amount":   &types.AttributeValueMemberN{Value: fmt.Sprint(j * 3)},
			}}})
		}
		if _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}}); err != nil {
			return fmt.Errorf("write items to %s: %w", table, err)
		}
	}
	return nil
}

// seedSettings gives the demo tables the settings that a backup does not
// carry: TTL, a stream, PITR, tags, deletion protection, a table class and
// provisioned billing.
func seedSettings(ctx context.Context, db *dynamodb.Client) error {
	orders := aws.String("orders")
	steps := []func() error{
		func() error {
			_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: orders,
				TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}})
			return err
		},
		func() error {
			_, err := db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: orders,
				PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(14)}})
			return err
		},
		func() error {
			d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: orders})
			if err != nil {
				return err
			}
			_, err = db.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: d.Table.TableArn,
				Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}, {Key: aws.String("env"), Value: aws.String("demo")}}})
			return err
		},
		func() error {
			return updateTable(ctx, db, &dynamodb.UpdateTableInput{TableName: orders, StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}})
		},
		func() error {
			return updateTable(ctx, db, &dynamodb.UpdateTableInput{TableName: orders, DeletionProtectionEnabled: aws.Bool(true)})
		},
		func() error {
			return updateTable(ctx, db, &dynamodb.UpdateTableInput{TableName: aws.String("audit-log"), TableClass: types.TableClassStandardInfrequentAccess})
		},
		func() error {
			return updateTable(ctx, db, &dynamodb.UpdateTableInput{TableName: aws.String("customers"), BillingMode: types.BillingModeProvisioned,
				ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo table settings: %w", err)
		}
	}
	return nil
}

func updateTable(ctx context.Context, db *dynamodb.Client, in *dynamodb.UpdateTableInput) error {
	if _, err := db.UpdateTable(ctx, in); err != nil {
		return err
	}
	return waitActive(ctx, db, aws.ToString(in.TableName))
}

// CreateToolTable makes one of the tool's own tables, keyed pk/sk: the
// catalog or the run ledger, in a region, as the CDK app does. An existing
// one is kept.
func CreateToolTable(ctx context.Context, cfg aws.Config, region, name string) error {
	err := createTable(ctx, client(cfg, region), name, false)
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return waitActive(ctx, client(cfg, region), name)
	}
	return err
}
