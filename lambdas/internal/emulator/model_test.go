package emulator

import (
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// These tests pin the behaviours of DefaultModel, each of which AWS
// documents (see README.md, "What it models"), and that a test can relax
// one of them.

func TestTaggingATableThatIsNotActive(t *testing.T) {
	tag := func(e *env, arn *string) error {
		_, err := e.a.TagResource(ctx(t), &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		return err
	}
	untag := func(e *env, arn *string) error {
		_, err := e.a.UntagResource(ctx(t), &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"k"}})
		return err
	}
	list := func(e *env, arn *string) error {
		_, err := e.a.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: arn})
		return err
	}
	calls := map[string]func(*env, *string) error{"TagResource": tag, "UntagResource": untag, "ListTagsOfResource": list}

	strict := newEnv(t, Options{Durations: Durations{TableCreate: time.Hour}})
	creating := createTable(t, strict.a, "creating").TableArn
	kind := newEnv(t, Options{Durations: Durations{TableCreate: time.Hour}, Model: relaxed(func(m *Model) { m.TagsRequireActive = false })})
	kindCreating := createTable(t, kind.a, "creating").TableArn
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantErrorAs[*types.ResourceNotFoundException](t, call(strict, creating))
			if err := call(kind, kindCreating); err != nil {
				t.Errorf("relaxed model: %v", err)
			}
		})
	}

	strict.emu.AdvanceClock(time.Hour)
	for name, call := range calls {
		if err := call(strict, creating); err != nil {
			t.Errorf("%s once ACTIVE: %v", name, err)
		}
	}
}

func TestBackupsAreBeingEnabledAfterARestore(t *testing.T) {
	e := newEnv(t, Options{Durations: Durations{Restore: time.Minute}})
	createTable(t, e.a, "src")
	arn := createBackup(t, e.a, "src", "bk1").BackupArn
	if _, err := e.a.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{BackupArn: arn, TargetTableName: aws.String("copy")}); err != nil {
		t.Fatal(err)
	}
	e.emu.AdvanceClock(time.Minute)
	if d := describe(t, e.a, "copy"); d.TableStatus != types.TableStatusActive {
		t.Fatalf("restored table is %s, want ACTIVE", d.TableStatus)
	}
	backupsStatus := func() types.ContinuousBackupsStatus {
		t.Helper()
		out, err := e.a.DescribeContinuousBackups(ctx(t), &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("copy")})
		if err != nil {
			t.Fatal(err)
		}
		return out.ContinuousBackupsDescription.ContinuousBackupsStatus
	}
	enablePITR := func() error {
		_, err := e.a.UpdateContinuousBackups(ctx(t), &dynamodb.UpdateContinuousBackupsInput{
			TableName:                        aws.String("copy"),
			PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
		})
		return err
	}

	_, err := e.a.CreateBackup(ctx(t), &dynamodb.CreateBackupInput{TableName: aws.String("copy"), BackupName: aws.String("too-soon")})
	wantErrorAs[*types.ContinuousBackupsUnavailableException](t, err)
	wantErrorAs[*types.ContinuousBackupsUnavailableException](t, enablePITR())
	// As documented, DescribeContinuousBackups says ENABLED from creation:
	// it does not tell a client when the window ends.
	if got := backupsStatus(); got != types.ContinuousBackupsStatusEnabled {
		t.Errorf("ContinuousBackupsStatus while being enabled = %s, want ENABLED", got)
	}

	e.emu.AdvanceClock(e.emu.Model().BackupsEnabling)
	if got := backupsStatus(); got != types.ContinuousBackupsStatusEnabled {
		t.Errorf("ContinuousBackupsStatus once enabled = %s, want ENABLED", got)
	}
	createBackup(t, e.a, "copy", "in-time")
	if err := enablePITR(); err != nil {
		t.Error(err)
	}
}

