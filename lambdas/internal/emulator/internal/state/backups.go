package state

import (
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
	"maps"
	"slices"
	"time"
)

const (
	backupTypeUser = "USER"
	maxListBackups = 100
)

// backup is an on-demand backup: a snapshot of a table's definition and
// items at the instant CreateBackup was called.
type backup struct {
	arn, name, region string
	status            string
	backupType        string
	created           time.Time
	readyAt           time.Time
	sizeBytes         int64
	source            tableSnapshot
}

// tableSnapshot is what a backup keeps of its source table.
type tableSnapshot struct {
	name, arn, id string
	created       time.Time
	keySchema     []wire.KeySchemaElement
	attrDefs      []wire.AttributeDefinition
	gsis, lsis    []index
	billingMode   string
	rcu, wcu      int64
	stream        wire.StreamSpecification
	sse           sseState
	ttl           ttlState
	itemCount     int64 // what the backup holds
	sizeBytes     int64
	reported      usage // what DescribeTable reported when the backup was made
	items         map[string]wire.Item
}

func snapshotOf(t *table, reported usage) tableSnapshot {
	s := tableSnapshot{
		name: t.name, arn: t.arn, id: t.id, created: t.created,
		keySchema:   slices.Clone(t.keySchema),
		attrDefs:    slices.Clone(t.attrDefs),
		billingMode: t.billingMode, rcu: t.rcu, wcu: t.wcu,
		stream: t.stream, sse: t.sse, ttl: t.ttl,
		itemCount: int64(len(t.items)),
		sizeBytes: t.sizeBytes(),
		reported:  reported,
		// Stored items are immutable, so a shallow copy is a snapshot.
		items: maps.Clone(t.items),
	}
	for _, ix := range t.gsis {
		s.gsis = append(s.gsis, *ix)
	}
	for _, ix := range t.lsis {
		s.lsis = append(s.lsis, *ix)
	}
	return s
}

func (b *backup) details() wire.BackupDetails {
	return wire.BackupDetails{
		BackupArn: b.arn, BackupName: b.name, BackupSizeBytes: b.sizeBytes,
		BackupStatus: b.status, BackupType: b.backupType, BackupCreationDateTime: wire.NewEpoch(b.created),
	}
}

func (b *backup) description() wire.BackupDescription {
	s := b.source
	d := wire.BackupDescription{
		BackupDetails: b.details(),
		SourceTableDetails: wire.SourceTableDetails{
			TableName:      s.name,
			TableId:        s.id,
			TableArn:       s.arn,
			TableSizeBytes: s.reported.bytes, // "an approximate value"

			KeySchema:             s.keySchema,
			TableCreationDateTime: wire.NewEpoch(s.created),
			ProvisionedThroughput: wire.Throughput(s.rcu, s.wcu),
			ItemCount:             s.reported.items,
			BillingMode:           s.billingMode,
		},
	}
	f := &d.SourceTableFeatureDetails
	for _, ix := range s.lsis {
		f.LocalSecondaryIndexes = append(f.LocalSecondaryIndexes, wire.SecondaryIndex{IndexName: ix.name, KeySchema: ix.keySchema, Projection: ix.projection})
	}
	for _, ix := range s.gsis {
		f.GlobalSecondaryIndexes = append(f.GlobalSecondaryIndexes, wire.SecondaryIndex{
			IndexName: ix.name, KeySchema: ix.keySchema, Projection: ix.projection,
			ProvisionedThroughput: wire.Throughput(ix.rcu, ix.wcu),
		})
	}
	if s.stream.StreamEnabled {
		stream := s.stream
		f.StreamDescription = &stream
	}
	if s.ttl.enabled {
		ttl := s.ttl.description()
		f.TimeToLiveDescription = &ttl
	}
	f.SSEDescription = s.sse.description()
	return d
}

// ---- CreateBackup ----

