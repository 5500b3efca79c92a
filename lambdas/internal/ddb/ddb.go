// Package ddb adapts the aws-sdk-go-v2 DynamoDB client to the narrow
// interfaces the steps declare, translating SDK types and errors into the
// core package's.
package ddb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// Client is one region's DynamoDB.
type Client struct {
	api    *dynamodb.Client
	region string
}

// Regions hands out one Client per region, built from a shared aws.Config.
// The SDK honours AWS_ENDPOINT_URL_DYNAMODB through that config. Every
// client paces its calls at DynamoDB's documented rates (see
// documentedRates), on limiters shared by the whole process.
type Regions struct {
	cfg     aws.Config
	pacer   *pacer
	mu      sync.Mutex
	clients map[string]*Client
}

// NewRegions returns a client factory for cfg.
func NewRegions(cfg aws.Config) *Regions {
	return &Regions{cfg: cfg, pacer: pacers, clients: map[string]*Client{}}
}

// PaceAt makes the clients pace each operation at rateOf(op) calls per
// second instead (0: not paced), read at every call. The local host paces at
// the emulator's current rates, so a test that relaxes the emulator's rates
// for itself relaxes the pacing with them. Call it before For.
func (r *Regions) PaceAt(rateOf func(op string) float64) *Regions {
	r.pacer = newPacer(func(op string) rate.Limit { return rate.Limit(rateOf(op)) })
	return r
}

// For returns the client of region.
func (r *Regions) For(region string) *Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[region]; ok {
		return c
	}
	c := &Client{region: region, api: dynamodb.NewFromConfig(r.cfg, func(o *dynamodb.Options) {
		o.Region = region
		o.APIOptions = append(o.APIOptions, r.pacer.middleware(region))
	})}
	r.clients[region] = c
	return c
}

// ListTableNames reads every page of ListTables.
func (c *Client) ListTableNames(ctx context.Context) ([]string, error) {
	var names []string
	p := dynamodb.NewListTablesPaginator(c.api, &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.translate("ListTables", "", err)
		}
		names = append(names, page.TableNames...)
	}
	return names, nil
}

// DescribeTable describes one table.
func (c *Client) DescribeTable(ctx context.Context, name string) (core.Table, error) {
	out, err := c.api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		return core.Table{}, c.translate("DescribeTable", name, err)
	}
	return tableFrom(out.Table), nil
}

func tableFrom(d *types.TableDescription) core.Table {
	t := core.Table{
		Name:      aws.ToString(d.TableName),
		Arn:       aws.ToString(d.TableArn),
		Status:    string(d.TableStatus),
		Created:   aws.ToTime(d.CreationDateTime),
		ItemCount: aws.ToInt64(d.ItemCount),
		SizeBytes: aws.ToInt64(d.TableSizeBytes),
	}
	t.Replicated = len(d.Replicas) > 0 || aws.ToString(d.GlobalTableVersion) != ""
	if d.RestoreSummary != nil {
		t.RestoredFrom = aws.ToString(d.RestoreSummary.SourceBackupArn)
	}
	return t
}

// ListTags reads every page of a table's tags.
func (c *Client) ListTags(ctx context.Context, arn string) (map[string]string, error) {
	tags := map[string]string{}
	in := &dynamodb.ListTagsOfResourceInput{ResourceArn: &arn}
	for {
		out, err := c.api.ListTagsOfResource(ctx, in)
		if err != nil {
			return nil, c.translate("ListTagsOfResource", arn, err)
		}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if out.NextToken == nil {
			return tags, nil
		}
		in.NextToken = out.NextToken
	}
}

// TagTable adds tags to a table.
func (c *Client) TagTable(ctx context.Context, arn string, tags map[string]string) error {
	in := &dynamodb.TagResourceInput{ResourceArn: &arn}
	for k, v := range tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	_, err := c.api.TagResource(ctx, in)
	return c.translate("TagResource", arn, err)
}

// DeleteTable starts deleting a table.
func (c *Client) DeleteTable(ctx context.Context, name string) error {
	_, err := c.api.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
	return c.translate("DeleteTable", name, err)
}

