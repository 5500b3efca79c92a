package emulator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestCreateAndDescribeTable(t *testing.T) {
	e := newEnv(t, Options{})
	created := createTable(t, e.a, "orders", func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("gpk"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String("lsk"), AttributeType: types.ScalarAttributeTypeB})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("by-gpk"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("gpk"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{
			IndexName: aws.String("by-lsk"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("lsk"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}}
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
		in.SSESpecification = &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms}
		in.TableClass = types.TableClassStandardInfrequentAccess
		in.DeletionProtectionEnabled = aws.Bool(true)
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("storage")}}
	})
	if created.TableStatus != types.TableStatusCreating {
		t.Errorf("CreateTable status = %s, want CREATING", created.TableStatus)
	}

	d := describe(t, e.a, "orders")
	wantARN := "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	checks := []struct {
		name      string
		got, want any
	}{
		{"status", d.TableStatus, types.TableStatusActive},
		{"arn", aws.ToString(d.TableArn), wantARN},
		{"id set", aws.ToString(d.TableId) != "", true},
		{"billing", d.BillingModeSummary.BillingMode, types.BillingModePayPerRequest},
		{"rcu", aws.ToInt64(d.ProvisionedThroughput.ReadCapacityUnits), int64(0)},
		{"gsi arn", aws.ToString(d.GlobalSecondaryIndexes[0].IndexArn), wantARN + "/index/by-gpk"},
		{"gsi status", d.GlobalSecondaryIndexes[0].IndexStatus, types.IndexStatusActive},
		{"lsi arn", aws.ToString(d.LocalSecondaryIndexes[0].IndexArn), wantARN + "/index/by-lsk"},
		{"stream", d.StreamSpecification.StreamViewType, types.StreamViewTypeNewAndOldImages},
		{"stream arn", strings.HasPrefix(aws.ToString(d.LatestStreamArn), wantARN+"/stream/"), true},
		{"stream label", strings.HasSuffix(aws.ToString(d.LatestStreamArn), aws.ToString(d.LatestStreamLabel)), true},
		{"sse", d.SSEDescription.SSEType, types.SSETypeKms},
		{"sse key", strings.HasPrefix(aws.ToString(d.SSEDescription.KMSMasterKeyArn), "arn:aws:kms:us-east-1:123456789012:key/"), true},
		{"class", d.TableClassSummary.TableClass, types.TableClassStandardInfrequentAccess},
		{"deletion protection", aws.ToBool(d.DeletionProtectionEnabled), true},
		{"created recently", time.Since(aws.ToTime(d.CreationDateTime)) < time.Minute, true},
		{"no restore summary", d.RestoreSummary == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}

	// The same name in another region is a different table.
	createTable(t, e.b, "orders")
	if arn := aws.ToString(describe(t, e.b, "orders").TableArn); arn != "arn:aws:dynamodb:ap-southeast-2:123456789012:table/orders" {
		t.Errorf("regionB arn = %s", arn)
	}

	// A provisioned table reports its throughput and no billing summary.
	createTable(t, e.a, "provisioned", func(in *dynamodb.CreateTableInput) {
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)}
	})
	p := describe(t, e.a, "provisioned")
	if aws.ToInt64(p.ProvisionedThroughput.WriteCapacityUnits) != 7 || p.BillingModeSummary != nil {
		t.Errorf("provisioned: throughput %+v, billing %+v", p.ProvisionedThroughput, p.BillingModeSummary)
	}
}

