package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Inventory is what exists in each region, read through the DynamoDB API.
type Inventory map[string]RegionInventory

// RegionInventory lists one region's tables and backups.
type RegionInventory struct {
	Tables  []TableEntry  `json:"tables"`
	Backups []BackupEntry `json:"backups"`
}

// TableEntry is one table.
type TableEntry struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Items is the exact number of items, counted by a Scan.
	Items int64 `json:"items"`
}

// BackupEntry is one backup.
type BackupEntry struct {
	Name    string    `json:"name"`
	Table   string    `json:"table"`
	Type    string    `json:"type"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
}

// client returns a DynamoDB client for region from cfg.
func client(cfg aws.Config, region string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Region = region })
}

// ReadInventory reads every table and backup of the regions.
func ReadInventory(ctx context.Context, cfg aws.Config, regions []string) (Inventory, error) {
	inv := Inventory{}
	for _, region := range regions {
		db := client(cfg, region)
		ri := RegionInventory{Tables: []TableEntry{}, Backups: []BackupEntry{}}
		p := dynamodb.NewListTablesPaginator(db, &dynamodb.ListTablesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, name := range page.TableNames {
				d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
				var gone *types.ResourceNotFoundException
				if errors.As(err, &gone) {
					continue // deleted since it was listed
				}
				if err != nil {
					return nil, err
				}
				items, err := countItems(ctx, db, name)
				if errors.As(err, &gone) {
					continue // deleted since it was described
				}
				if err != nil {
					return nil, err
				}
				ri.Tables = append(ri.Tables, TableEntry{Name: name, Status: string(d.Table.TableStatus), Items: items})
			}
		}
		in := &dynamodb.ListBackupsInput{BackupType: types.BackupTypeFilterAll}
		for {
			out, err := db.ListBackups(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, b := range out.BackupSummaries {
				ri.Backups = append(ri.Backups, BackupEntry{
					Name: aws.ToString(b.BackupName), Table: aws.ToString(b.TableName), Type: string(b.BackupType),
					Status: string(b.BackupStatus), Created: aws.ToTime(b.BackupCreationDateTime),
				})
			}
			if out.LastEvaluatedBackupArn == nil {
				break
			}
			in.ExclusiveStartBackupArn = out.LastEvaluatedBackupArn
		}
		inv[region] = ri
	}
	return inv, nil
}

// countItems counts a table's items exactly with a paginated Scan that
// returns only counts. DescribeTable's ItemCount would not do: DynamoDB
// refreshes it about every six hours
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html),
// and this inventory is what the demo prints and the end-to-end tests check.
// A Scan reads the whole table, which is fine for a demo's and a test's
// tables, not for a production one.
func countItems(ctx context.Context, db *dynamodb.Client, table string) (int64, error) {
	var n int64
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("count items of %s: %w", table, err)
		}
		n += int64(page.Count)
	}
	return n, nil
}
