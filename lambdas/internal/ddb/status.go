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

// statusData is the attribute that holds a copy status item's JSON.
const statusData = "status"

// PutCopyStatus writes the copy status of s.Table in the catalog table (see
// core.StatusPK).
func (c *Client) PutCopyStatus(ctx context.Context, catalog string, s core.CopyStatus) error {
	item, err := statusItem(s)
	if err != nil {
		return err
	}
	_, err = c.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &catalog, Item: item})
	return c.translate("PutItem", catalog, err)
}

// ConfirmCopyStatus writes s, a copy status whose CurrentAsOf a skip has
// advanced, only while the item still describes the same copy (its data
// time): a copy that finished since wrote a newer status, which stays.
// It reports whether it wrote.
func (c *Client) ConfirmCopyStatus(ctx context.Context, catalog string, s core.CopyStatus) (bool, error) {
	item, err := statusItem(s)
	if err != nil {
		return false, err
	}
	_, err = c.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &catalog, Item: item,
		ConditionExpression:       aws.String("#dt = :dt"),
		ExpressionAttributeNames:  map[string]string{"#dt": statusDataTime},
		ExpressionAttributeValues: map[string]types.AttributeValue{":dt": item[statusDataTime]},
	})
	var superseded *types.ConditionalCheckFailedException
	if errors.As(err, &superseded) {
		return false, nil
	}
	return err == nil, c.translate("PutItem", catalog, err)
}

// statusDataTime is the item attribute that holds the status's data time
// on its own, for ConfirmCopyStatus's condition.
const statusDataTime = "dataTime"

func statusItem(s core.CopyStatus) (map[string]types.AttributeValue, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return map[string]types.AttributeValue{
		catalogPK:      &types.AttributeValueMemberS{Value: core.StatusPK(s.SourceRegion)},
		catalogSK:      &types.AttributeValueMemberS{Value: s.Table},
		statusData:     &types.AttributeValueMemberS{Value: string(body)},
		statusDataTime: &types.AttributeValueMemberS{Value: s.DataTime.UTC().Format(time.RFC3339Nano)},
	}, nil
}

func (c *Client) CopyStatuses(ctx context.Context, catalog, sourceRegion string, fn func(core.CopyStatus) error) error {
	p := dynamodb.NewQueryPaginator(c.api, &dynamodb.QueryInput{
		TableName:                 &catalog,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": catalogPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: core.StatusPK(sourceRegion)}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.translate("Query", catalog, err)
		}
		for _, item := range page.Items {
			v, ok := item[statusData].(*types.AttributeValueMemberS)
			var s core.CopyStatus
			if !ok || json.Unmarshal([]byte(v.Value), &s) != nil {
				return fmt.Errorf("copy status item %v in %s has no JSON %q attribute", item[catalogSK], catalog, statusData)
			}
			if err := fn(s); err != nil {
				return err
			}
		}
	}
	return nil
}
