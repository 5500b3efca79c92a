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

// PutEntry records a backup in the catalog table, under its source region
// and table (core.CatalogPK).
func (c *Client) PutEntry(ctx context.Context, catalog string, e core.CatalogEntry) error {
	if e.SourceRegion == "" || e.SourceTable == "" {
		return fmt.Errorf("catalog entry of %s: the source region and table are required", e.BackupArn)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = c.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &catalog, Item: map[string]types.AttributeValue{
		catalogPK:         &types.AttributeValueMemberS{Value: core.CatalogPK(e.SourceRegion, e.SourceTable)},
		catalogSK:         &types.AttributeValueMemberS{Value: e.BackupArn},
		"backupCreatedAt": &types.AttributeValueMemberS{Value: e.BackupCreatedAt.UTC().Format(time.RFC3339Nano)},
		catalogEntry:      &types.AttributeValueMemberS{Value: string(body)},
	}})
	return c.translate("PutItem", catalog, err)
}

// DeleteEntry removes a backup's entry, under its key and under the legacy
// key (the source table alone) of entries recorded before the source region
// was part of it. A destination backup ARN names one backup, so the legacy
// item of that ARN is the same backup's.
func (c *Client) DeleteEntry(ctx context.Context, catalog, sourceRegion, sourceTable, backupArn string) error {
	for _, pk := range []string{core.CatalogPK(sourceRegion, sourceTable), sourceTable} {
		_, err := c.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &catalog, Key: map[string]types.AttributeValue{
			catalogPK: &types.AttributeValueMemberS{Value: pk},
			catalogSK: &types.AttributeValueMemberS{Value: backupArn},
		}})
		if err != nil {
			return c.translate("DeleteItem", catalog, err)
		}
	}
	return nil
}

// Entries reads the entries of one source table copied from sourceRegion
// (two Queries: its key, and the legacy key whose entries are kept when
// their recorded source region matches), or, when either is empty, every
// entry (a Scan), of sourceRegion and of sourceTable when given. Status
// items are not entries and are skipped; entries that cannot be decoded
// are reported in damaged and left out.
func (c *Client) Entries(ctx context.Context, catalog, sourceRegion, sourceTable string) (entries []core.CatalogEntry, damaged int, err error) {
	var items []map[string]types.AttributeValue
	if sourceRegion != "" && sourceTable != "" {
		for _, pk := range []string{core.CatalogPK(sourceRegion, sourceTable), sourceTable} {
			p := dynamodb.NewQueryPaginator(c.api, &dynamodb.QueryInput{
				TableName:                 &catalog,
				KeyConditionExpression:    aws.String("#pk = :pk"),
				ExpressionAttributeNames:  map[string]string{"#pk": catalogPK},
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, 0, c.translate("Query", catalog, err)
				}
				items = append(items, page.Items...)
			}
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
		if pk, ok := item[catalogPK].(*types.AttributeValueMemberS); ok && !core.IsCatalogEntryPK(pk.Value) {
			continue
		}
		e, err := decodeEntry(item)
		switch {
		case err != nil:
			damaged++
		case (sourceRegion == "" || e.SourceRegion == sourceRegion) && (sourceTable == "" || e.SourceTable == sourceTable):
			entries = append(entries, e)
		}
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
