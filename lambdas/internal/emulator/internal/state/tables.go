package state

import (
	"fmt"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

const (
	billingProvisioned   = "PROVISIONED"
	billingPayPerRequest = "PAY_PER_REQUEST"
	maxListTables        = 100
	maxTags              = 50
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// table is one DynamoDB table.
type table struct {
	name, arn, id, region string
	status                string
	created               time.Time
	transitionAt          time.Time // when CREATING/UPDATING/DELETING ends

	keySchema []wire.KeySchemaElement
	attrDefs  []wire.AttributeDefinition
	gsis      []*index
	lsis      []*index

	billingMode        string
	payPerRequestSince time.Time
	everPayPerRequest  bool
	rcu, wcu           int64
	lastIncrease       time.Time
	lastDecrease       time.Time

	stream             wire.StreamSpecification
	streamLabel        string
	sse                sseState
	tableClass         string // "" when never set
	tableClassUpdated  time.Time
	deletionProtection bool
	tags               map[string]string // as of the last change
	tagVersions        []tagVersion      // what ListTagsOfResource sees, and from when
	ttl                ttlState
	pitr               pitrState
	restore            *restoreState
	backupsFrom        time.Time // a restored table takes backups from then on

	usage   usage     // ItemCount and sizes as of the last refresh
	usageAt time.Time // when usage was last refreshed

	items       map[string]wire.Item // by encoded primary key; change them with putItem, deleteItem or setItems
	partitions  map[string]partition // item keys by partition key value (expr.Canonical)
	bytes       int64                // the size of the items
	indexTotals map[string]indexUsage
}

type index struct {
	name       string
	keySchema  []wire.KeySchemaElement
	projection wire.Projection
	rcu, wcu   int64
	global     bool
}

type sseState struct {
	enabled   bool
	sseType   string
	kmsKeyArn string
}

// description is the SSEDescription DynamoDB reports: none for the default
// AWS owned key.
func (s sseState) description() *wire.SSEDescription {
	if !s.enabled {
		return nil
	}
	return &wire.SSEDescription{Status: "ENABLED", SSEType: s.sseType, KMSMasterKeyArn: s.kmsKeyArn}
}

type ttlState struct {
	enabled bool
	attr    string
}

func (s ttlState) description() wire.TimeToLiveDescription {
	if !s.enabled {
		return wire.TimeToLiveDescription{TimeToLiveStatus: "DISABLED"}
	}
	return wire.TimeToLiveDescription{TimeToLiveStatus: "ENABLED", AttributeName: s.attr}
}

type pitrState struct {
	enabled bool
	days    int32
	since   time.Time
}

type restoreState struct {
	backupArn      string
	sourceTableArn string
	at             time.Time
	inProgress     bool
}

func (t *table) hashKey() string { return t.keySchema[0].AttributeName }

func (t *table) rangeKey() string {
	if len(t.keySchema) > 1 {
		return t.keySchema[1].AttributeName
	}
	return ""
}

func (t *table) attrType(name string) string {
	for _, d := range t.attrDefs {
		if d.AttributeName == name {
			return d.AttributeType
		}
	}
	return ""
}

func (t *table) findIndex(name string) *index {
	for _, ix := range t.indexes() {
		if ix.name == name {
			return ix
		}
	}
	return nil
}

func (t *table) sizeBytes() int64 { return t.bytes }

// ---- validation helpers ----

// validateName applies DynamoDB's table/index/backup name constraints.
func validateName(member, name string) error {
	switch {
	case name == "":
		return wire.Constraint(nil, member, "Member must not be null")
	case len(name) < 3:
		return wire.Constraint(name, member, "Member must have length greater than or equal to 3")
	case len(name) > 255:
		return wire.Constraint(name, member, "Member must have length less than or equal to 255")
	case !namePattern.MatchString(name):
		return wire.Constraint(name, member, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
	return nil
}

// pageLimit validates the Limit of a List call: 1 to max, default max.
func pageLimit(limit *int32, max int) (int, error) {
	if limit == nil {
		return max, nil
	}
	if *limit < 1 {
		return 0, wire.Constraint(*limit, "limit", "Member must have value greater than or equal to 1")
	}
	if int(*limit) > max {
		return 0, wire.Constraint(*limit, "limit", fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
	return int(*limit), nil
}

// regionTable is the calling region's table of that name, its ItemCount
// and sizes refreshed as of now. Every operation on an existing table finds
// it here, so its usage is refreshed before anything reads or changes it.
func (c *Call) regionTable(name string) (*table, bool) {
	t, ok := c.inRegion(c.region).tables[name]
	if ok {
		c.refreshUsage(t, c.now)
	}
	return t, ok
}

// lookupTable finds a table in the calling region, or returns DynamoDB's
// ResourceNotFoundException.
func (c *Call) lookupTable(name string) (*table, error) {
	if err := validateName("tableName", name); err != nil {
		return nil, err
	}
	t, ok := c.regionTable(name)
	if !ok {
		return nil, wire.Errorf(wire.CodeResourceNotFound, "Requested resource not found: Table: %s not found", name)
	}
	return t, nil
}

func resourceInUse(t *table) error {
	var what string
	switch t.status {
	case statusCreating:
		what = "Table is being created"
	case statusUpdating:
		what = "Table is being updated"
	case statusDeleting:
		what = "Table is being deleted"
	default:
		what = "Table is in use"
	}
	return wire.Errorf(wire.CodeResourceInUse, "Attempt to change a resource which is still in use: %s: %s", what, t.name)
}

// ---- CreateTable ----

// CreateTable creates a table in the calling region, CREATING for Durations.TableCreate.
func (c *Call) CreateTable(in *wire.CreateTableInput) (*wire.TableDescriptionOutput, error) {
	if err := validateName("tableName", in.TableName); err != nil {
		return nil, err
	}
	rs := c.inRegion(c.region)
	if existing, ok := rs.tables[in.TableName]; ok {
		if existing.status == statusActive {
			return nil, wire.Errorf(wire.CodeResourceInUse, "Attempt to change a resource which is still in use: Table already exists: %s", in.TableName)
		}
		return nil, resourceInUse(existing)
	}
	t := &table{
		name:    in.TableName,
		region:  c.region,
		arn:     c.tableARN(c.region, in.TableName),
		id:      c.newUUID(),
		created: c.now,
		tags:    map[string]string{},
	}
	if err := c.applyTableSpec(t, in); err != nil {
		return nil, err
	}
	t.setItems(map[string]wire.Item{})
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := c.startTableOperation(); err != nil {
		return nil, err
	}
	for _, tg := range in.Tags {
		t.tags[tg.Key] = tg.Value
	}
	// Tags given at creation are there from the start.
	t.tagVersions = []tagVersion{{from: c.now, tags: maps.Clone(t.tags)}}
	t.usageAt = c.now
	c.startTableTransition(rs, t, statusCreating, c.now.Add(c.durations.TableCreate))
	rs.addTable(t)
	c.log.Info("table created", "region", c.region, "table", t.name)
	return &wire.TableDescriptionOutput{TableDescription: c.describe(t)}, nil
}

// applyTableSpec validates a CreateTable request and fills in t.
func (c *Call) applyTableSpec(t *table, in *wire.CreateTableInput) error {
	if err := validateKeySchema(in.KeySchema, "keySchema"); err != nil {
		return err
	}
	t.keySchema = in.KeySchema
	t.attrDefs = in.AttributeDefinitions
	for _, d := range in.AttributeDefinitions {
		if d.AttributeType != "S" && d.AttributeType != "N" && d.AttributeType != "B" {
			return wire.Constraint(d.AttributeType, "attributeDefinitions.member.attributeType", "Member must satisfy enum value set: [B, N, S]")
		}
	}

	billing := in.BillingMode
	switch billing {
	case "":
		billing = billingProvisioned
	case billingProvisioned, billingPayPerRequest:
	default:
		return wire.Constraint(billing, "billingMode", "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
	}
	t.billingMode = billing
	if billing == billingPayPerRequest {
		if in.ProvisionedThroughput != nil {
			return wire.InvalidParam("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		t.payPerRequestSince = c.now
		t.everPayPerRequest = true
	} else {
		pt := in.ProvisionedThroughput
		if pt == nil {
			return wire.Validation("No provisioned throughput specified for the table")
		}
		if pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
			return wire.InvalidParam("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		if err := validateThroughput(pt); err != nil {
			return err
		}
		t.rcu, t.wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	}

	used := map[string]bool{}
	for _, k := range in.KeySchema {
		used[k.AttributeName] = true
	}
	names := map[string]bool{}
	for _, kind := range []struct {
		specs  []wire.SecondaryIndex
		global bool
		into   *[]*index
	}{{in.GlobalSecondaryIndexes, true, &t.gsis}, {in.LocalSecondaryIndexes, false, &t.lsis}} {
		for _, spec := range kind.specs {
			ix, err := t.newIndex(spec, kind.global, names)
			if err != nil {
				return err
			}
			*kind.into = append(*kind.into, ix)
			for _, k := range ix.keySchema {
				used[k.AttributeName] = true
			}
		}
	}
	if err := checkAttributeDefinitions(in.AttributeDefinitions, used); err != nil {
		return err
	}

	if s := in.StreamSpecification; s != nil {
		if err := validateStreamSpec(s, "created"); err != nil {
			return err
		}
		if s.StreamEnabled {
			t.stream = *s
			t.streamLabel = streamLabel(c.now)
		}
	}
	if in.SSESpecification != nil {
		sse, err := c.sseFromSpec(c.region, in.SSESpecification)
		if err != nil {
			return err
		}
		t.sse = sse
	}
	if in.TableClass != "" {
		if err := validateTableClass(in.TableClass); err != nil {
			return err
		}
		t.tableClass = in.TableClass
		t.tableClassUpdated = c.now
	}
	if in.DeletionProtectionEnabled != nil {
		t.deletionProtection = *in.DeletionProtectionEnabled
	}
	return nil
}

func validateKeySchema(ks []wire.KeySchemaElement, member string) error {
	switch {
	case len(ks) == 0:
		return wire.Constraint(nil, member, "Member must not be null")
	case len(ks) > 2:
		return wire.Constraint(fmt.Sprint(ks), member, "Member must have length less than or equal to 2")
	case ks[0].KeyType != "HASH":
		return wire.Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	case len(ks) == 2 && ks[1].KeyType != "RANGE":
		return wire.Validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	case len(ks) == 2 && ks[0].AttributeName == ks[1].AttributeName:
		return wire.Validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	}
	return nil
}

func checkAttributeDefinitions(defs []wire.AttributeDefinition, used map[string]bool) error {
	defined := map[string]bool{}
	var defNames, usedNames []string
	for _, d := range defs {
		if defined[d.AttributeName] {
			return wire.Validation("Cannot have two attributes with the same name")
		}
		defined[d.AttributeName] = true
		defNames = append(defNames, d.AttributeName)
	}
	for k := range used {
		usedNames = append(usedNames, k)
	}
	sort.Strings(usedNames)
	for _, k := range usedNames {
		if !defined[k] {
			return wire.InvalidParam("Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
				strings.Join(usedNames, ", "), strings.Join(defNames, ", "))
		}
	}
	if len(defNames) > len(usedNames) {
		return wire.InvalidParam("Some AttributeDefinitions are not used. AttributeDefinitions: [%s], keys used: [%s]",
			strings.Join(defNames, ", "), strings.Join(usedNames, ", "))
	}
	return nil
}

func (t *table) newIndex(in wire.SecondaryIndex, global bool, seen map[string]bool) (*index, error) {
	if err := validateName("indexName", in.IndexName); err != nil {
		return nil, err
	}
	if seen[in.IndexName] {
		return nil, wire.InvalidParam("Duplicate index name: %s", in.IndexName)
	}
	seen[in.IndexName] = true
	if err := validateKeySchema(in.KeySchema, "keySchema"); err != nil {
		return nil, err
	}
	switch in.Projection.ProjectionType {
	case "ALL", "KEYS_ONLY":
		if len(in.Projection.NonKeyAttributes) > 0 {
			return nil, wire.InvalidParam("ProjectionType is %s, but NonKeyAttributes is specified", in.Projection.ProjectionType)
		}
	case "INCLUDE":
		if len(in.Projection.NonKeyAttributes) == 0 {
			return nil, wire.InvalidParam("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
		}
	default:
		return nil, wire.InvalidParam("Unknown ProjectionType: %s", in.Projection.ProjectionType)
	}
	ix := &index{name: in.IndexName, keySchema: in.KeySchema, projection: in.Projection, global: global}
	if !global {
		if t.rangeKey() == "" {
			return nil, wire.InvalidParam("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		if in.KeySchema[0].AttributeName != t.hashKey() {
			return nil, wire.InvalidParam("Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s",
				in.IndexName, in.KeySchema[0].AttributeName, t.hashKey())
		}
		if len(in.KeySchema) < 2 {
			return nil, wire.InvalidParam("Index KeySchema does not have a range key for index: %s", in.IndexName)
		}
		return ix, nil
	}
	if t.billingMode == billingPayPerRequest {
		if in.ProvisionedThroughput != nil {
			return nil, wire.InvalidParam("ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", in.IndexName)
		}
		return ix, nil
	}
	pt := in.ProvisionedThroughput
	if pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
		return nil, wire.InvalidParam("ProvisionedThroughput is not specified for index: %s", in.IndexName)
	}
	if err := validateThroughput(pt); err != nil {
		return nil, err
	}
	ix.rcu, ix.wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	return ix, nil
}

func validateThroughput(pt *wire.ProvisionedThroughput) error {
	if pt.ReadCapacityUnits != nil && *pt.ReadCapacityUnits < 1 {
		return wire.Constraint(*pt.ReadCapacityUnits, "provisionedThroughput.readCapacityUnits", "Member must have value greater than or equal to 1")
	}
	if pt.WriteCapacityUnits != nil && *pt.WriteCapacityUnits < 1 {
		return wire.Constraint(*pt.WriteCapacityUnits, "provisionedThroughput.writeCapacityUnits", "Member must have value greater than or equal to 1")
	}
	return nil
}

func validateStreamSpec(s *wire.StreamSpecification, verb string) error {
	if s.StreamEnabled && s.StreamViewType == "" {
		return wire.InvalidParam("Table is being %s with a stream enabled, UpdateViewType is required", verb)
	}
	if !s.StreamEnabled && s.StreamViewType != "" {
		return wire.InvalidParam("Table is being %s with a stream disabled, UpdateViewType should not be specified", verb)
	}
	switch s.StreamViewType {
	case "", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY":
		return nil
	}
	return wire.Constraint(s.StreamViewType, "streamSpecification.streamViewType", "Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]")
}

func validateTableClass(c string) error {
	if c != "STANDARD" && c != "STANDARD_INFREQUENT_ACCESS" {
		return wire.Validation("Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].")
	}
	return nil
}

// sseFromSpec turns an SSESpecification into the table's encryption state.
// Enabled=false (or absent) means the default AWS owned key.
func (st *store) sseFromSpec(region string, s *wire.SSESpecification) (sseState, error) {
	enabled := s.Enabled != nil && *s.Enabled
	if !enabled {
		if s.SSEType != "" {
			return sseState{}, wire.InvalidParam("SSEType can not be specified if Enabled is false")
		}
		if s.KMSMasterKeyId != "" {
			return sseState{}, wire.InvalidParam("KMSMasterKeyId can not be specified if Enabled is false")
		}
		return sseState{}, nil
	}
	switch s.SSEType {
	case "", "KMS":
	case "AES256":
		return sseState{}, wire.InvalidParam("SSEType AES256 is not supported")
	default:
		return sseState{}, wire.Constraint(s.SSEType, "sSESpecification.sSEType", "Member must satisfy enum value set: [AES256, KMS]")
	}
	return sseState{enabled: true, sseType: "KMS", kmsKeyArn: st.kmsKeyARN(region, s.KMSMasterKeyId)}, nil
}

// ---- DescribeTable ----

// DescribeTable reports a table of the calling region.
func (c *Call) DescribeTable(in *wire.TableName) (*wire.DescribeTableOutput, error) {
	t, err := c.lookupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeTableOutput{Table: c.describe(t)}, nil
}

// describe renders a TableDescription, with the usage DynamoDB reports.
func (st *store) describe(t *table) wire.TableDescription {
	u := st.reportedUsage(t)
	d := wire.TableDescription{
		AttributeDefinitions: t.attrDefs,
		TableName:            t.name,
		KeySchema:            t.keySchema,
		TableStatus:          t.status,
		CreationDateTime:     wire.NewEpoch(t.created),
		ProvisionedThroughput: wire.ProvisionedThroughputDescription{
			ReadCapacityUnits:  t.rcu,
			WriteCapacityUnits: t.wcu,
		},
		TableArn:                  t.arn,
		TableId:                   t.id,
		DeletionProtectionEnabled: t.deletionProtection,
	}
	if t.status != statusDeleting {
		d.ItemCount, d.TableSizeBytes = u.items, u.bytes
	}
	if !t.lastIncrease.IsZero() {
		d.ProvisionedThroughput.LastIncreaseDateTime = wire.NewEpoch(t.lastIncrease)
	}
	if !t.lastDecrease.IsZero() {
		d.ProvisionedThroughput.LastDecreaseDateTime = wire.NewEpoch(t.lastDecrease)
	}
	switch {
	case t.billingMode == billingPayPerRequest:
		d.BillingModeSummary = &wire.BillingModeSummary{BillingMode: billingPayPerRequest, LastUpdateToPayPerRequestDateTime: wire.NewEpoch(t.payPerRequestSince)}
	case t.everPayPerRequest:
		d.BillingModeSummary = &wire.BillingModeSummary{BillingMode: billingProvisioned, LastUpdateToPayPerRequestDateTime: wire.NewEpoch(t.payPerRequestSince)}
	}
	indexStatus := statusActive
	if t.status == statusCreating || t.status == statusDeleting {
		indexStatus = t.status
	}
	for _, ix := range t.lsis {
		iu := u.indexes[ix.name]
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, wire.IndexDescription{
			IndexName: ix.name, KeySchema: ix.keySchema, Projection: ix.projection,
			IndexSizeBytes: iu.bytes, ItemCount: iu.items, IndexArn: t.arn + "/index/" + ix.name,
		})
	}
	for _, ix := range t.gsis {
		iu := u.indexes[ix.name]
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, wire.IndexDescription{
			IndexName: ix.name, KeySchema: ix.keySchema, Projection: ix.projection,
			IndexStatus: indexStatus,
			ProvisionedThroughput: &wire.ProvisionedThroughputDescription{
				ReadCapacityUnits: ix.rcu, WriteCapacityUnits: ix.wcu,
			},
			IndexSizeBytes: iu.bytes, ItemCount: iu.items, IndexArn: t.arn + "/index/" + ix.name,
		})
	}
	if t.stream.StreamEnabled {
		s := t.stream
		d.StreamSpecification = &s
	}
	if t.streamLabel != "" {
		d.LatestStreamLabel = t.streamLabel
		d.LatestStreamArn = t.arn + "/stream/" + t.streamLabel
	}
	if t.restore != nil {
		d.RestoreSummary = &wire.RestoreSummary{
			SourceBackupArn:   t.restore.backupArn,
			SourceTableArn:    t.restore.sourceTableArn,
			RestoreDateTime:   wire.NewEpoch(t.restore.at),
			RestoreInProgress: t.restore.inProgress,
		}
	}
	d.SSEDescription = t.sse.description()
	if t.tableClass != "" {
		d.TableClassSummary = &wire.TableClassSummary{TableClass: t.tableClass, LastUpdateDateTime: wire.NewEpoch(t.tableClassUpdated)}
	}
	return d
}

// ---- ListTables ----

// ListTables lists the calling region's table names in order, in pages of at most 100.
func (c *Call) ListTables(in *wire.ListTablesInput) (*wire.ListTablesOutput, error) {
	limit, err := pageLimit(in.Limit, maxListTables)
	if err != nil {
		return nil, err
	}
	if in.ExclusiveStartTableName != "" {
		if err := validateName("exclusiveStartTableName", in.ExclusiveStartTableName); err != nil {
			return nil, err
		}
	}
	all := c.inRegion(c.region).names
	from, found := slices.BinarySearch(all, in.ExclusiveStartTableName)
	if found {
		from++
	}
	names := slices.Clone(all[from:min(from+limit, len(all))])
	out := &wire.ListTablesOutput{TableNames: names}
	if len(all)-from > limit {
		out.LastEvaluatedTableName = names[limit-1]
	}
	if names == nil {
		out.TableNames = []string{}
	}
	return out, nil
}

// ---- UpdateTable ----

// UpdateTable changes billing, throughput, streams, SSE, table class, deletion protection or GSIs; the update completes by the next call.
func (c *Call) UpdateTable(in *wire.UpdateTableInput) (*wire.TableDescriptionOutput, error) {
	t, err := c.lookupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if in.BillingMode == "" && in.ProvisionedThroughput == nil && in.StreamSpecification == nil &&
		in.SSESpecification == nil && in.TableClass == "" && in.DeletionProtectionEnabled == nil &&
		len(in.GlobalSecondaryIndexUpdates) == 0 {
		return nil, wire.Validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required")
	}
	if t.status != statusActive {
		return nil, resourceInUse(t)
	}
	if in.SSESpecification != nil && (in.BillingMode != "" || in.ProvisionedThroughput != nil || in.StreamSpecification != nil ||
		in.TableClass != "" || in.DeletionProtectionEnabled != nil || len(in.GlobalSecondaryIndexUpdates) > 0) {
		return nil, wire.InvalidParam("Server-Side Encryption modification must be the only operation in the request")
	}

	// Validate everything before changing anything.
	billing := t.billingMode
	if in.BillingMode != "" {
		if in.BillingMode != billingProvisioned && in.BillingMode != billingPayPerRequest {
			return nil, wire.Constraint(in.BillingMode, "billingMode", "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
		}
		billing = in.BillingMode
	}
	if pt := in.ProvisionedThroughput; pt != nil {
		if billing == billingPayPerRequest {
			return nil, wire.InvalidParam("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		if pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
			return nil, wire.InvalidParam("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		if err := validateThroughput(pt); err != nil {
			return nil, err
		}
		if billing == t.billingMode && *pt.ReadCapacityUnits == t.rcu && *pt.WriteCapacityUnits == t.wcu {
			return nil, wire.Validation("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
				t.rcu, *pt.ReadCapacityUnits, t.wcu, *pt.WriteCapacityUnits)
		}
	} else if billing == billingProvisioned && t.billingMode == billingPayPerRequest {
		return nil, wire.InvalidParam("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
	}
	if s := in.StreamSpecification; s != nil {
		if s.StreamEnabled && t.stream.StreamEnabled {
			return nil, wire.Validation("Table already has an enabled stream: TableName: %s", t.name)
		}
		if !s.StreamEnabled && !t.stream.StreamEnabled {
			return nil, wire.Validation("Table has no stream to disable: TableName: %s", t.name)
		}
		if s.StreamEnabled && s.StreamViewType == "" {
			return nil, wire.InvalidParam("If stream is being enabled then UpdateViewType is required")
		}
		if !s.StreamEnabled && s.StreamViewType != "" {
			return nil, wire.InvalidParam("If stream is being disabled, then UpdateViewType must not be specified")
		}
	}
	if in.TableClass != "" {
		if err := validateTableClass(in.TableClass); err != nil {
			return nil, err
		}
	}
	var sse sseState
	if in.SSESpecification != nil {
		if sse, err = c.sseFromSpec(c.region, in.SSESpecification); err != nil {
			return nil, err
		}
	}

	if err := c.startTableOperation(); err != nil {
		return nil, err
	}
	changed := false
	if billing != t.billingMode {
		changed = true
		if billing == billingPayPerRequest {
			t.payPerRequestSince = c.now
			t.everPayPerRequest = true
			t.rcu, t.wcu = 0, 0
			for _, ix := range t.gsis {
				ix.rcu, ix.wcu = 0, 0
			}
		}
		t.billingMode = billing
	}
	if pt := in.ProvisionedThroughput; pt != nil {
		changed = true
		if *pt.ReadCapacityUnits > t.rcu || *pt.WriteCapacityUnits > t.wcu {
			t.lastIncrease = c.now
		}
		if *pt.ReadCapacityUnits < t.rcu || *pt.WriteCapacityUnits < t.wcu {
			t.lastDecrease = c.now
		}
		t.rcu, t.wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	}
	if s := in.StreamSpecification; s != nil {
		changed = true
		if s.StreamEnabled {
			t.stream = *s
			t.streamLabel = streamLabel(c.now)
		} else {
			t.stream = wire.StreamSpecification{}
		}
	}
	if in.TableClass != "" && in.TableClass != t.tableClass {
		changed = true
		t.tableClass = in.TableClass
		t.tableClassUpdated = c.now
	}
	if in.SSESpecification != nil {
		changed = true
		t.sse = sse
	}
	if in.DeletionProtectionEnabled != nil {
		t.deletionProtection = *in.DeletionProtectionEnabled
	}
	if len(in.GlobalSecondaryIndexUpdates) > 0 {
		err := updateGSIs(t, in)
		t.setItems(t.items) // count the items of the indexes as they are now
		if err != nil {
			return nil, err
		}
		changed = true
	}
	if changed {
		// DynamoDB: "While it is UPDATING, you cannot issue another
		// UpdateTable request"; with no TableUpdate time the update
		// completes by the next request.
		c.startTableTransition(c.inRegion(c.region), t, statusUpdating, c.now.Add(c.model.TableUpdate))
	}
	return &wire.TableDescriptionOutput{TableDescription: c.describe(t)}, nil
}

func updateGSIs(t *table, in *wire.UpdateTableInput) error {
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			if t.findIndex(u.Create.IndexName) != nil {
				return wire.Validation("Attempting to create an index which already exists")
			}
			for _, d := range in.AttributeDefinitions {
				if t.attrType(d.AttributeName) == "" {
					t.attrDefs = append(t.attrDefs, d)
				}
			}
			ix, err := t.newIndex(*u.Create, true, map[string]bool{})
			if err != nil {
				return err
			}
			for _, k := range ix.keySchema {
				if t.attrType(k.AttributeName) == "" {
					return wire.InvalidParam("AttributeDefinitions is not specified for index: %s", ix.name)
				}
			}
			t.gsis = append(t.gsis, ix)
		case u.Delete != nil:
			i := indexPosition(t.gsis, u.Delete.IndexName)
			if i < 0 {
				return wire.Errorf(wire.CodeResourceNotFound, "Requested resource not found: Index: %s not found", u.Delete.IndexName)
			}
			t.gsis = append(t.gsis[:i], t.gsis[i+1:]...)
		case u.Update != nil:
			i := indexPosition(t.gsis, u.Update.IndexName)
			if i < 0 {
				return wire.Errorf(wire.CodeResourceNotFound, "Requested resource not found: Index: %s not found", u.Update.IndexName)
			}
			if pt := u.Update.ProvisionedThroughput; pt != nil && pt.ReadCapacityUnits != nil && pt.WriteCapacityUnits != nil {
				t.gsis[i].rcu, t.gsis[i].wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
			}
		default:
			return wire.InvalidParam("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
		}
	}
	return nil
}

func indexPosition(ixs []*index, name string) int {
	for i, ix := range ixs {
		if ix.name == name {
			return i
		}
	}
	return -1
}

// ---- DeleteTable ----

// DeleteTable starts deleting a table (DELETING for Durations.TableDelete) and drops its items.
func (c *Call) DeleteTable(in *wire.TableName) (*wire.TableDescriptionOutput, error) {
	t, err := c.lookupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if t.status != statusActive {
		return nil, resourceInUse(t)
	}
	if t.deletionProtection {
		return nil, wire.Validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	for _, b := range c.inRegion(c.region).backupsOf[t.name] {
		if b.status == statusCreating && b.source.id == t.id {
			return nil, wire.Errorf(wire.CodeResourceInUse, "Attempt to change a resource which is still in use: Table is being backed up: %s", t.name)
		}
	}
	if err := c.startTableOperation(); err != nil {
		return nil, err
	}
	c.startTableTransition(c.inRegion(c.region), t, statusDeleting, c.now.Add(c.durations.TableDelete))
	desc := c.describe(t)
	u := c.reportedUsage(t)
	desc.ItemCount, desc.TableSizeBytes = u.items, u.bytes
	t.setItems(map[string]wire.Item{})
	c.log.Info("table deleting", "region", c.region, "table", t.name)
	return &wire.TableDescriptionOutput{TableDescription: desc}, nil
}