// CreateBackup starts an on-demand backup.
func (c *Client) CreateBackup(ctx context.Context, table, name string) (core.BackupInfo, error) {
	out, err := c.api.CreateBackup(ctx, &dynamodb.CreateBackupInput{TableName: &table, BackupName: &name})
	if err != nil {
		return core.BackupInfo{}, c.translate("CreateBackup", table, err)
	}
	d := out.BackupDetails
	return core.BackupInfo{
		Arn: aws.ToString(d.BackupArn), Name: aws.ToString(d.BackupName), Type: string(d.BackupType),
		Status: string(d.BackupStatus), Created: aws.ToTime(d.BackupCreationDateTime), SizeBytes: aws.ToInt64(d.BackupSizeBytes),
	}, nil
}

// DescribeBackup describes one backup.
func (c *Client) DescribeBackup(ctx context.Context, arn string) (core.BackupInfo, error) {
	out, err := c.api.DescribeBackup(ctx, &dynamodb.DescribeBackupInput{BackupArn: &arn})
	if err != nil {
		return core.BackupInfo{}, c.translate("DescribeBackup", arn, err)
	}
	d := out.BackupDescription.BackupDetails
	return core.BackupInfo{
		Arn: aws.ToString(d.BackupArn), Name: aws.ToString(d.BackupName), Type: string(d.BackupType),
		Status: string(d.BackupStatus), Created: aws.ToTime(d.BackupCreationDateTime), SizeBytes: aws.ToInt64(d.BackupSizeBytes),
	}, nil
}

// ListBackups reads every page of a table's USER backups (every table's when
// table is empty) created at or after since (zero: all of them).
func (c *Client) ListBackups(ctx context.Context, table string, since time.Time) ([]core.BackupInfo, error) {
	in := &dynamodb.ListBackupsInput{BackupType: types.BackupTypeFilterUser}
	if table != "" {
		in.TableName = &table
	}
	if !since.IsZero() {
		in.TimeRangeLowerBound = aws.Time(since)
	}
	var backups []core.BackupInfo
	for {
		out, err := c.api.ListBackups(ctx, in)
		if err != nil {
			return nil, c.translate("ListBackups", table, err)
		}
		for _, s := range out.BackupSummaries {
			backups = append(backups, core.BackupInfo{
				Arn: aws.ToString(s.BackupArn), Name: aws.ToString(s.BackupName), Table: aws.ToString(s.TableName), Type: string(s.BackupType),
				Status: string(s.BackupStatus), Created: aws.ToTime(s.BackupCreationDateTime), SizeBytes: aws.ToInt64(s.BackupSizeBytes),
			})
		}
		if out.LastEvaluatedBackupArn == nil {
			return backups, nil
		}
		in.ExclusiveStartBackupArn = out.LastEvaluatedBackupArn
	}
}

// DeleteBackup deletes one backup.
func (c *Client) DeleteBackup(ctx context.Context, arn string) error {
	_, err := c.api.DeleteBackup(ctx, &dynamodb.DeleteBackupInput{BackupArn: &arn})
	return c.translate("DeleteBackup", arn, err)
}

// RestoreTable starts a restore. Billing and encryption are overridden only
// when the request says so.
func (c *Client) RestoreTable(ctx context.Context, req core.RestoreRequest) (core.Table, error) {
	in := &dynamodb.RestoreTableFromBackupInput{BackupArn: &req.BackupArn, TargetTableName: &req.TargetTable}
	if req.PayPerRequest {
		in.BillingModeOverride = types.BillingModePayPerRequest
	}
	if req.SSE != nil {
		in.SSESpecificationOverride = &types.SSESpecification{Enabled: aws.Bool(false)} // the AWS-owned key
		if req.SSE.KMSKeyID != "" {
			in.SSESpecificationOverride = &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms, KMSMasterKeyId: &req.SSE.KMSKeyID}
		}
	}
	out, err := c.api.RestoreTableFromBackup(ctx, in)
	if err != nil {
		return core.Table{}, c.translate("RestoreTableFromBackup", req.TargetTable, err)
	}
	return tableFrom(out.TableDescription), nil
}

