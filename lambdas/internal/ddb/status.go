package ddb

import (
	"context"
	"encoding/json"
	"fmt"

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
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = c.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &catalog, Item: map[string]types.AttributeValue{
		catalogPK:  &types.AttributeValueMemberS{Value: core.StatusPK(s.SourceRegion)},
		catalogSK:  &types.AttributeValueMemberS{Value: s.Table},
		statusData: &types.AttributeValueMemberS{Value: string(body)},
	}})
	return c.translate("PutItem", catalog, err)
}

// CopyStatuses calls fn with the copy status of every table of sourceRegion
// in the catalog table, reading every page of one Query.
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
