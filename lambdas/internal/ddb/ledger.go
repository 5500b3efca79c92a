package ddb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// batchWriteMax is BatchWriteItem's limit of 25 put or delete requests per
// call (Amazon DynamoDB API Reference, BatchWriteItem,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
const batchWriteMax = 25

// unprocessedRetries bounds the rounds of resending UnprocessedItems, which
// BatchWriteItem returns when it throttles part of a batch; the same page
// advises resending them with exponential backoff.
const unprocessedRetries = 8

// PutLedger writes records into partition pk of the ledger table, 25 to a
// call, resending what DynamoDB left unprocessed with exponential backoff.
// Each item expires core.LedgerRetention after now.
func (c *Client) PutLedger(ctx context.Context, table, pk string, records []core.LedgerRecord, now time.Time) error {
	expires := strconv.FormatInt(now.Add(core.LedgerRetention).Unix(), 10)
	for start := 0; start < len(records); start += batchWriteMax {
		batch := records[start:min(start+batchWriteMax, len(records))]
		writes := make([]types.WriteRequest, len(batch))
		for i, r := range batch {
			writes[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				core.LedgerPartitionKey: &types.AttributeValueMemberS{Value: pk},
				core.LedgerSortKey:      &types.AttributeValueMemberS{Value: r.Key},
				core.LedgerData:         &types.AttributeValueMemberS{Value: string(r.Data)},
				core.LedgerExpiresAt:    &types.AttributeValueMemberN{Value: expires},
			}}}
		}
		if err := c.batchWrite(ctx, table, writes); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) batchWrite(ctx context.Context, table string, writes []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{table: writes}
	for attempt := 0; ; attempt++ {
		out, err := c.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return c.translate("BatchWriteItem", table, err)
		}
		if len(out.UnprocessedItems[table]) == 0 {
			return nil
		}
		if attempt == unprocessedRetries {
			return &core.Throttled{Operation: "BatchWriteItem", Region: c.region,
				Message: fmt.Sprintf("%d ledger items still unprocessed after %d resends", len(out.UnprocessedItems[table]), unprocessedRetries)}
		}
		pending = out.UnprocessedItems
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
}

// GetLedger reads one record; found is false when there is none.
func (c *Client) GetLedger(ctx context.Context, table, pk, key string) (data json.RawMessage, found bool, err error) {
	out, err := c.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
		core.LedgerPartitionKey: &types.AttributeValueMemberS{Value: pk},
		core.LedgerSortKey:      &types.AttributeValueMemberS{Value: key},
	}})
	if err != nil {
		return nil, false, c.translate("GetItem", table, err)
	}
	if out.Item == nil {
		return nil, false, nil
	}
	data, err = ledgerData(out.Item)
	return data, err == nil, err
}

// QueryLedger calls fn for every record of partition pk whose key starts
// with prefix, in key order, reading every page with strongly consistent
// reads (so a run sees all its own writes).
func (c *Client) QueryLedger(ctx context.Context, table, pk, prefix string, fn func(core.LedgerRecord) error) error {
	p := dynamodb.NewQueryPaginator(c.api, &dynamodb.QueryInput{
		TableName:                &table,
		ConsistentRead:           aws.Bool(true),
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{"#pk": core.LedgerPartitionKey, "#sk": core.LedgerSortKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: pk},
			":prefix": &types.AttributeValueMemberS{Value: prefix},
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.translate("Query", table, err)
		}
		for _, item := range page.Items {
			data, err := ledgerData(item)
			if err != nil {
				return err
			}
			key, _ := item[core.LedgerSortKey].(*types.AttributeValueMemberS)
			if err := fn(core.LedgerRecord{Key: key.Value, Data: data}); err != nil {
				return err
			}
		}
	}
	return nil
}

func ledgerData(item map[string]types.AttributeValue) (json.RawMessage, error) {
	v, ok := item[core.LedgerData].(*types.AttributeValueMemberS)
	if !ok || !json.Valid([]byte(v.Value)) {
		return nil, fmt.Errorf("ledger item %v has no JSON %q attribute", item[core.LedgerSortKey], core.LedgerData)
	}
	return json.RawMessage(v.Value), nil
}
