package emulator

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var backupARNPattern = regexp.MustCompile(`^arn:aws:dynamodb:us-east-1:123456789012:table/src/backup/\d{14}-[0-9a-f]{8}$`)

func createBackup(t *testing.T, c *dynamodb.Client, table, name string) *types.BackupDetails {
	t.Helper()
	out, err := c.CreateBackup(ctx(t), &dynamodb.CreateBackupInput{TableName: aws.String(table), BackupName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateBackup %s: %v", name, err)
	}
	return out.BackupDetails
}

func TestBackupLifecycle(t *testing.T) {
	e := newEnv(t, Options{Durations: Durations{BackupCreate: time.Hour}, Model: relaxed(func(m *Model) { m.StatsRefresh = 0 })})
	createTable(t, e.a, "src")
	putItems(t, e.a, "src", []map[string]types.AttributeValue{
		{"pk": s("a"), "sk": n(1), "v": s("x")},
		{"pk": s("b"), "sk": n(2)},
	})

	details := createBackup(t, e.a, "src", "nightly")
	arn := aws.ToString(details.BackupArn)
	if !backupARNPattern.MatchString(arn) {
		t.Errorf("backup ARN %q does not have AWS's format", arn)
	}
	if details.BackupStatus != types.BackupStatusCreating || details.BackupType != types.BackupTypeUser {
		t.Errorf("details = %+v", details)
	}

	// While CREATING: the backup cannot be deleted, nor can its table.
	_, err := e.a.DeleteBackup(ctx(t), &dynamodb.DeleteBackupInput{BackupArn: aws.String(arn)})
	wantErrorAs[*types.BackupInUseException](t, err)
	_, err = e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("src")})
	wantErrorAs[*types.ResourceInUseException](t, err)

	e.emu.AdvanceClock(time.Hour)
	desc, err := e.a.DescribeBackup(ctx(t), &dynamodb.DescribeBackupInput{BackupArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	bd := desc.BackupDescription
	if bd.BackupDetails.BackupStatus != types.BackupStatusAvailable {
		t.Errorf("status after duration = %s", bd.BackupDetails.BackupStatus)
	}
	if aws.ToInt64(bd.SourceTableDetails.ItemCount) != 2 || aws.ToString(bd.SourceTableDetails.TableName) != "src" ||
		bd.SourceTableDetails.BillingMode != types.BillingModePayPerRequest || len(bd.SourceTableDetails.KeySchema) != 2 {
		t.Errorf("source details = %+v", bd.SourceTableDetails)
	}
	if aws.ToInt64(bd.BackupDetails.BackupSizeBytes) <= 0 {
		t.Errorf("backup size = %d", aws.ToInt64(bd.BackupDetails.BackupSizeBytes))
	}

	// Backups outlive their table and stay listed.
	if _, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("src")}); err != nil {
		t.Fatal(err)
	}
	list, err := e.a.ListBackups(ctx(t), &dynamodb.ListBackupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.BackupSummaries) != 1 || aws.ToString(list.BackupSummaries[0].BackupArn) != arn {
		t.Errorf("ListBackups after table deletion = %+v", list.BackupSummaries)
	}

	del, err := e.a.DeleteBackup(ctx(t), &dynamodb.DeleteBackupInput{BackupArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if del.BackupDescription.BackupDetails.BackupStatus != types.BackupStatusDeleted {
		t.Errorf("DeleteBackup status = %s, want DELETED", del.BackupDescription.BackupDetails.BackupStatus)
	}
	_, err = e.a.DescribeBackup(ctx(t), &dynamodb.DescribeBackupInput{BackupArn: aws.String(arn)})
	wantErrorAs[*types.BackupNotFoundException](t, err)
	_, err = e.a.DeleteBackup(ctx(t), &dynamodb.DeleteBackupInput{BackupArn: aws.String(arn)})
	wantErrorAs[*types.BackupNotFoundException](t, err)

	_, err = e.a.CreateBackup(ctx(t), &dynamodb.CreateBackupInput{TableName: aws.String("missing"), BackupName: aws.String("bk1")})
	wantErrorAs[*types.TableNotFoundException](t, err)
}

func TestListBackupsPagination(t *testing.T) {
	e := newEnv(t, Options{Model: relaxed(func(m *Model) { delete(m.Rates, "ListBackups") })})
	createTable(t, e.a, "one")
	createTable(t, e.a, "two")
	createTable(t, e.b, "elsewhere")
	createBackup(t, e.b, "elsewhere", "not-listed-in-a")

	const total = 260
	var want []string
	var midpoint time.Time
	for i := range total {
		table := "one"
		if i%2 == 1 {
			table = "two"
		}
		b := createBackup(t, e.a, table, fmt.Sprintf("b-%03d", i))
		want = append(want, aws.ToString(b.BackupArn))
		if i == total/2 {
			midpoint = aws.ToTime(b.BackupCreationDateTime)
		}
		e.emu.AdvanceClock(time.Second)
	}

	var got []string
	var start *string
	pages := 0
	for {
		out, err := e.a.ListBackups(ctx(t), &dynamodb.ListBackupsInput{ExclusiveStartBackupArn: start})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.BackupSummaries) > 100 {
			t.Fatalf("page of %d", len(out.BackupSummaries))
		}
		for _, b := range out.BackupSummaries {
			got = append(got, aws.ToString(b.BackupArn))
		}
		if out.LastEvaluatedBackupArn == nil {
			break
		}
		start = out.LastEvaluatedBackupArn
	}
	if pages != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d backups in %d pages; want %d in creation order in 3 pages", len(got), pages, len(want))
	}

	count := func(t *testing.T, in dynamodb.ListBackupsInput) int {
		t.Helper()
		n := 0
		for {
			out, err := e.a.ListBackups(ctx(t), &in)
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.BackupSummaries)
			if out.LastEvaluatedBackupArn == nil {
				return n
			}
			in.ExclusiveStartBackupArn = out.LastEvaluatedBackupArn
		}
	}
	tests := []struct {
		name string
		in   dynamodb.ListBackupsInput
		want int
	}{
		{"small limit", dynamodb.ListBackupsInput{Limit: aws.Int32(9)}, total},
		{"by table", dynamodb.ListBackupsInput{TableName: aws.String("two")}, total / 2},
		{"lower bound inclusive", dynamodb.ListBackupsInput{TimeRangeLowerBound: aws.Time(midpoint)}, total / 2},
		{"upper bound exclusive", dynamodb.ListBackupsInput{TimeRangeUpperBound: aws.Time(midpoint)}, total / 2},
		{"system only", dynamodb.ListBackupsInput{BackupType: types.BackupTypeFilterSystem}, 0},
		{"all types", dynamodb.ListBackupsInput{BackupType: types.BackupTypeFilterAll}, total},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := count(t, tc.in); got != tc.want {
				t.Errorf("got %d backups, want %d", got, tc.want)
			}
		})
	}

	_, err := e.a.ListBackups(ctx(t), &dynamodb.ListBackupsInput{Limit: aws.Int32(101)})
	wantAPIError(t, err, "ValidationException")
	out, err := e.b.ListBackups(ctx(t), &dynamodb.ListBackupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.BackupSummaries) != 1 {
		t.Errorf("regionB lists %d backups, want 1", len(out.BackupSummaries))
	}
}