func TestCreateTableErrors(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "exists")
	tests := []struct {
		name   string
		mutate func(*dynamodb.CreateTableInput)
		code   string
	}{
		{"duplicate", func(in *dynamodb.CreateTableInput) { in.TableName = aws.String("exists") }, "ResourceInUseException"},
		{"too short", func(in *dynamodb.CreateTableInput) { in.TableName = aws.String("ab") }, "ValidationException"},
		{"bad chars", func(in *dynamodb.CreateTableInput) { in.TableName = aws.String("a b c") }, "ValidationException"},
		{"too long", func(in *dynamodb.CreateTableInput) { in.TableName = aws.String(strings.Repeat("x", 256)) }, "ValidationException"},
		{"undefined key attribute", func(in *dynamodb.CreateTableInput) { in.AttributeDefinitions = in.AttributeDefinitions[:1] }, "ValidationException"},
		{"provisioned without throughput", func(in *dynamodb.CreateTableInput) { in.BillingMode = types.BillingModeProvisioned }, "ValidationException"},
		{"on-demand with throughput", func(in *dynamodb.CreateTableInput) {
			in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
		}, "ValidationException"},
		{"bad table class", func(in *dynamodb.CreateTableInput) { in.TableClass = "GLACIER" }, "ValidationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tableInput("fresh-table")
			tc.mutate(in)
			_, err := e.a.CreateTable(ctx(t), in)
			wantAPIError(t, err, tc.code)
		})
	}
	_, err := e.a.CreateTable(ctx(t), &dynamodb.CreateTableInput{
		TableName:            aws.String("exists"),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	wantErrorAs[*types.ResourceInUseException](t, err)
}

func TestDescribeMissingTable(t *testing.T) {
	e := newEnv(t, Options{})
	_, err := e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
	rnf := wantErrorAs[*types.ResourceNotFoundException](t, err)
	if !strings.Contains(rnf.ErrorMessage(), "Table: missing not found") {
		t.Errorf("message = %q", rnf.ErrorMessage())
	}
}

func TestListTablesPagination(t *testing.T) {
	e := newEnv(t, Options{})
	const total = 260
	for i := range total {
		createTable(t, e.a, fmt.Sprintf("table-%03d", i))
	}
	createTable(t, e.b, "other-region")

	// Manual paging with the default page size (100).
	var names []string
	var start *string
	pages := 0
	for {
		out, err := e.a.ListTables(ctx(t), &dynamodb.ListTablesInput{ExclusiveStartTableName: start})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.TableNames) > 100 {
			t.Fatalf("page of %d names", len(out.TableNames))
		}
		pages++
		names = append(names, out.TableNames...)
		if out.LastEvaluatedTableName == nil {
			break
		}
		start = out.LastEvaluatedTableName
	}
	if len(names) != total || pages != 3 {
		t.Fatalf("got %d names in %d pages, want %d in 3", len(names), pages, total)
	}
	for i, name := range names {
		if want := fmt.Sprintf("table-%03d", i); name != want {
			t.Fatalf("names[%d] = %s, want %s (sorted)", i, name, want)
		}
	}

	// The SDK paginator with a small Limit.
	p := dynamodb.NewListTablesPaginator(e.a, &dynamodb.ListTablesInput{Limit: aws.Int32(7)})
	count := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		count += len(out.TableNames)
	}
	if count != total {
		t.Errorf("paginator saw %d tables, want %d", count, total)
	}

	_, err := e.a.ListTables(ctx(t), &dynamodb.ListTablesInput{Limit: aws.Int32(101)})
	wantAPIError(t, err, "ValidationException")
}

func TestUpdateTable(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "updates")
	tests := []struct {
		name  string
		in    dynamodb.UpdateTableInput
		check func(*types.TableDescription) bool
		code  string
	}{
		{"to provisioned", dynamodb.UpdateTableInput{
			BillingMode:           types.BillingModeProvisioned,
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(4)},
		}, func(d *types.TableDescription) bool {
			return d.BillingModeSummary.BillingMode == types.BillingModeProvisioned && aws.ToInt64(d.ProvisionedThroughput.ReadCapacityUnits) == 3
		}, ""},
		{"same throughput", dynamodb.UpdateTableInput{
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(4)},
		}, nil, "ValidationException"},
		{"back to on-demand", dynamodb.UpdateTableInput{BillingMode: types.BillingModePayPerRequest},
			func(d *types.TableDescription) bool {
				return d.BillingModeSummary.BillingMode == types.BillingModePayPerRequest
			}, ""},
		{"enable stream", dynamodb.UpdateTableInput{StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}},
			func(d *types.TableDescription) bool { return d.StreamSpecification != nil && d.LatestStreamArn != nil }, ""},
		{"enable stream twice", dynamodb.UpdateTableInput{StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}},
			nil, "ValidationException"},
		{"disable stream", dynamodb.UpdateTableInput{StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}},
			func(d *types.TableDescription) bool { return d.StreamSpecification == nil && d.LatestStreamArn != nil }, ""},
		{"deletion protection", dynamodb.UpdateTableInput{DeletionProtectionEnabled: aws.Bool(true)},
			func(d *types.TableDescription) bool { return aws.ToBool(d.DeletionProtectionEnabled) }, ""},
		{"table class", dynamodb.UpdateTableInput{TableClass: types.TableClassStandardInfrequentAccess},
			func(d *types.TableDescription) bool {
				return d.TableClassSummary.TableClass == types.TableClassStandardInfrequentAccess
			}, ""},
		{"nothing to do", dynamodb.UpdateTableInput{}, nil, "ValidationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TableName = aws.String("updates")
			out, err := e.a.UpdateTable(ctx(t), &in)
			if tc.code != "" {
				wantAPIError(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.TableDescription.TableStatus != types.TableStatusUpdating && tc.in.DeletionProtectionEnabled == nil {
				t.Errorf("status = %s, want UPDATING", out.TableDescription.TableStatus)
			}
			e.emu.AdvanceClock(e.emu.Model().TableUpdate)
			d := describe(t, e.a, "updates")
			if d.TableStatus != types.TableStatusActive || !tc.check(d) {
				t.Errorf("unexpected description after update: %+v", d)
			}
		})
	}
	_, err := e.a.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("missing"), DeletionProtectionEnabled: aws.Bool(true)})
	wantErrorAs[*types.ResourceNotFoundException](t, err)
}