// CreateBackup snapshots a table; the backup is CREATING for Durations.BackupCreate plus PerMiB.
func (c *Call) CreateBackup(in *wire.CreateBackupInput) (*wire.CreateBackupOutput, error) {
	if err := validateName("tableName", in.TableName); err != nil {
		return nil, err
	}
	if err := validateName("backupName", in.BackupName); err != nil {
		return nil, err
	}
	t, ok := c.regionTable(in.TableName)
	if !ok {
		return nil, wire.Errorf(wire.CodeTableNotFound, "Table not found: %s", in.TableName)
	}
	if t.status == statusCreating || t.status == statusDeleting {
		return nil, wire.Errorf(wire.CodeTableInUse, "Table is in %s state: %s", t.status, t.name)
	}
	if err := c.backupsEnabled(t); err != nil {
		return nil, err
	}
	snap := snapshotOf(t, c.reportedUsage(t))
	b := &backup{
		name:       in.BackupName,
		region:     c.region,
		backupType: backupTypeUser,
		created:    c.now,
		readyAt:    c.now.Add(c.durations.scaled(c.durations.BackupCreate, snap.sizeBytes)),
		sizeBytes:  snap.sizeBytes,
		source:     snap,
	}
	for {
		b.arn = t.arn + "/backup/" + c.backupID(c.now)
		if _, taken := c.backups[b.arn]; !taken {
			break
		}
	}
	c.addBackup(b)
	c.startBackup(b)
	c.advanceLifecycle(c.now) // a zero duration makes it AVAILABLE at once
	c.log.Info("backup created", "region", c.region, "table", t.name, "backup", b.arn)
	return &wire.CreateBackupOutput{BackupDetails: b.details()}, nil
}

// lookupBackup finds a backup by ARN anywhere in the account.
func (st *store) lookupBackup(arn string) (*backup, error) {
	if arn == "" {
		return nil, wire.Constraint(nil, "backupArn", "Member must not be null")
	}
	if len(arn) < 37 || len(arn) > 1024 {
		return nil, wire.Constraint(arn, "backupArn", "Member must have length greater than or equal to 37")
	}
	a, ok := wire.ParseARN(arn)
	if !ok || a.BackupID == "" {
		return nil, wire.Validation("Invalid Backup ARN")
	}
	b, ok := st.backups[arn]
	if !ok {
		return nil, wire.Errorf(wire.CodeBackupNotFound, "Backup not found: %s", arn)
	}
	return b, nil
}

// ---- DescribeBackup / DeleteBackup ----

// DescribeBackup reports a backup of any region of the account.
func (c *Call) DescribeBackup(in *wire.BackupArn) (*wire.BackupDescriptionOutput, error) {
	b, err := c.lookupBackup(in.BackupArn)
	if err != nil {
		return nil, err
	}
	return &wire.BackupDescriptionOutput{BackupDescription: b.description()}, nil
}

// DeleteBackup deletes a backup that is not CREATING.
func (c *Call) DeleteBackup(in *wire.BackupArn) (*wire.BackupDescriptionOutput, error) {
	b, err := c.lookupBackup(in.BackupArn)
	if err != nil {
		return nil, err
	}
	if b.status == statusCreating {
		return nil, wire.Errorf(wire.CodeBackupInUse, "Backup is being created: %s", b.arn)
	}
	c.dropBackup(b)
	b.status = statusDeleted
	c.log.Info("backup deleted", "backup", b.arn)
	return &wire.BackupDescriptionOutput{BackupDescription: b.description()}, nil
}

// ---- ListBackups ----