// scanAll reads a whole table with the SDK paginator, sorted by key.
func scanAll(t *testing.T, c *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, out.Items...)
	}
	sort.Slice(items, func(i, j int) bool { return itemKey(items[i]) < itemKey(items[j]) })
	return items
}

func itemKey(it map[string]types.AttributeValue) string {
	return it["pk"].(*types.AttributeValueMemberS).Value + "/" + it["sk"].(*types.AttributeValueMemberN).Value
}

func TestCrossRegionRestore(t *testing.T) {
	e := newEnv(t, Options{Durations: Durations{Restore: time.Minute, PerMiB: time.Minute}, Model: relaxed(func(m *Model) { m.StatsRefresh = 0 })})
	createTable(t, e.a, "src", func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName: aws.String("by-g"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
		}}
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}
		in.TableClass = types.TableClassStandardInfrequentAccess
		in.DeletionProtectionEnabled = aws.Bool(true)
		in.Tags = []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	})
	var items []map[string]types.AttributeValue
	for i := range 40 {
		items = append(items, map[string]types.AttributeValue{
			"pk": s(fmt.Sprintf("p%02d", i%7)), "sk": n(i), "g": s(fmt.Sprintf("g%d", i%3)),
			"blob":  &types.AttributeValueMemberB{Value: []byte{0, byte(i), 255}},
			"set":   &types.AttributeValueMemberSS{Value: []string{"x", fmt.Sprint(i)}},
			"nums":  &types.AttributeValueMemberNS{Value: []string{"1.5", fmt.Sprint(i)}},
			"doc":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{n(i), &types.AttributeValueMemberBOOL{Value: true}, &types.AttributeValueMemberNULL{Value: true}}}}},
			"emoji": s("π ✓ 😀"),
		})
	}
	putItems(t, e.a, "src", items)
	if _, err := e.a.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("src"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("ttl")}}); err != nil {
		t.Fatal(err)
	}
	backupARN := createBackup(t, e.a, "src", "dr-backup").BackupArn
	e.emu.AdvanceClock(time.Minute) // PerMiB applies to the backup too
	// Later writes are not in the backup.
	putItems(t, e.a, "src", []map[string]types.AttributeValue{{"pk": s("late"), "sk": n(0)}})
	want := scanAll(t, e.a, "src")[:0]
	for _, it := range scanAll(t, e.a, "src") {
		if it["pk"].(*types.AttributeValueMemberS).Value != "late" {
			want = append(want, it)
		}
	}

	out, err := e.b.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{
		BackupArn:                backupARN,
		TargetTableName:          aws.String("src-restored"),
		SSESpecificationOverride: &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms, KMSMasterKeyId: aws.String("alias/dr-key")},
	})
	if err != nil {
		t.Fatal(err)
	}
	td := out.TableDescription
	if td.TableStatus != types.TableStatusCreating || !aws.ToBool(td.RestoreSummary.RestoreInProgress) {
		t.Errorf("restore response: status %s, summary %+v", td.TableStatus, td.RestoreSummary)
	}
	if got := aws.ToString(td.TableArn); got != "arn:aws:dynamodb:ap-southeast-2:123456789012:table/src-restored" {
		t.Errorf("restored ARN = %s", got)
	}
	// Not readable until ACTIVE.
	_, err = e.b.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("src-restored")})
	wantErrorAs[*types.ResourceNotFoundException](t, err)

	e.emu.AdvanceClock(2 * time.Minute)
	d := describe(t, e.b, "src-restored")
	checks := []struct {
		name      string
		got, want any
	}{
		{"status", d.TableStatus, types.TableStatusActive},
		{"restore done", aws.ToBool(d.RestoreSummary.RestoreInProgress), false},
		{"source backup", aws.ToString(d.RestoreSummary.SourceBackupArn), aws.ToString(backupARN)},
		{"source table", aws.ToString(d.RestoreSummary.SourceTableArn), "arn:aws:dynamodb:us-east-1:123456789012:table/src"},
		{"item count", aws.ToInt64(d.ItemCount), int64(len(want))},
		{"size", aws.ToInt64(d.TableSizeBytes) > 0, true},
		{"gsi", aws.ToString(d.GlobalSecondaryIndexes[0].IndexArn), "arn:aws:dynamodb:ap-southeast-2:123456789012:table/src-restored/index/by-g"},
		{"sse override", aws.ToString(d.SSEDescription.KMSMasterKeyArn), "arn:aws:kms:ap-southeast-2:123456789012:alias/dr-key"},
		{"table class not restored", d.TableClassSummary == nil, true},
		{"no stream", d.StreamSpecification == nil && d.LatestStreamArn == nil, true},
		{"no deletion protection", aws.ToBool(d.DeletionProtectionEnabled), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	ttl, err := e.b.DescribeTimeToLive(ctx(t), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("src-restored")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Errorf("TTL carried over: %+v %v", ttl, err)
	}
	tags, err := e.b.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: d.TableArn})
	if err != nil || len(tags.Tags) != 0 {
		t.Errorf("tags carried over: %+v %v", tags, err)
	}

	got := scanAll(t, e.b, "src-restored")
	if len(got) != len(want) {
		t.Fatalf("restored %d items, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("restored item %d differs:\n got %#v\nwant %#v", i, got[i], want[i])
		}
	}
	// The GSI is queryable on the restored table.
	q, err := e.b.Query(ctx(t), &dynamodb.QueryInput{
		TableName: aws.String("src-restored"), IndexName: aws.String("by-g"),
		KeyConditionExpression:    aws.String("g = :g"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("g1")},
	})
	if err != nil || q.Count != 13 {
		t.Errorf("GSI query on restored table: count %v, err %v", q, err)
	}
}