// translate maps SDK errors to the core error types, keeping the SDK error
// in the chain. nil stays nil. The codes and whether each is worth a retry
// are from "Error handling with DynamoDB"
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html):
// AccessDeniedException and ValidationException (HTTP 400) are not,
// InternalServerError (HTTP 500) is.
func (c *Client) translate(op, resource string, err error) error {
	if err == nil {
		return nil
	}
	var (
		notFound     *types.ResourceNotFoundException
		tableMissing *types.TableNotFoundException
		backupGone   *types.BackupNotFoundException
		exists       *types.TableAlreadyExistsException
		tableInUse   *types.TableInUseException
		noBackupsYet *types.ContinuousBackupsUnavailableException
		inUse        *types.ResourceInUseException
		backupInUse  *types.BackupInUseException
		limit        *types.LimitExceededException
		throughput   *types.ProvisionedThroughputExceededException
		requests     *types.RequestLimitExceeded
		internal     *types.InternalServerError
		apiErr       smithy.APIError
	)
	var mapped error
	switch {
	case errors.As(err, &backupGone):
		mapped = &core.BackupNotFound{BackupArn: resource}
	case errors.As(err, &notFound), errors.As(err, &tableMissing):
		if op == "DescribeBackup" || op == "DeleteBackup" {
			mapped = &core.BackupNotFound{BackupArn: resource}
		} else {
			mapped = &core.TableNotFound{Table: resource, Region: c.region}
		}
	case errors.As(err, &exists),
		// A restore target that is being created or deleted: the caller
		// looks at it to decide whether to resume, skip or wait.
		op == "RestoreTableFromBackup" && (errors.As(err, &tableInUse) || errors.As(err, &inUse)):
		return fmt.Errorf("%s %s in %s: %w: %w", op, resource, c.region, core.ErrTableExists, err)
	case errors.As(err, &noBackupsYet):
		mapped = &core.BackupsNotYetEnabled{Operation: op, Table: resource, Region: c.region}
	case errors.As(err, &inUse), errors.As(err, &backupInUse), errors.As(err, &tableInUse):
		mapped = &core.ResourceBusy{Operation: op, Resource: resource, Region: c.region, Message: message(err)}
	case errors.As(err, &limit):
		mapped = &core.QuotaExceeded{Operation: op, Region: c.region, Message: message(err)}
	case errors.As(err, &throughput), errors.As(err, &requests):
		mapped = &core.Throttled{Operation: op, Region: c.region, Message: message(err)}
	case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "ThrottlingException" || apiErr.ErrorCode() == "Throttling"):
		mapped = &core.Throttled{Operation: op, Region: c.region, Message: message(err)}
	case errors.As(err, &internal):
		mapped = &core.ServiceError{Operation: op, Resource: resource, Region: c.region, Message: message(err)}
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException":
		mapped = &core.AccessDenied{Operation: op, Resource: resource, Region: c.region, Message: message(err)}
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException":
		mapped = &core.RequestRejected{Operation: op, Resource: resource, Region: c.region, Message: message(err)}
	default:
		return &opError{op: op, resource: resource, region: c.region, err: err}
	}
	return fmt.Errorf("%w: %w", mapped, err)
}

// opError is an SDK error with no contract meaning. Its message is short
// (operation, resource, region, error code and message) so that it still
// fits a state machine's failure list; the SDK error stays in the chain.
type opError struct {
	op, resource, region string
	err                  error
}

func (e *opError) Error() string {
	var apiErr smithy.APIError
	if errors.As(e.err, &apiErr) {
		return fmt.Sprintf("%s %s in %s: %s: %s", e.op, e.resource, e.region, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	return fmt.Sprintf("%s %s in %s: %v", e.op, e.resource, e.region, e.err)
}

func (e *opError) Unwrap() error { return e.err }

func message(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return err.Error()
}