func TestItemCountIsRefreshedEverySixHours(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "counted", func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("by-g"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
	})
	put := func(from, to int) {
		for i := from; i < to; i++ {
			putItems(t, e.a, "counted", []map[string]types.AttributeValue{{"pk": s(fmt.Sprint(i)), "sk": n(i), "g": s("x")}})
		}
	}
	reported := func() (items, bytes, indexItems int64) {
		t.Helper()
		d := describe(t, e.a, "counted")
		return aws.ToInt64(d.ItemCount), aws.ToInt64(d.TableSizeBytes), aws.ToInt64(d.GlobalSecondaryIndexes[0].ItemCount)
	}
	refresh := e.emu.Model().StatsRefresh
	if refresh != 6*time.Hour {
		t.Fatalf("StatsRefresh = %v, want 6h", refresh)
	}

	put(0, 3)
	if items, bytes, ix := reported(); items != 0 || bytes != 0 || ix != 0 {
		t.Errorf("new table reports %d items, %d bytes, %d index items; want 0 until the first refresh", items, bytes, ix)
	}
	e.emu.AdvanceClock(refresh)
	items, bytes, ix := reported()
	if items != 3 || bytes <= 0 || ix != 3 {
		t.Errorf("after a refresh: %d items, %d bytes, %d index items; want 3, > 0, 3", items, bytes, ix)
	}
	put(3, 5)
	e.emu.AdvanceClock(refresh - time.Second)
	if got, _, _ := reported(); got != 3 {
		t.Errorf("before the next refresh: %d items, want 3", got)
	}
	b := createBackup(t, e.a, "counted", "bk1")
	desc, err := e.a.DescribeBackup(ctx(t), &dynamodb.DescribeBackupInput{BackupArn: b.BackupArn})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt64(desc.BackupDescription.SourceTableDetails.ItemCount); got != 3 {
		t.Errorf("backup's SourceTableDetails.ItemCount = %d, want the reported 3", got)
	}
	e.emu.AdvanceClock(time.Second)
	if got, _, _ := reported(); got != 5 {
		t.Errorf("after the second refresh: %d items, want 5", got)
	}
}

func TestUpdateTableLeavesTheTableUpdating(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "slow")
	update := func(class types.TableClass) error {
		_, err := e.a.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("slow"), TableClass: class})
		return err
	}
	if err := update(types.TableClassStandardInfrequentAccess); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, e.a, "slow"); d.TableStatus != types.TableStatusUpdating {
		t.Errorf("status right after UpdateTable = %s, want UPDATING", d.TableStatus)
	}
	wantErrorAs[*types.ResourceInUseException](t, update(types.TableClassStandard))

	e.emu.AdvanceClock(e.emu.Model().TableUpdate)
	if d := describe(t, e.a, "slow"); d.TableStatus != types.TableStatusActive {
		t.Errorf("status after TableUpdate = %s, want ACTIVE", d.TableStatus)
	}
	if err := update(types.TableClassStandard); err != nil {
		t.Error(err)
	}
}

func TestConcurrentTableOperationsAreLimited(t *testing.T) {
	if got := DefaultModel().MaxTableOperations; got != 500 {
		t.Errorf("default MaxTableOperations = %d, want 500", got)
	}
	e := newEnv(t, Options{
		Durations: Durations{TableCreate: time.Hour, TableDelete: time.Hour},
		Model:     relaxed(func(m *Model) { m.MaxTableOperations = 2 }),
	})
	createTable(t, e.a, "one")
	createTable(t, e.a, "two")
	_, err := e.a.CreateTable(ctx(t), tableInput("three"))
	wantErrorAs[*types.LimitExceededException](t, err)
	// Per region.
	createTable(t, e.b, "elsewhere")

	e.emu.AdvanceClock(time.Hour)
	createTable(t, e.a, "three")
	if _, err := e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("two")})
	wantErrorAs[*types.LimitExceededException](t, err)
	_, err = e.a.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("two"), TableClass: types.TableClassStandardInfrequentAccess})
	wantErrorAs[*types.LimitExceededException](t, err)
}

func TestRequestRates(t *testing.T) {
	want := map[string]float64{
		"ListTagsOfResource": 10, "TagResource": 5, "UntagResource": 5, "ListBackups": 5,
		"DescribeBackup": 10, "DeleteBackup": 10, "RestoreTableFromBackup": 10, "CreateBackup": 50,
		"GetMetricData": 50,
	}
	if got := DefaultModel().Rates; !maps.Equal(got, want) {
		t.Errorf("default rates = %v, want %v", got, want)
	}

	e := newEnv(t, Options{})
	const rate, calls = 5, 20 // ListBackups
	list := func(c *dynamodb.Client) error {
		_, err := c.ListBackups(ctx(t), &dynamodb.ListBackupsInput{})
		return err
	}
	start := time.Now()
	ok := 0
	for range calls {
		err := list(e.a)
		if err == nil {
			ok++
			continue
		}
		wantErrorAs[*types.LimitExceededException](t, err)
	}
	// A second of calls, plus what the bucket refilled in the real time the
	// loop took (the emulator clock runs on real time).
	if limit := rate + int(time.Since(start).Seconds()*rate) + 1; ok < rate || ok > limit {
		t.Errorf("%d of %d calls in a burst succeeded, want %d to %d", ok, calls, rate, limit)
	}
	if got := e.emu.Stats().Throttled["ListBackups"]; got != int64(calls-ok) {
		t.Errorf("stats count %d throttled calls, want %d", got, calls-ok)
	}
	if err := list(e.b); err != nil {
		t.Errorf("another region has its own bucket: %v", err)
	}
	if _, err := e.a.ListTables(ctx(t), &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("an operation without a rate: %v", err)
	}

	e.emu.AdvanceClock(time.Second)
	for i := range rate {
		if err := list(e.a); err != nil {
			t.Fatalf("call %d a second later: %v", i, err)
		}
	}
}