func TestDeleteTable(t *testing.T) {
	e := newEnv(t, Options{Durations: Durations{TableCreate: time.Hour, TableDelete: time.Hour}})
	createTable(t, e.a, "slow")

	// Deleting a table that is still CREATING is refused.
	_, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("slow")})
	wantErrorAs[*types.ResourceInUseException](t, err)

	e.emu.AdvanceClock(time.Hour)
	out, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("slow")})
	if err != nil {
		t.Fatal(err)
	}
	if out.TableDescription.TableStatus != types.TableStatusDeleting {
		t.Errorf("status = %s, want DELETING", out.TableDescription.TableStatus)
	}
	if d := describe(t, e.a, "slow"); d.TableStatus != types.TableStatusDeleting {
		t.Errorf("describe status = %s, want DELETING", d.TableStatus)
	}
	// Items are gone as soon as deletion starts.
	_, err = e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("slow"), Item: map[string]types.AttributeValue{"pk": s("a"), "sk": n(1)}})
	wantErrorAs[*types.ResourceNotFoundException](t, err)
	// A second delete and a re-create are refused while DELETING.
	_, err = e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("slow")})
	wantErrorAs[*types.ResourceInUseException](t, err)

	e.emu.AdvanceClock(time.Hour)
	_, err = e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("slow")})
	wantErrorAs[*types.ResourceNotFoundException](t, err)
	_, err = e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("slow")})
	wantErrorAs[*types.ResourceNotFoundException](t, err)
}

func TestDeletionProtection(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "protected", func(in *dynamodb.CreateTableInput) { in.DeletionProtectionEnabled = aws.Bool(true) })
	_, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("protected")})
	wantAPIError(t, err, "ValidationException")
	if !strings.Contains(err.Error(), "currently protected against deletion") {
		t.Errorf("message: %v", err)
	}
	if _, err := e.a.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("protected"), DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("protected")}); err != nil {
		t.Fatalf("delete after disabling protection: %v", err)
	}
}

func TestNameValidation(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "valid_name-1.0")
	bad := []string{"ab", "has space", "slash/name", "ünïcode", strings.Repeat("a", 256)}
	for _, name := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			wantAPIError(t, err, "ValidationException")
			_, err = e.a.CreateBackup(ctx(t), &dynamodb.CreateBackupInput{TableName: aws.String("valid_name-1.0"), BackupName: aws.String(name)})
			wantAPIError(t, err, "ValidationException")
			if !strings.Contains(err.Error(), "backupName") {
				t.Errorf("message should name the member: %v", err)
			}
		})
	}
}

