package state

import (
	"sort"
	"strings"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// This file holds the table settings that have operations of their own:
// tags, TTL and continuous backups (PITR).

// ---- tags ----

// lookupTableByARN resolves a table ARN in the calling region.
func (c *Call) lookupTableByARN(arn string) (*table, error) {
	if arn == "" {
		return nil, wire.Constraint(nil, "resourceArn", "Member must not be null")
	}
	if !strings.HasPrefix(arn, "arn:") {
		return nil, wire.InvalidParam("ARNs must start with 'arn:': %s", arn)
	}
	a, ok := wire.ParseARN(arn)
	if !ok {
		return nil, wire.InvalidParam("Provided Arn is not a DynamoDB resource arn: %s", arn)
	}
	if a.BackupID != "" || a.Index != "" {
		return nil, wire.InvalidParam("Invalid resource arn provided, only table or stream is accepted. Provided resource arn: %s", arn)
	}
	if a.Region != c.region || a.Account != c.accountID {
		return nil, wire.Validation("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	t, ok := c.regionTable(a.Table)
	// The tagging operations' ResourceNotFoundException: "The resource
	// might not be specified correctly, or its status might not be ACTIVE."
	if !ok || t.status == statusDeleting || c.model.TagsRequireActive && t.status != statusActive {
		return nil, wire.Errorf(wire.CodeResourceNotFound, "Requested resource not found: ResourcArn: %s not found", arn)
	}
	return t, nil
}

func validateTags(tags []wire.Tag) error {
	if len(tags) > maxTags {
		return wire.Validation("Number of Tags exceed the current limit for the provided ResourceArn")
	}
	seen := map[string]bool{}
	for _, tg := range tags {
		if tg.Key == "" || len(tg.Key) > 128 {
			return wire.Validation("The Tag Key provided is invalid, Key: %s", tg.Key)
		}
		if len(tg.Value) > 256 {
			return wire.Validation("The Tag Value provided is invalid, Value: %s", tg.Value)
		}
		if strings.HasPrefix(tg.Key, "aws:") {
			return wire.Validation("Tag Key cannot be prefixed with aws:, Key: %s", tg.Key)
		}
		if seen[tg.Key] {
			return wire.Validation("Duplicate Tag Keys provided as input: Duplicate Tag Key found %s", tg.Key)
		}
		seen[tg.Key] = true
	}
	return nil
}

// TagResource adds or replaces tags of a table.
func (c *Call) TagResource(in *wire.TagResourceInput) (*wire.Empty, error) {
	t, err := c.lookupTableByARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, wire.Validation("Atleast one Tag needs to be provided as Input.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	merged := len(t.tags)
	for _, tg := range in.Tags {
		if _, ok := t.tags[tg.Key]; !ok {
			merged++
		}
	}
	if merged > maxTags {
		return nil, wire.Validation("Number of Tags exceed the current limit for the provided ResourceArn")
	}
	for _, tg := range in.Tags {
		t.tags[tg.Key] = tg.Value
	}
	c.setTags(t)
	return &wire.Empty{}, nil
}

// UntagResource removes tags of a table.
func (c *Call) UntagResource(in *wire.UntagResourceInput) (*wire.Empty, error) {
	t, err := c.lookupTableByARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, wire.Validation("Atleast one Tag Key needs to be provided as Input.")
	}
	for _, k := range in.TagKeys {
		delete(t.tags, k)
	}
	c.setTags(t)
	return &wire.Empty{}, nil
}

// ListTagsOfResource lists the tags of a table, by key, as of the model's
// propagation delay ago: TagResource and UntagResource are eventually
// consistent.
func (c *Call) ListTagsOfResource(in *wire.ListTagsOfResourceInput) (*wire.ListTagsOfResourceOutput, error) {
	t, err := c.lookupTableByARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return &wire.ListTagsOfResourceOutput{Tags: sortedTags(t.visibleTags(c.now))}, nil
}

func sortedTags(m map[string]string) []wire.Tag {
	out := make([]wire.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, wire.Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ---- TTL ----

// UpdateTimeToLive enables or disables TTL (settings only; nothing expires).
func (c *Call) UpdateTimeToLive(in *wire.UpdateTimeToLiveInput) (*wire.UpdateTimeToLiveOutput, error) {
	t, err := c.lookupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil {
		return nil, wire.Constraint(nil, "timeToLiveSpecification", "Member must not be null")
	}
	if spec.AttributeName == "" {
		return nil, wire.Constraint(nil, "timeToLiveSpecification.attributeName", "Member must not be null")
	}
	if t.status != statusActive {
		return nil, resourceInUse(t)
	}
	switch {
	case spec.Enabled && t.ttl.enabled && spec.AttributeName != t.ttl.attr:
		return nil, wire.Validation("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.ttl.attr)
	case spec.Enabled && t.ttl.enabled:
		return nil, wire.Validation("TimeToLive is already enabled")
	case !spec.Enabled && !t.ttl.enabled:
		return nil, wire.Validation("TimeToLive is already disabled")
	}
	t.ttl = ttlState{enabled: spec.Enabled, attr: spec.AttributeName}
	if !spec.Enabled {
		t.ttl.attr = ""
	}
	return &wire.UpdateTimeToLiveOutput{TimeToLiveSpecification: spec}, nil
}

// DescribeTimeToLive reports the TTL settings of a table.
func (c *Call) DescribeTimeToLive(in *wire.TableName) (*wire.DescribeTimeToLiveOutput, error) {
	t, err := c.lookupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if t.status == statusCreating || t.status == statusDeleting {
		return nil, wire.Validation("Cannot describe time to live while table is in %s state: Current table state is %s", t.status, t.status)
	}
	return &wire.DescribeTimeToLiveOutput{TimeToLiveDescription: t.ttl.description()}, nil
}

// ---- continuous backups (PITR) ----

func (c *Call) lookupTableForBackups(name string) (*table, error) {
	if err := validateName("tableName", name); err != nil {
		return nil, err
	}
	t, ok := c.regionTable(name)
	if !ok || t.status == statusDeleting {
		return nil, wire.Errorf(wire.CodeTableNotFound, "Table not found: %s", name)
	}
	return t, nil
}

// UpdateContinuousBackups enables or disables point-in-time recovery (settings only).
func (c *Call) UpdateContinuousBackups(in *wire.UpdateContinuousBackupsInput) (*wire.ContinuousBackupsOutput, error) {
	t, err := c.lookupTableForBackups(in.TableName)
	if err != nil {
		return nil, err
	}
	spec := in.PointInTimeRecoverySpecification
	if spec == nil {
		return nil, wire.Constraint(nil, "pointInTimeRecoverySpecification", "Member must not be null")
	}
	if err := c.backupsEnabled(t); err != nil {
		return nil, err
	}
	days := int32(35)
	if spec.RecoveryPeriodInDays != nil {
		if !spec.PointInTimeRecoveryEnabled {
			return nil, wire.Validation("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.")
		}
		days = *spec.RecoveryPeriodInDays
		if days < 1 {
			return nil, wire.Constraint(days, "pointInTimeRecoverySpecification.recoveryPeriodInDays", "Member must have value greater than or equal to 1")
		}
		if days > 35 {
			return nil, wire.Constraint(days, "pointInTimeRecoverySpecification.recoveryPeriodInDays", "Member must have value less than or equal to 35")
		}
	}
	switch {
	case spec.PointInTimeRecoveryEnabled && !t.pitr.enabled:
		t.pitr = pitrState{enabled: true, days: days, since: c.now}
	case spec.PointInTimeRecoveryEnabled:
		t.pitr.days = days
	default:
		t.pitr = pitrState{}
	}
	return &wire.ContinuousBackupsOutput{ContinuousBackupsDescription: c.continuousBackupsDescription(t)}, nil
}

// DescribeContinuousBackups reports the point-in-time recovery settings of a table.
func (c *Call) DescribeContinuousBackups(in *wire.TableName) (*wire.ContinuousBackupsOutput, error) {
	t, err := c.lookupTableForBackups(in.TableName)
	if err != nil {
		return nil, err
	}
	return &wire.ContinuousBackupsOutput{ContinuousBackupsDescription: c.continuousBackupsDescription(t)}, nil
}

// backupsEnabled fails with ContinuousBackupsUnavailableException while a
// table is being created, and for the model's BackupsEnabling time after a
// restored table becomes ACTIVE.
func (c *Call) backupsEnabled(t *table) error {
	if t.status == statusCreating || c.now.Before(t.backupsFrom) {
		return wire.Errorf(wire.CodeContinuousBackupsOff, "Backups are being enabled for the table: %s. Please retry later", t.name)
	}
	return nil
}

// continuousBackupsDescription reports ContinuousBackupsStatus ENABLED
// always: "Continuous backups are ENABLED on all tables at table creation"
// (Amazon DynamoDB API Reference, DescribeContinuousBackups,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeContinuousBackups.html),
// even while CreateBackup still answers ContinuousBackupsUnavailableException
// after a restore: no API tells a client when that window ends.
func (c *Call) continuousBackupsDescription(t *table) wire.ContinuousBackupsDescription {
	now := c.now
	status := "ENABLED"
	pitr := wire.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: "DISABLED"}
	if t.pitr.enabled {
		earliest := t.pitr.since
		if window := now.Add(-time.Duration(t.pitr.days) * 24 * time.Hour); window.After(earliest) {
			earliest = window
		}
		latest := now.Add(-5 * time.Minute)
		if latest.Before(earliest) {
			latest = earliest
		}
		pitr = wire.PointInTimeRecoveryDescription{
			PointInTimeRecoveryStatus:  "ENABLED",
			RecoveryPeriodInDays:       t.pitr.days,
			EarliestRestorableDateTime: wire.NewEpoch(earliest),
			LatestRestorableDateTime:   wire.NewEpoch(latest),
		}
	}
	return wire.ContinuousBackupsDescription{ContinuousBackupsStatus: status, PointInTimeRecoveryDescription: pitr}
}