// ListBackups lists the calling region's backups in creation order, in pages of at most 100.
func (c *Call) ListBackups(in *wire.ListBackupsInput) (*wire.ListBackupsOutput, error) {
	limit, err := pageLimit(in.Limit, maxListBackups)
	if err != nil {
		return nil, err
	}
	if in.TableName != "" {
		if err := validateName("tableName", in.TableName); err != nil {
			return nil, err
		}
	}
	types := map[string]bool{}
	switch in.BackupType {
	case "", "USER":
		types["USER"] = true
	case "SYSTEM":
		types["SYSTEM"] = true
	case "AWS_BACKUP":
		types["AWS_BACKUP"] = true
	case "ALL":
		types["USER"], types["SYSTEM"], types["AWS_BACKUP"] = true, true, true
	default:
		return nil, wire.Constraint(in.BackupType, "backupType", "Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]")
	}
	lower, upper := in.TimeRangeLowerBound.Time(), in.TimeRangeUpperBound.Time()
	if in.TimeRangeLowerBound != nil && in.TimeRangeUpperBound != nil && lower.After(upper) {
		return nil, wire.InvalidParam("Time range lower bound must be less than or equal to upper bound")
	}

	var startCreated time.Time
	if in.ExclusiveStartBackupArn != "" {
		a, ok := wire.ParseARN(in.ExclusiveStartBackupArn)
		if !ok || a.BackupID == "" {
			return nil, wire.Validation("Invalid Backup ARN")
		}
		if a.Region != c.region {
			return nil, wire.Validation("Invalid Request: The supplied ExclusiveStartBackupArn does not match the region")
		}
		if b, ok := c.backups[in.ExclusiveStartBackupArn]; ok {
			startCreated = b.created
		} else if startCreated, ok = backupCreatedFromID(a.BackupID); !ok {
			return nil, wire.Validation("Invalid Backup ARN")
		}
	}

	rs := c.inRegion(c.region)
	candidates := rs.backups
	if in.TableName != "" {
		candidates = rs.backupsOf[in.TableName]
	}
	if in.ExclusiveStartBackupArn != "" {
		candidates = candidates[after(candidates, startCreated, in.ExclusiveStartBackupArn):]
	}
	// One more than a page tells whether there is a next page.
	var matched []*backup
	for _, b := range candidates {
		if in.TimeRangeUpperBound != nil && !b.created.Before(upper) || len(matched) > limit {
			break // in creation order: no later backup matches
		}
		if !types[b.backupType] || in.TimeRangeLowerBound != nil && b.created.Before(lower) {
			continue
		}
		matched = append(matched, b)
	}
	out := &wire.ListBackupsOutput{}
	if len(matched) > limit {
		matched = matched[:limit]
		out.LastEvaluatedBackupArn = matched[limit-1].arn
	}
	summaries := make([]wire.BackupSummary, 0, len(matched))
	for _, b := range matched {
		summaries = append(summaries, wire.BackupSummary{
			TableName: b.source.name, TableId: b.source.id, TableArn: b.source.arn,
			BackupArn: b.arn, BackupName: b.name, BackupCreationDateTime: wire.NewEpoch(b.created),
			BackupStatus: b.status, BackupType: b.backupType, BackupSizeBytes: b.sizeBytes,
		})
	}
	out.BackupSummaries = summaries
	return out, nil
}

// ---- RestoreTableFromBackup ----

// RestoreTableFromBackup restores a backup of any region into a new table of the calling region.
func (c *Call) RestoreTableFromBackup(in *wire.RestoreTableFromBackupInput) (*wire.TableDescriptionOutput, error) {
	if err := validateName("targetTableName", in.TargetTableName); err != nil {
		return nil, err
	}
	b, err := c.lookupBackup(in.BackupArn)
	if err != nil {
		return nil, err
	}
	if b.region != c.region && in.SSESpecificationOverride == nil {
		return nil, wire.Validation("Invalid Request: sseSpecificationOverride must be provided for cross-region restores")
	}
	rs := c.inRegion(c.region)
	if existing, exists := rs.tables[in.TargetTableName]; exists {
		// AWS: TableInUseException while the target is being created or
		// deleted, TableAlreadyExistsException otherwise.
		if st := existing.status; st == statusCreating || st == statusDeleting {
			return nil, wire.Errorf(wire.CodeTableInUse, "A target table with the specified name is either being created or deleted: %s", in.TargetTableName)
		}
		return nil, wire.Errorf(wire.CodeTableAlreadyExists, "Table already exists: %s", in.TargetTableName)
	}
	if b.status != statusAvailable {
		return nil, wire.Errorf(wire.CodeBackupInUse, "Backup is being created: %s", b.arn)
	}

	src := b.source
	t := &table{
		name:        in.TargetTableName,
		region:      c.region,
		arn:         c.tableARN(c.region, in.TargetTableName),
		id:          c.newUUID(),
		created:     c.now,
		keySchema:   slices.Clone(src.keySchema),
		attrDefs:    slices.Clone(src.attrDefs),
		billingMode: src.billingMode,
		rcu:         src.rcu,
		wcu:         src.wcu,
		sse:         src.sse,
		// "Tables restored from backups are always created using the
		// DynamoDB Standard table class" (Restoring a DynamoDB table from a
		// backup): the source's class is not restored, and a table whose
		// class was never set reports none.
		tags: map[string]string{},
		restore: &restoreState{
			backupArn:      b.arn,
			sourceTableArn: src.arn,
			at:             b.created,
			inProgress:     true,
		},
	}
	if err := c.applyRestoreOverrides(t, in, src); err != nil {
		return nil, err
	}
	t.setItems(maps.Clone(src.items))
	if n := c.restoring; n >= c.maxRestores {
		return nil, wire.Errorf(wire.CodeLimitExceeded, "There is a limit of %d concurrent restores per account. Current restores in progress: %d", c.maxRestores, n)
	}
	if err := c.startTableOperation(); err != nil {
		return nil, err
	}
	t.usageAt = c.now
	c.startTableTransition(rs, t, statusCreating, c.now.Add(c.durations.scaled(c.durations.Restore, b.sizeBytes)))
	c.restoring++
	rs.addTable(t)
	c.log.Info("restore started", "region", c.region, "table", t.name, "backup", b.arn)
	return &wire.TableDescriptionOutput{TableDescription: c.describe(t)}, nil
}

