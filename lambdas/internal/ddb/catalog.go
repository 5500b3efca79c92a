package ddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// The catalog keeps one item per cross-region backup, keyed as core says,
// with attribute entry the core.CatalogEntry as JSON.
const (
	catalogPK    = core.CatalogPartitionKey
	catalogSK    = core.CatalogSortKey
	catalogEntry = "entry"
)

// PutEntry records a backup in the catalog table.
func (c *Client) PutEntry(ctx context.Context, catalog string, e core.CatalogEntry) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = c.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &catalog, Item: map[string]types.AttributeValue{
		catalogPK:         &types.AttributeValueMemberS{Value: e.SourceTable},
		catalogSK:         &types.AttributeValueMemberS{Value: e.BackupArn},
		"backupCreatedAt": &types.AttributeValueMemberS{Value: e.BackupCreatedAt.UTC().Format(time.RFC3339Nano)},
		catalogEntry:      &types.AttributeValueMemberS{Value: string(body)},
	}})
	return c.translate("PutItem", catalog, err)
}

// DeleteEntry removes a backup's entry.
func (c *Client) DeleteEntry(ctx context.Context, catalog, sourceTable, backupArn string) error {
	_, err := c.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &catalog, Key: map[string]types.AttributeValue{
		catalogPK: &types.AttributeValueMemberS{Value: sourceTable},
		catalogSK: &types.AttributeValueMemberS{Value: backupArn},
	}})
	return c.translate("DeleteItem", catalog, err)
}

// GetEntry reads one backup's entry; found is false when there is none.
func (c *Client) GetEntry(ctx context.Context, catalog, sourceTable, backupArn string) (e core.CatalogEntry, found bool, err error) {
	out, err := c.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &catalog, ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
		catalogPK: &types.AttributeValueMemberS{Value: sourceTable},
		catalogSK: &types.AttributeValueMemberS{Value: backupArn},
	}})
	if err != nil {
		return e, false, c.translate("GetItem", catalog, err)
	}
	if out.Item == nil {
		return e, false, nil
	}
	e, err = decodeEntry(out.Item)
	return e, err == nil, err
}

// Entries reads every entry of one source table, or of all tables when
// sourceTable is empty. Entries that cannot be decoded are reported in
// damaged and left out.
func (c *Client) Entries(ctx context.Context, catalog, sourceTable string) (entries []core.CatalogEntry, damaged int, err error) {
	var items []map[string]types.AttributeValue
	if sourceTable != "" {
		p := dynamodb.NewQueryPaginator(c.api, &dynamodb.QueryInput{
			TableName:                 &catalog,
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": catalogPK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: sourceTable}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, 0, c.translate("Query", catalog, err)
			}
			items = append(items, page.Items...)
		}
	} else {
		p := dynamodb.NewScanPaginator(c.api, &dynamodb.ScanInput{TableName: &catalog})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, 0, c.translate("Scan", catalog, err)
			}
			items = append(items, page.Items...)
		}
	}
	for _, item := range items {
		e, err := decodeEntry(item)
		if err != nil {
			damaged++
			continue
		}
		entries = append(entries, e)
	}
	return entries, damaged, nil
}

func decodeEntry(item map[string]types.AttributeValue) (core.CatalogEntry, error) {
	var e core.CatalogEntry
	s, ok := item[catalogEntry].(*types.AttributeValueMemberS)
	if !ok {
		return e, errors.New("catalog item has no entry attribute")
	}
	if err := json.Unmarshal([]byte(s.Value), &e); err != nil {
		return e, fmt.Errorf("catalog entry is not valid JSON: %w", err)
	}
	if e.SourceTable == "" || e.BackupArn == "" || e.BackupCreatedAt.IsZero() {
		return e, errors.New("catalog entry lacks its table, backup or time")
	}
	return e, nil
}