func TestRestoreRules(t *testing.T) {
	e := newEnv(t, Options{Durations: Durations{Restore: time.Hour}, MaxConcurrentRestores: 2})
	createTable(t, e.a, "src")
	createTable(t, e.b, "taken")
	arn := createBackup(t, e.a, "src", "bk1").BackupArn

	restore := func(c *dynamodb.Client, target string, mutate ...func(*dynamodb.RestoreTableFromBackupInput)) error {
		in := &dynamodb.RestoreTableFromBackupInput{BackupArn: arn, TargetTableName: aws.String(target)}
		for _, m := range mutate {
			m(in)
		}
		_, err := c.RestoreTableFromBackup(ctx(t), in)
		return err
	}
	withSSE := func(in *dynamodb.RestoreTableFromBackupInput) {
		in.SSESpecificationOverride = &types.SSESpecification{Enabled: aws.Bool(false)}
	}

	// Cross-region restores need an SSE override; same-region ones do not.
	err := restore(e.b, "no-sse")
	wantAPIError(t, err, "ValidationException")
	if !strings.Contains(err.Error(), "sseSpecificationOverride must be provided for cross-region restores") {
		t.Errorf("message: %v", err)
	}
	wantErrorAs[*types.TableAlreadyExistsException](t, restore(e.b, "taken", withSSE))
	wantErrorAs[*types.TableAlreadyExistsException](t, restore(e.a, "src"))

	tests := []struct {
		name   string
		mutate func(*dynamodb.RestoreTableFromBackupInput)
	}{
		{"throughput with on-demand override", func(in *dynamodb.RestoreTableFromBackupInput) {
			in.BillingModeOverride = types.BillingModePayPerRequest
			in.ProvisionedThroughputOverride = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
		}},
		{"provisioned override without throughput", func(in *dynamodb.RestoreTableFromBackupInput) {
			in.BillingModeOverride = types.BillingModeProvisioned
		}},
		{"unknown index override", func(in *dynamodb.RestoreTableFromBackupInput) {
			in.GlobalSecondaryIndexOverride = []types.GlobalSecondaryIndex{{
				IndexName: aws.String("new-index"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
				KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			}}
		}},
		{"bad target name", func(in *dynamodb.RestoreTableFromBackupInput) { in.TargetTableName = aws.String("x") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, restore(e.a, "override-target", tc.mutate), "ValidationException") })
	}

	_, err = e.a.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{
		BackupArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/src/backup/01700000000000-deadbeef"), TargetTableName: aws.String("nope"),
	})
	wantErrorAs[*types.BackupNotFoundException](t, err)

	// The quota is account-wide: one restore per region fills a quota of 2.
	if err := restore(e.a, "rst1", func(in *dynamodb.RestoreTableFromBackupInput) {
		in.BillingModeOverride = types.BillingModeProvisioned
		in.ProvisionedThroughputOverride = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(2), WriteCapacityUnits: aws.Int64(3)}
	}); err != nil {
		t.Fatal(err)
	}
	if err := restore(e.b, "rst2", withSSE); err != nil {
		t.Fatal(err)
	}
	wantErrorAs[*types.LimitExceededException](t, restore(e.a, "rst3"))
	e.emu.AdvanceClock(time.Hour)
	if err := restore(e.a, "rst3"); err != nil {
		t.Fatalf("restore after others finished: %v", err)
	}
	if d := describe(t, e.a, "rst1"); d.BillingModeSummary != nil || aws.ToInt64(d.ProvisionedThroughput.WriteCapacityUnits) != 3 {
		t.Errorf("billing override not applied: %+v %+v", d.BillingModeSummary, d.ProvisionedThroughput)
	}

	// A backup still CREATING cannot be restored.
	e.emu.SetDurations(Durations{BackupCreate: time.Hour})
	pending := createBackup(t, e.a, "src", "pending").BackupArn
	_, err = e.a.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{BackupArn: pending, TargetTableName: aws.String("from-pending")})
	wantErrorAs[*types.BackupInUseException](t, err)
}

