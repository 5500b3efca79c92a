package emulator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

const (
	regionA = "us-east-1"
	regionB = "ap-southeast-2"
)

// startServer serves a fresh emulator on a free port for the test.
func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	srv, err := Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// newClient builds a real SDK client for one region, pointed at srv, with
// static credentials and few, fast retries.
func newClient(srv *Server, region string, maxAttempts int) *dynamodb.Client {
	return dynamodb.NewFromConfig(clientConfig(srv, region, maxAttempts))
}

// clientConfig is the SDK configuration of the tests' clients.
func clientConfig(srv *Server, region string, maxAttempts int) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:   NewHTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = 5 * time.Millisecond
			})
		},
	}
}

// env is a started emulator plus clients for two regions.
type env struct {
	srv *Server
	emu *Emulator
	a   *dynamodb.Client // regionA
	b   *dynamodb.Client // regionB
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	srv := startServer(t, opts)
	return &env{srv: srv, emu: srv.Emulator, a: newClient(srv, regionA, 1), b: newClient(srv, regionB, 1)}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// tableInput describes an on-demand table with key pk (S) and sk (N).
func tableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		BillingMode: types.BillingModePayPerRequest,
	}
}

// createTable creates the table of tableInput, changed by mutate.
func createTable(t testing.TB, c *dynamodb.Client, name string, mutate ...func(*dynamodb.CreateTableInput)) *types.TableDescription {
	t.Helper()
	in := tableInput(name)
	for _, m := range mutate {
		m(in)
	}
	out, err := c.CreateTable(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
	return out.TableDescription
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }

func putItems(t *testing.T, c *dynamodb.Client, table string, items []map[string]types.AttributeValue) {
	t.Helper()
	for _, it := range items {
		if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
}

// wantAPIError asserts that err carries the given DynamoDB error code.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
}

// wantErrorAs asserts that err unwraps to the SDK's typed exception T.
func wantErrorAs[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("want %T, got %v", target, err)
	}
	return target
}

func describe(t *testing.T, c *dynamodb.Client, name string) *types.TableDescription {
	t.Helper()
	out, err := c.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable %s: %v", name, err)
	}
	return out.Table
}

// relaxed is DefaultModel with one behaviour relaxed by change, for a test
// that is about something else.
func relaxed(change func(*Model)) *Model {
	m := DefaultModel()
	change(&m)
	return &m
}

// listTags renders a table's tags as ListTagsOfResource reports them:
// "k=v,..." in key order.
func listTags(t *testing.T, c *dynamodb.Client, arn *string) string {
	t.Helper()
	out, err := c.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range out.Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	return strings.Join(got, ",")
}
