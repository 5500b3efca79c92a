package ddb

import (
	"context"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// ReadSettings reads the settings of a table that a backup does not carry:
// DescribeTable, DescribeTimeToLive, DescribeContinuousBackups and the tags.
func (c *Client) ReadSettings(ctx context.Context, table string) (core.Manifest, error) {
	d, err := c.api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		return core.Manifest{}, c.translate("DescribeTable", table, err)
	}
	t := d.Table
	m := core.Manifest{
		SourceRegion:       c.region,
		SourceTable:        table,
		BillingMode:        core.BillingProvisioned,
		TableClass:         core.TableClassStandard,
		DeletionProtection: aws.ToBool(t.DeletionProtectionEnabled),
		ItemCount:          aws.ToInt64(t.ItemCount),
		SizeBytes:          aws.ToInt64(t.TableSizeBytes),
	}
	if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode != "" {
		m.BillingMode = string(t.BillingModeSummary.BillingMode)
	}
	if m.BillingMode == core.BillingProvisioned && t.ProvisionedThroughput != nil {
		m.ReadCapacity = aws.ToInt64(t.ProvisionedThroughput.ReadCapacityUnits)
		m.WriteCapacity = aws.ToInt64(t.ProvisionedThroughput.WriteCapacityUnits)
		for _, gsi := range t.GlobalSecondaryIndexes {
			if p := gsi.ProvisionedThroughput; p != nil {
				if m.IndexCapacity == nil {
					m.IndexCapacity = map[string]core.Capacity{}
				}
				m.IndexCapacity[aws.ToString(gsi.IndexName)] = core.Capacity{Read: aws.ToInt64(p.ReadCapacityUnits), Write: aws.ToInt64(p.WriteCapacityUnits)}
			}
		}
	}
	if t.TableClassSummary != nil && t.TableClassSummary.TableClass != "" {
		m.TableClass = string(t.TableClassSummary.TableClass)
	}
	if s := t.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
		m.StreamEnabled, m.StreamViewType = true, string(s.StreamViewType)
	}

	ttl, err := c.api.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		return core.Manifest{}, c.translate("DescribeTimeToLive", table, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		m.TTLEnabled, m.TTLAttribute = true, aws.ToString(d.AttributeName)
	}

	cb, err := c.api.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: &table})
	if err != nil {
		return core.Manifest{}, c.translate("DescribeContinuousBackups", table, err)
	}
	if d := cb.ContinuousBackupsDescription; d != nil && d.PointInTimeRecoveryDescription != nil &&
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == types.PointInTimeRecoveryStatusEnabled {
		m.PITREnabled = true
		m.PITRRecoveryDays = aws.ToInt32(d.PointInTimeRecoveryDescription.RecoveryPeriodInDays)
	}

	m.Tags, err = c.ListTags(ctx, aws.ToString(t.TableArn))
	return m, err
}

// EnableTTL turns on time to live on attribute.
func (c *Client) EnableTTL(ctx context.Context, table, attribute string) error {
	_, err := c.api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: &attribute, Enabled: aws.Bool(true)},
	})
	return c.translate("UpdateTimeToLive", table, err)
}

// SetPITR turns point-in-time recovery on (with a recovery period in days,
// 0 for the default) or off.
func (c *Client) SetPITR(ctx context.Context, table string, enabled bool, days int32) error {
	spec := &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(enabled)}
	if enabled && days > 0 {
		spec.RecoveryPeriodInDays = aws.Int32(days)
	}
	_, err := c.api.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: &table, PointInTimeRecoverySpecification: spec})
	return c.translate("UpdateContinuousBackups", table, err)
}

// UpdateTable applies one table-level change.
func (c *Client) UpdateTable(ctx context.Context, table string, u core.TableUpdate) error {
	in := &dynamodb.UpdateTableInput{TableName: &table}
	switch {
	case u.BillingMode == core.BillingPayPerRequest:
		in.BillingMode = types.BillingModePayPerRequest
	case u.BillingMode == core.BillingProvisioned:
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: &u.ReadCapacity, WriteCapacityUnits: &u.WriteCapacity}
		for _, index := range slices.Sorted(maps.Keys(u.IndexCapacity)) {
			c := u.IndexCapacity[index]
			in.GlobalSecondaryIndexUpdates = append(in.GlobalSecondaryIndexUpdates, types.GlobalSecondaryIndexUpdate{
				Update: &types.UpdateGlobalSecondaryIndexAction{
					IndexName:             aws.String(index),
					ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(c.Read), WriteCapacityUnits: aws.Int64(c.Write)},
				},
			})
		}
	case u.TableClass != "":
		in.TableClass = types.TableClass(u.TableClass)
	case u.Stream != nil && u.Stream.Enabled:
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(u.Stream.ViewType)}
	case u.Stream != nil:
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(false)}
	case u.DeletionProtection != nil:
		in.DeletionProtectionEnabled = u.DeletionProtection
	}
	_, err := c.api.UpdateTable(ctx, in)
	return c.translate("UpdateTable", table, err)
}