// TestListsFollowCreationsAndDeletions checks that ListTables and
// ListBackups (of the region and of one table) show new, restored and
// re-created tables and new backups, and stop showing deleted ones; the
// backups of a deleted table stay listed under its name, with those of a
// new table of that name.
func TestListsFollowCreationsAndDeletions(t *testing.T) {
	e := newEnv(t, Options{Model: relaxed(func(m *Model) { m.Rates = nil; m.BackupsEnabling = 0 })})
	tables := func() string {
		t.Helper()
		out, err := e.a.ListTables(ctx(t), &dynamodb.ListTablesInput{})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(out.TableNames, ",")
	}
	backups := func(table string) string {
		t.Helper()
		in := &dynamodb.ListBackupsInput{}
		if table != "" {
			in.TableName = aws.String(table)
		}
		out, err := e.a.ListBackups(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range out.BackupSummaries {
			names = append(names, aws.ToString(b.TableName)+"/"+aws.ToString(b.BackupName))
		}
		return strings.Join(names, ",")
	}
	want := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	backup := func(table, name string) *string {
		t.Helper()
		e.emu.AdvanceClock(time.Second) // one backup per second: a known order
		return createBackup(t, e.a, table, name).BackupArn
	}
	deleteBackup := func(arn *string) {
		t.Helper()
		if _, err := e.a.DeleteBackup(ctx(t), &dynamodb.DeleteBackupInput{BackupArn: arn}); err != nil {
			t.Fatal(err)
		}
	}

	createTable(t, e.a, "keep")
	createTable(t, e.a, "gone")
	first := backup("gone", "first")
	other := backup("keep", "other")
	if _, err := e.a.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{BackupArn: first, TargetTableName: aws.String("restored")}); err != nil {
		t.Fatal(err)
	}
	want("tables", tables(), "gone,keep,restored")
	if _, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	want("tables after a deletion", tables(), "keep,restored")

	createTable(t, e.a, "gone")
	second := backup("gone", "second")
	want("tables after a re-creation", tables(), "gone,keep,restored")
	want("backups of gone", backups("gone"), "gone/first,gone/second")
	want("backups", backups(""), "gone/first,keep/other,gone/second")

	deleteBackup(first)
	want("backups of gone after a deletion", backups("gone"), "gone/second")
	want("backups after a deletion", backups(""), "keep/other,gone/second")
	deleteBackup(second)
	deleteBackup(other)
	want("backups of gone, all deleted", backups("gone"), "")
	want("backups, all deleted", backups(""), "")
}