func TestModelAdminAPI(t *testing.T) {
	e := newEnv(t, Options{})
	var got modelJSON
	admin(t, e.srv, http.MethodGet, "model", "", &got)
	if got.TagPropagation != 2000 || got.StatsRefresh != int64(6*time.Hour/time.Millisecond) || got.Rates["TagResource"] != 5 {
		t.Errorf("GET model = %+v", got)
	}
	admin(t, e.srv, http.MethodPost, "model", `{"tagPropagation":0,"rates":{"ListBackups":0}}`, &got)
	m := e.emu.Model()
	if m.TagPropagation != 0 || m.StatsRefresh != 6*time.Hour || !m.TagsRequireActive {
		t.Errorf("after POST, model = %+v; want only tagPropagation changed", m)
	}
	if _, ok := m.Rates["ListBackups"]; ok || m.Rates["TagResource"] != 5 {
		t.Errorf("after POST, rates = %v; want ListBackups unlimited, the others kept", m.Rates)
	}
	for range 20 {
		if _, err := e.a.ListBackups(ctx(t), &dynamodb.ListBackupsInput{}); err != nil {
			t.Fatalf("ListBackups without a rate: %v", err)
		}
	}
	admin(t, e.srv, http.MethodPost, "model/default", "", &got)
	if !maps.Equal(e.emu.Model().Rates, DefaultModel().Rates) || e.emu.Model().TagPropagation != DefaultModel().TagPropagation {
		t.Errorf("after POST model/default, model = %+v", e.emu.Model())
	}
}

// TestItemCountIsMeasuredAtTheRefreshInstant checks that a refresh measures
// a table as it was at the refresh instant, however long after it the table
// is next used and whatever that use changes, and that refreshes come every
// StatsRefresh from the table's creation, with the StatsRefresh of the
// moment.
func TestItemCountIsMeasuredAtTheRefreshInstant(t *testing.T) {
	e := newEnv(t, Options{})
	refresh := e.emu.Model().StatsRefresh
	reported := func(table string) int64 {
		t.Helper()
		return aws.ToInt64(describe(t, e.a, table).ItemCount)
	}
	put := func(table string, items ...map[string]types.AttributeValue) {
		t.Helper()
		putItems(t, e.a, table, items)
	}
	want := func(what string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: ItemCount %d, want %d", what, got, want)
		}
	}

	// Two refresh instants pass without a request; the next request writes.
	createTable(t, e.a, "written")
	put("written", map[string]types.AttributeValue{"pk": s("a"), "sk": n(1)})
	e.emu.AdvanceClock(2*refresh + time.Hour)
	put("written", map[string]types.AttributeValue{"pk": s("b"), "sk": n(2)})
	want("written after two refresh instants", reported("written"), 1)

	// TTL deletes items after a refresh instant, before any request.
	createTable(t, e.a, "expiring")
	spec := &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("expires")}
	if _, err := e.a.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("expiring"), TimeToLiveSpecification: spec}); err != nil {
		t.Fatal(err)
	}
	put("expiring",
		map[string]types.AttributeValue{"pk": s("a"), "sk": n(1), "expires": n(1)},
		map[string]types.AttributeValue{"pk": s("b"), "sk": n(2), "expires": n(1)})
	e.emu.AdvanceClock(refresh)
	if got := e.emu.ExpireTTL(); got != 2 {
		t.Fatalf("ExpireTTL deleted %d items, want 2", got)
	}
	want("expiring, expired after the refresh", reported("expiring"), 2)
	e.emu.AdvanceClock(refresh)
	want("expiring, at the next refresh", reported("expiring"), 0)

	// A shorter StatsRefresh: refreshes at its multiples from creation.
	createTable(t, e.a, "remodelled")
	put("remodelled", map[string]types.AttributeValue{"pk": s("a"), "sk": n(1)})
	e.emu.AdvanceClock(refresh + time.Hour) // refreshed at 6 h
	want("remodelled at 7 h", reported("remodelled"), 1)
	put("remodelled", map[string]types.AttributeValue{"pk": s("b"), "sk": n(2)})
	e.emu.SetModel(*relaxed(func(m *Model) { m.StatsRefresh = 4 * time.Hour }))
	want("remodelled at 7 h, every 4 h since 4 h", reported("remodelled"), 1)
	e.emu.AdvanceClock(time.Hour)
	want("remodelled at 8 h, every 4 h", reported("remodelled"), 2)
}
