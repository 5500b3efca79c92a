package ddb

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// ListTablesPage reads one page of ListTables: the names after after (all
// names when after is empty), at most 100, the most a page holds, and the
// name to continue after, empty when there are no more. A listing that
// stops between calls resumes exactly there (Amazon DynamoDB API Reference,
// ListTables: ExclusiveStartTableName, LastEvaluatedTableName,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTables.html).
func (c *Client) ListTablesPage(ctx context.Context, after string) (names []string, last string, err error) {
	in := &dynamodb.ListTablesInput{Limit: aws.Int32(100)}
	if after != "" {
		in.ExclusiveStartTableName = &after
	}
	out, err := c.api.ListTables(ctx, in)
	if err != nil {
		return nil, "", c.translate("ListTables", "", err)
	}
	return out.TableNames, aws.ToString(out.LastEvaluatedTableName), nil
}