func TestWaiters(t *testing.T) {
	e := newEnv(t, Options{Durations: Durations{TableCreate: 200 * time.Millisecond, TableDelete: 200 * time.Millisecond}})
	createTable(t, e.a, "waited")
	if d := describe(t, e.a, "waited"); d.TableStatus != types.TableStatusCreating {
		t.Fatalf("status right after create = %s, want CREATING", d.TableStatus)
	}
	start := time.Now()
	exists := dynamodb.NewTableExistsWaiter(e.a, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	})
	if err := exists.Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("waited")}, 5*time.Second); err != nil {
		t.Fatalf("TableExistsWaiter: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("table became ACTIVE after %v, want about 200ms", elapsed)
	}

	if _, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("waited")}); err != nil {
		t.Fatal(err)
	}
	notExists := dynamodb.NewTableNotExistsWaiter(e.a, func(o *dynamodb.TableNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	})
	if err := notExists.Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("waited")}, 5*time.Second); err != nil {
		t.Fatalf("TableNotExistsWaiter: %v", err)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t, Options{})
	d := createTable(t, e.a, "tagged", func(in *dynamodb.CreateTableInput) {
		in.Tags = []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}}
	})
	arn := d.TableArn
	if _, err := e.a.TagResource(ctx(t), &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("c"), Value: aws.String("3")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.UntagResource(ctx(t), &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"c"}}); err != nil {
		t.Fatal(err)
	}
	// Tag changes are eventually consistent: the tags given at creation
	// until the changes propagate, then the changes.
	if got := listTags(t, e.a, arn); got != "b=2" {
		t.Errorf("tags before propagation = %s, want b=2", got)
	}
	e.emu.AdvanceClock(e.emu.Model().TagPropagation)
	if got := listTags(t, e.a, arn); got != "a=1,b=2" {
		t.Errorf("tags after propagation = %s, want a=1,b=2", got)
	}

	missing := aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/missing")
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"tag missing table", func() error {
			_, err := e.a.TagResource(ctx(t), &dynamodb.TagResourceInput{ResourceArn: missing, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "ResourceNotFoundException"},
		{"list missing table", func() error {
			_, err := e.a.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: missing})
			return err
		}, "ResourceNotFoundException"},
		{"aws: prefix", func() error {
			_, err := e.a.TagResource(ctx(t), &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
			return err
		}, "ValidationException"},
		{"not an arn", func() error {
			_, err := e.a.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String("tagged")})
			return err
		}, "ValidationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), tc.code) })
	}
}

func TestTimeToLiveAndContinuousBackups(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "ttl")
	ttl, err := e.a.DescribeTimeToLive(ctx(t), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("ttl")})
	if err != nil {
		t.Fatal(err)
	}
	if ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Errorf("initial TTL status %s", ttl.TimeToLiveDescription.TimeToLiveStatus)
	}
	spec := &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("expires")}
	if _, err := e.a.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttl"), TimeToLiveSpecification: spec}); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttl"), TimeToLiveSpecification: spec})
	wantAPIError(t, err, "ValidationException")
	ttl, err = e.a.DescribeTimeToLive(ctx(t), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("ttl")})
	if err != nil {
		t.Fatal(err)
	}
	if ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "expires" {
		t.Errorf("TTL = %+v", ttl.TimeToLiveDescription)
	}
	_, err = e.a.DescribeTimeToLive(ctx(t), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("missing")})
	wantErrorAs[*types.ResourceNotFoundException](t, err)

	cb, err := e.a.DescribeContinuousBackups(ctx(t), &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("ttl")})
	if err != nil {
		t.Fatal(err)
	}
	if cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusDisabled {
		t.Errorf("initial PITR %+v", cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription)
	}
	up, err := e.a.UpdateContinuousBackups(ctx(t), &dynamodb.UpdateContinuousBackupsInput{
		TableName: aws.String("ttl"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(7),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	pitr := up.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if pitr.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled || aws.ToInt32(pitr.RecoveryPeriodInDays) != 7 || pitr.EarliestRestorableDateTime == nil {
		t.Errorf("PITR after enable: %+v", pitr)
	}
	_, err = e.a.UpdateContinuousBackups(ctx(t), &dynamodb.UpdateContinuousBackupsInput{
		TableName:                        aws.String("ttl"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(36)},
	})
	wantAPIError(t, err, "ValidationException")
	_, err = e.a.DescribeContinuousBackups(ctx(t), &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("missing")})
	wantErrorAs[*types.TableNotFoundException](t, err)
}