func (c *Call) applyRestoreOverrides(t *table, in *wire.RestoreTableFromBackupInput, src tableSnapshot) error {
	switch in.BillingModeOverride {
	case "":
		if in.ProvisionedThroughputOverride != nil && src.billingMode != billingProvisioned {
			return wire.Validation("Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED")
		}
	case billingPayPerRequest:
		if in.ProvisionedThroughputOverride != nil {
			return wire.Validation("Invalid Request: Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST")
		}
	case billingProvisioned:
		if in.ProvisionedThroughputOverride == nil {
			return wire.Validation("Invalid Request: Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED")
		}
	default:
		return wire.Constraint(in.BillingModeOverride, "billingModeOverride", "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
	}
	if in.BillingModeOverride != "" {
		t.billingMode = in.BillingModeOverride
	}
	if t.billingMode == billingPayPerRequest {
		t.rcu, t.wcu = 0, 0
		t.payPerRequestSince = c.now
		t.everPayPerRequest = true
	}
	if pt := in.ProvisionedThroughputOverride; pt != nil {
		if pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
			return wire.InvalidParam("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		if err := validateThroughput(pt); err != nil {
			return err
		}
		t.rcu, t.wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	}

	gsis, err := restoreIndexes(in.GlobalSecondaryIndexOverride, src.gsis, t, true)
	if err != nil {
		return err
	}
	lsis, err := restoreIndexes(in.LocalSecondaryIndexOverride, src.lsis, t, false)
	if err != nil {
		return err
	}
	t.gsis, t.lsis = gsis, lsis

	if in.SSESpecificationOverride != nil {
		sse, err := c.sseFromSpec(c.region, in.SSESpecificationOverride)
		if err != nil {
			return err
		}
		t.sse = sse
	} else if t.sse.enabled && t.sse.kmsKeyArn == c.awsManagedKMSKeyARN(src.arnRegion()) {
		t.sse.kmsKeyArn = c.awsManagedKMSKeyARN(c.region)
	}
	return nil
}

// restoreIndexes applies an index override: when given, it replaces the
// source's indexes, but may only name indexes the source table had. Without
// an override, GSIs of an on-demand backup restored as provisioned get the
// table's throughput.
func restoreIndexes(override []wire.SecondaryIndex, source []index, t *table, global bool) ([]*index, error) {
	billing := t.billingMode
	if override == nil {
		var out []*index
		for _, ix := range source {
			if billing == billingPayPerRequest {
				ix.rcu, ix.wcu = 0, 0
			} else if ix.rcu == 0 && global {
				ix.rcu, ix.wcu = t.rcu, t.wcu
			}
			out = append(out, &ix)
		}
		return out, nil
	}
	var out []*index
	for _, o := range override {
		var found *index
		for i := range source {
			if source[i].name == o.IndexName {
				found = &source[i]
			}
		}
		if found == nil {
			return nil, wire.Validation("Invalid Request: Index %s does not match a secondary index that existed in the source table and cannot be created during the restore operation", o.IndexName)
		}
		ix := *found
		if len(o.KeySchema) > 0 {
			ix.keySchema = o.KeySchema
		}
		if o.Projection.ProjectionType != "" {
			ix.projection = o.Projection
		}
		if global {
			switch pt := o.ProvisionedThroughput; {
			case billing == billingPayPerRequest && pt != nil:
				return nil, wire.Validation("Invalid Request: Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST for index %s", o.IndexName)
			case billing == billingPayPerRequest:
				ix.rcu, ix.wcu = 0, 0
			case pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil:
				return nil, wire.Validation("Invalid Request: Must specify provisioned throughput for index %s", o.IndexName)
			default:
				ix.rcu, ix.wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
			}
		}
		out = append(out, &ix)
	}
	return out, nil
}

func (s tableSnapshot) arnRegion() string {
	a, _ := wire.ParseARN(s.arn)
	return a.Region
}
