package emulator

import (
	"maps"
	"slices"
	"sort"
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
	keySchema     []keySchemaElement
	attrDefs      []attributeDefinition
	gsis, lsis    []index
	billingMode   string
	rcu, wcu      int64
	stream        streamSpecification
	sse           sseState
	tableClass    string
	ttl           ttlState
	itemCount     int64
	sizeBytes     int64
	items         map[string]item
}

func snapshotOf(t *table) tableSnapshot {
	s := tableSnapshot{
		name: t.name, arn: t.arn, id: t.id, created: t.created,
		keySchema:   slices.Clone(t.keySchema),
		attrDefs:    slices.Clone(t.attrDefs),
		billingMode: t.billingMode, rcu: t.rcu, wcu: t.wcu,
		stream: t.stream, sse: t.sse, tableClass: t.tableClass, ttl: t.ttl,
		itemCount: int64(len(t.items)),
		sizeBytes: t.sizeBytes(),
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

// ---- wire shapes ----

type backupDetails struct {
	BackupArn              string
	BackupName             string
	BackupSizeBytes        int64
	BackupStatus           string
	BackupType             string
	BackupCreationDateTime *epochTime
}

type backupSummary struct {
	TableName              string
	TableId                string
	TableArn               string
	BackupArn              string
	BackupName             string
	BackupCreationDateTime *epochTime
	BackupStatus           string
	BackupType             string
	BackupSizeBytes        int64
}

func (b *backup) details() backupDetails {
	return backupDetails{
		BackupArn: b.arn, BackupName: b.name, BackupSizeBytes: b.sizeBytes,
		BackupStatus: b.status, BackupType: b.backupType, BackupCreationDateTime: newEpoch(b.created),
	}
}

func (b *backup) description() map[string]any {
	s := b.source
	source := map[string]any{
		"TableName":             s.name,
		"TableId":               s.id,
		"TableArn":              s.arn,
		"TableSizeBytes":        s.sizeBytes,
		"KeySchema":             s.keySchema,
		"TableCreationDateTime": newEpoch(s.created),
		"ProvisionedThroughput": map[string]int64{"ReadCapacityUnits": s.rcu, "WriteCapacityUnits": s.wcu},
		"ItemCount":             s.itemCount,
		"BillingMode":           s.billingMode,
	}
	features := map[string]any{}
	var lsis, gsis []map[string]any
	for _, ix := range s.lsis {
		lsis = append(lsis, map[string]any{"IndexName": ix.name, "KeySchema": ix.keySchema, "Projection": ix.projection})
	}
	for _, ix := range s.gsis {
		gsis = append(gsis, map[string]any{
			"IndexName": ix.name, "KeySchema": ix.keySchema, "Projection": ix.projection,
			"ProvisionedThroughput": map[string]int64{"ReadCapacityUnits": ix.rcu, "WriteCapacityUnits": ix.wcu},
		})
	}
	if lsis != nil {
		features["LocalSecondaryIndexes"] = lsis
	}
	if gsis != nil {
		features["GlobalSecondaryIndexes"] = gsis
	}
	if s.stream.StreamEnabled {
		features["StreamDescription"] = s.stream
	}
	if s.ttl.enabled {
		features["TimeToLiveDescription"] = map[string]string{"TimeToLiveStatus": "ENABLED", "AttributeName": s.ttl.attr}
	}
	if s.sse.enabled {
		features["SSEDescription"] = sseDescription{Status: "ENABLED", SSEType: s.sse.sseType, KMSMasterKeyArn: s.sse.kmsKeyArn}
	}
	return map[string]any{
		"BackupDetails":             b.details(),
		"SourceTableDetails":        source,
		"SourceTableFeatureDetails": features,
	}
}

// ---- CreateBackup ----

func (e *Emulator) createBackup(rc *requestContext, body []byte) (any, error) {
	var in struct{ TableName, BackupName string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := validateName("tableName", in.TableName); err != nil {
		return nil, err
	}
	if err := validateName("backupName", in.BackupName); err != nil {
		return nil, err
	}
	t, ok := e.region(rc.region).tables[in.TableName]
	if !ok {
		return nil, newError(codeTableNotFound, "Table not found: %s", in.TableName)
	}
	if t.status == statusCreating || t.status == statusDeleting {
		return nil, newError(codeTableInUse, "Table is in %s state: %s", t.status, t.name)
	}
	snap := snapshotOf(t)
	b := &backup{
		name:       in.BackupName,
		region:     rc.region,
		status:     statusCreating,
		backupType: backupTypeUser,
		created:    rc.now,
		readyAt:    rc.now.Add(e.durations.scaled(e.durations.BackupCreate, snap.sizeBytes)),
		sizeBytes:  snap.sizeBytes,
		source:     snap,
	}
	for {
		b.arn = t.arn + "/backup/" + e.backupID(rc.now)
		if _, taken := e.backups[b.arn]; !taken {
			break
		}
	}
	e.backups[b.arn] = b
	e.advanceLifecycle(rc.now) // a zero duration makes it AVAILABLE at once
	e.log.Info("backup created", "region", rc.region, "table", t.name, "backup", b.arn)
	return map[string]any{"BackupDetails": b.details()}, nil
}

// lookupBackup finds a backup by ARN anywhere in the account.
func (e *Emulator) lookupBackup(arn string) (*backup, error) {
	if arn == "" {
		return nil, constraintError(nil, "backupArn", "Member must not be null")
	}
	if len(arn) < 37 || len(arn) > 1024 {
		return nil, constraintError(arn, "backupArn", "Member must have length greater than or equal to 37")
	}
	a, ok := parseARN(arn)
	if !ok || a.backupID == "" {
		return nil, validationError("Invalid Backup ARN")
	}
	b, ok := e.backups[arn]
	if !ok {
		return nil, newError(codeBackupNotFound, "Backup not found: %s", arn)
	}
	return b, nil
}

// ---- DescribeBackup / DeleteBackup ----

func (e *Emulator) describeBackup(rc *requestContext, body []byte) (any, error) {
	var in struct{ BackupArn string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	b, err := e.lookupBackup(in.BackupArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"BackupDescription": b.description()}, nil
}

func (e *Emulator) deleteBackup(rc *requestContext, body []byte) (any, error) {
	var in struct{ BackupArn string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	b, err := e.lookupBackup(in.BackupArn)
	if err != nil {
		return nil, err
	}
	if b.status == statusCreating {
		return nil, newError(codeBackupInUse, "Backup is being created: %s", b.arn)
	}
	delete(e.backups, b.arn)
	b.status = statusDeleted
	e.log.Info("backup deleted", "backup", b.arn)
	return map[string]any{"BackupDescription": b.description()}, nil
}

// ---- ListBackups ----

func (e *Emulator) listBackups(rc *requestContext, body []byte) (any, error) {
	var in struct {
		TableName               string
		Limit                   *int32
		TimeRangeLowerBound     *epochTime
		TimeRangeUpperBound     *epochTime
		ExclusiveStartBackupArn string
		BackupType              string
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	limit := maxListBackups
	if in.Limit != nil {
		if *in.Limit < 1 {
			return nil, constraintError(*in.Limit, "limit", "Member must have value greater than or equal to 1")
		}
		if *in.Limit > maxListBackups {
			return nil, constraintError(*in.Limit, "limit", "Member must have value less than or equal to 100")
		}
		limit = int(*in.Limit)
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
		return nil, constraintError(in.BackupType, "backupType", "Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]")
	}
	lower, upper := in.TimeRangeLowerBound.time(), in.TimeRangeUpperBound.time()
	if in.TimeRangeLowerBound != nil && in.TimeRangeUpperBound != nil && lower.After(upper) {
		return nil, invalidParam("Time range lower bound must be less than or equal to upper bound")
	}

	var startCreated time.Time
	if in.ExclusiveStartBackupArn != "" {
		a, ok := parseARN(in.ExclusiveStartBackupArn)
		if !ok || a.backupID == "" {
			return nil, validationError("Invalid Backup ARN")
		}
		if a.region != rc.region {
			return nil, validationError("Invalid Request: The supplied ExclusiveStartBackupArn does not match the region")
		}
		if b, ok := e.backups[in.ExclusiveStartBackupArn]; ok {
			startCreated = b.created
		} else if startCreated, ok = backupCreatedFromID(a.backupID); !ok {
			return nil, validationError("Invalid Backup ARN")
		}
	}

	var matched []*backup
	for _, b := range e.backups {
		switch {
		case b.region != rc.region,
			!types[b.backupType],
			in.TableName != "" && b.source.name != in.TableName,
			in.TimeRangeLowerBound != nil && b.created.Before(lower),
			in.TimeRangeUpperBound != nil && !b.created.Before(upper):
			continue
		}
		matched = append(matched, b)
	}
	sort.Slice(matched, func(i, j int) bool {
		return backupLess(matched[i].created, matched[i].arn, matched[j].created, matched[j].arn)
	})
	if in.ExclusiveStartBackupArn != "" {
		i := sort.Search(len(matched), func(i int) bool {
			return backupLess(startCreated, in.ExclusiveStartBackupArn, matched[i].created, matched[i].arn)
		})
		matched = matched[i:]
	}
	out := map[string]any{}
	if len(matched) > limit {
		matched = matched[:limit]
		out["LastEvaluatedBackupArn"] = matched[limit-1].arn
	}
	summaries := make([]backupSummary, 0, len(matched))
	for _, b := range matched {
		summaries = append(summaries, backupSummary{
			TableName: b.source.name, TableId: b.source.id, TableArn: b.source.arn,
			BackupArn: b.arn, BackupName: b.name, BackupCreationDateTime: newEpoch(b.created),
			BackupStatus: b.status, BackupType: b.backupType, BackupSizeBytes: b.sizeBytes,
		})
	}
	out["BackupSummaries"] = summaries
	return out, nil
}

// backupLess orders backups by creation time (millisecond precision, as in
// the ARN), then ARN.
func backupLess(ac time.Time, aarn string, bc time.Time, barn string) bool {
	am, bm := ac.UnixMilli(), bc.UnixMilli()
	if am != bm {
		return am < bm
	}
	return aarn < barn
}

// ---- RestoreTableFromBackup ----

type restoreInput struct {
	TargetTableName               string
	BackupArn                     string
	BillingModeOverride           string
	ProvisionedThroughputOverride *provisionedThroughput
	GlobalSecondaryIndexOverride  []secondaryIndexInput
	LocalSecondaryIndexOverride   []secondaryIndexInput
	SSESpecificationOverride      *sseSpecification
}

func (e *Emulator) restoreTableFromBackup(rc *requestContext, body []byte) (any, error) {
	var in restoreInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := validateName("targetTableName", in.TargetTableName); err != nil {
		return nil, err
	}
	b, err := e.lookupBackup(in.BackupArn)
	if err != nil {
		return nil, err
	}
	if b.region != rc.region && in.SSESpecificationOverride == nil {
		return nil, validationError("Invalid Request: sseSpecificationOverride must be provided for cross-region restores")
	}
	rs := e.region(rc.region)
	if existing, exists := rs.tables[in.TargetTableName]; exists {
		// AWS: TableInUseException while the target is being created or
		// deleted, TableAlreadyExistsException otherwise.
		if st := existing.status; st == statusCreating || st == statusDeleting {
			return nil, newError(codeTableInUse, "A target table with the specified name is either being created or deleted: %s", in.TargetTableName)
		}
		return nil, newError(codeTableAlreadyExists, "Table already exists: %s", in.TargetTableName)
	}
	if b.status != statusAvailable {
		return nil, newError(codeBackupInUse, "Backup is being created: %s", b.arn)
	}

	src := b.source
	t := &table{
		name:        in.TargetTableName,
		region:      rc.region,
		arn:         e.tableARN(rc.region, in.TargetTableName),
		id:          e.newUUID(),
		created:     rc.now,
		keySchema:   slices.Clone(src.keySchema),
		attrDefs:    slices.Clone(src.attrDefs),
		billingMode: src.billingMode,
		rcu:         src.rcu,
		wcu:         src.wcu,
		sse:         src.sse,
		tableClass:  src.tableClass,
		tags:        map[string]string{},
		items:       maps.Clone(src.items),
		restore: &restoreState{
			backupArn:      b.arn,
			sourceTableArn: src.arn,
			at:             b.created,
			inProgress:     true,
		},
	}
	if t.tableClass != "" {
		t.tableClassUpdated = rc.now
	}
	if err := e.applyRestoreOverrides(rc, t, &in, src); err != nil {
		return nil, err
	}
	if n := e.restoresInProgress(); n >= e.maxRestores {
		return nil, newError(codeLimitExceeded, "There is a limit of %d concurrent restores per account. Current restores in progress: %d", e.maxRestores, n)
	}
	t.status = statusCreating
	t.transitionAt = rc.now.Add(e.durations.scaled(e.durations.Restore, b.sizeBytes))
	rs.tables[t.name] = t
	e.log.Info("restore started", "region", rc.region, "table", t.name, "backup", b.arn)
	return map[string]any{"TableDescription": e.describe(t)}, nil
}

func (e *Emulator) applyRestoreOverrides(rc *requestContext, t *table, in *restoreInput, src tableSnapshot) error {
	switch in.BillingModeOverride {
	case "":
		if in.ProvisionedThroughputOverride != nil && src.billingMode != billingProvisioned {
			return validationError("Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED")
		}
	case billingPayPerRequest:
		if in.ProvisionedThroughputOverride != nil {
			return validationError("Invalid Request: Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST")
		}
	case billingProvisioned:
		if in.ProvisionedThroughputOverride == nil {
			return validationError("Invalid Request: Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED")
		}
	default:
		return constraintError(in.BillingModeOverride, "billingModeOverride", "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
	}
	if in.BillingModeOverride != "" {
		t.billingMode = in.BillingModeOverride
	}
	if t.billingMode == billingPayPerRequest {
		t.rcu, t.wcu = 0, 0
		t.payPerRequestSince = rc.now
		t.everPayPerRequest = true
	}
	if pt := in.ProvisionedThroughputOverride; pt != nil {
		if pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
			return invalidParam("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
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
		sse, err := e.sseFromSpec(rc.region, in.SSESpecificationOverride)
		if err != nil {
			return err
		}
		t.sse = sse
	} else if t.sse.enabled && t.sse.kmsKeyArn == e.awsManagedKMSKeyARN(src.arnRegion()) {
		t.sse.kmsKeyArn = e.awsManagedKMSKeyARN(rc.region)
	}
	return nil
}

// restoreIndexes applies an index override: when given, it replaces the
// source's indexes, but may only name indexes the source table had. Without
// an override, GSIs of an on-demand backup restored as provisioned get the
// table's throughput.
func restoreIndexes(override []secondaryIndexInput, source []index, t *table, global bool) ([]*index, error) {
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
			return nil, validationError("Invalid Request: Index %s does not match a secondary index that existed in the source table and cannot be created during the restore operation", o.IndexName)
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
				return nil, validationError("Invalid Request: Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST for index %s", o.IndexName)
			case billing == billingPayPerRequest:
				ix.rcu, ix.wcu = 0, 0
			case pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil:
				return nil, validationError("Invalid Request: Must specify provisioned throughput for index %s", o.IndexName)
			default:
				ix.rcu, ix.wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
			}
		}
		out = append(out, &ix)
	}
	return out, nil
}

func (s tableSnapshot) arnRegion() string {
	a, _ := parseARN(s.arn)
	return a.region
}

// restoresInProgress counts restores under way in every region.
func (e *Emulator) restoresInProgress() int {
	n := 0
	for _, rs := range e.regions {
		for _, t := range rs.tables {
			if t.restore != nil && t.restore.inProgress {
				n++
			}
		}
	}
	return n
}
