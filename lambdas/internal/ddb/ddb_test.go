package ddb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/demo"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator"
)

const (
	src = "ap-southeast-2"
	dst = "ap-southeast-1"
)

// start serves an emulator and returns the adapter's regions, talking to it
// over HTTP through the real SDK, as the handlers do with
// AWS_ENDPOINT_URL_DYNAMODB set.
func start(t *testing.T) (*emulator.Emulator, *ddb.Regions, aws.Config) {
	t.Helper()
	srv, err := emulator.Start("127.0.0.1:0", emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := aws.Config{
		Region:       src,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		HTTPClient:   emulator.NewHTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts, o.MaxBackoff = 2, time.Millisecond })
		},
	}
	return srv.Emulator, ddb.NewRegions(cfg), cfg
}

// createTable makes an on-demand table keyed by pk (S), changed by mutate.
func createTable(t *testing.T, cfg aws.Config, region, name string, mutate ...func(*dynamodb.CreateTableInput)) {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	}
	for _, m := range mutate {
		m(in)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Region = region })
	if _, err := db.CreateTable(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func TestListTableNamesReadsEveryPage(t *testing.T) {
	_, regions, cfg := start(t)
	var want []string
	for i := range 260 {
		name := fmt.Sprintf("table-%03d", i)
		createTable(t, cfg, src, name)
		want = append(want, name)
	}
	createTable(t, cfg, dst, "elsewhere")
	got, err := regions.For(src).ListTableNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %d tables (first %q), want all %d of the region", len(got), got[:min(3, len(got))], len(want))
	}
}

func TestListBackupsReadsEveryPage(t *testing.T) {
	emu, regions, cfg := start(t)
	// This test is about pages, not rates: its 260 backups and its pages are
	// made at once, past CreateBackup's and ListBackups' request rates.
	m := emu.Model()
	m.Rates = nil
	emu.SetModel(m)
	ctx := context.Background()
	createTable(t, cfg, src, "orders")
	createTable(t, cfg, src, "users")
	db := regions.For(src)
	for i := range 260 {
		if _, err := db.CreateBackup(ctx, "orders", fmt.Sprintf("b-%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateBackup(ctx, "users", "other-table"); err != nil {
		t.Fatal(err)
	}
	backups, err := db.ListBackups(ctx, "orders", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != 260 {
		t.Fatalf("listed %d backups of orders, want 260", len(backups))
	}
	all, err := db.ListBackups(ctx, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 261 || !slices.ContainsFunc(all, func(b core.BackupInfo) bool { return b.Table == "users" }) {
		t.Errorf("listed %d backups of every table, want 261 including users'", len(all))
	}
}

// TestErrorsBecomeContractErrors checks that what DynamoDB answers arrives
// as the contract error the state machine branches on.
func TestErrorsBecomeContractErrors(t *testing.T) {
	emu, regions, cfg := start(t)
	ctx := context.Background()
	createTable(t, cfg, src, "orders")
	db := regions.For(src)
	b, err := db.CreateBackup(ctx, "orders", "backup-1")
	if err != nil {
		t.Fatal(err)
	}
	temp := core.TempTableName(src, "orders")
	tests := []struct {
		name  string
		fault *emulator.Fault
		call  func() error
		want  any
	}{
		{name: "missing table", call: func() error { _, err := db.DescribeTable(ctx, "nope"); return err }, want: new(*core.TableNotFound)},
		{name: "missing backup", call: func() error {
			_, err := db.DescribeBackup(ctx, b.Arn[:len(b.Arn)-8]+"00000000")
			return err
		}, want: new(*core.BackupNotFound)},
		{name: "restore quota", fault: &emulator.Fault{Operation: "RestoreTableFromBackup", ErrorCode: "LimitExceededException"},
			call: func() error {
				_, err := regions.For(dst).RestoreTable(ctx, core.RestoreRequest{BackupArn: b.Arn, TargetTable: temp, SSE: &core.SSE{}})
				return err
			}, want: new(*core.QuotaExceeded)},
		{name: "throttled", fault: &emulator.Fault{Operation: "DescribeTable", ErrorCode: "ThrottlingException"},
			call: func() error { _, err := db.DescribeTable(ctx, "orders"); return err }, want: new(*core.Throttled)},
		{name: "in use", fault: &emulator.Fault{Operation: "DeleteTable", ErrorCode: "ResourceInUseException"},
			call: func() error { return db.DeleteTable(ctx, "orders") }, want: new(*core.ResourceBusy)},
		// DynamoDB's ValidationException is DynamoDB refusing the request,
		// not the user's input being wrong.
		{name: "validation", call: func() error { _, err := db.CreateBackup(ctx, "orders", "x"); return err }, want: new(*core.RequestRejected)},
		{name: "injected validation", fault: &emulator.Fault{Operation: "UpdateTable", ErrorCode: "ValidationException"},
			call: func() error { return db.UpdateTable(ctx, "orders", core.TableUpdate{TableClass: "STANDARD"}) }, want: new(*core.RequestRejected)},
		{name: "internal server error", fault: &emulator.Fault{Operation: "DescribeTable", ErrorCode: "InternalServerError"},
			call: func() error { _, err := db.DescribeTable(ctx, "orders"); return err }, want: new(*core.ServiceError)},
		{name: "access denied", fault: &emulator.Fault{Operation: "DeleteTable", ErrorCode: "AccessDeniedException"},
			call: func() error { return db.DeleteTable(ctx, temp) }, want: new(*core.AccessDenied)},
		{name: "backups not enabled yet", fault: &emulator.Fault{Operation: "CreateBackup", ErrorCode: "ContinuousBackupsUnavailableException"},
			call: func() error { _, err := db.CreateBackup(ctx, "orders", "backup-2"); return err }, want: new(*core.BackupsNotYetEnabled)},
		{name: "table being created or deleted", fault: &emulator.Fault{Operation: "CreateBackup", ErrorCode: "TableInUseException"},
			call: func() error { _, err := db.CreateBackup(ctx, "orders", "backup-3"); return err }, want: new(*core.ResourceBusy)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emu.ClearFaults()
			if tc.fault != nil {
				emu.AddFault(*tc.fault)
			}
			err := tc.call()
			if !errors.As(err, tc.want) {
				t.Errorf("err = %v (%T), want %T in its chain", err, err, tc.want)
			}
		})
	}
}

// TestRestoreAcrossRegions restores a source backup into the destination
// the way the restore step does, and finds the existing table on a retry.
func TestRestoreAcrossRegions(t *testing.T) {
	emu, regions, cfg := start(t)
	ctx := context.Background()
	createTable(t, cfg, src, "orders")
	b, err := regions.For(src).CreateBackup(ctx, "orders", "backup-1")
	if err != nil {
		t.Fatal(err)
	}
	temp := core.TempTableName(src, "orders")
	req := core.RestoreRequest{BackupArn: b.Arn, TargetTable: temp, PayPerRequest: true, SSE: &core.SSE{}}
	got, err := regions.For(dst).RestoreTable(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != temp || got.RestoredFrom != b.Arn || core.RegionOfArn(got.Arn) != dst {
		t.Errorf("restored %+v, want %s in %s restored from %s", got, temp, dst, b.Arn)
	}
	// While the first restore is still CREATING, AWS answers
	// TableInUseException; the caller must see a table that exists.
	emu.SetDurations(emulator.Durations{Restore: time.Hour})
	slow := core.TempTableName(src, "slow")
	if _, err := regions.For(dst).RestoreTable(ctx, core.RestoreRequest{BackupArn: b.Arn, TargetTable: slow, SSE: &core.SSE{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := regions.For(dst).RestoreTable(ctx, core.RestoreRequest{BackupArn: b.Arn, TargetTable: slow, SSE: &core.SSE{}}); !errors.Is(err, core.ErrTableExists) {
		t.Errorf("restore over a CREATING table: err = %v, want ErrTableExists", err)
	}
	emu.SetDurations(emulator.Durations{})
	if _, err := regions.For(dst).RestoreTable(ctx, req); !errors.Is(err, core.ErrTableExists) {
		t.Errorf("second restore: err = %v, want ErrTableExists", err)
	}
}

// TestSettingsRoundTrip applies every setting a manifest records and reads
// it back.
func TestSettingsRoundTrip(t *testing.T) {
	emu, regions, cfg := start(t)
	ctx := context.Background()
	createTable(t, cfg, src, "orders")
	db := regions.For(src)
	table, err := db.DescribeTable(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	on := true
	steps := []func() error{
		func() error { return db.TagTable(ctx, table.Arn, map[string]string{"team": "payments"}) },
		func() error { return db.EnableTTL(ctx, "orders", "expiresAt") },
		func() error { return db.SetPITR(ctx, "orders", true, 14) },
		func() error {
			return db.UpdateTable(ctx, "orders", core.TableUpdate{TableClass: "STANDARD_INFREQUENT_ACCESS"})
		},
		func() error {
			return db.UpdateTable(ctx, "orders", core.TableUpdate{Stream: &core.StreamSetting{Enabled: true, ViewType: "NEW_IMAGE"}})
		},
		func() error { return db.UpdateTable(ctx, "orders", core.TableUpdate{DeletionProtection: &on}) },
		func() error {
			return db.UpdateTable(ctx, "orders", core.TableUpdate{BillingMode: core.BillingProvisioned, ReadCapacity: 5, WriteCapacity: 7})
		},
	}
	// As in DynamoDB, an UpdateTable leaves the table UPDATING and a tag
	// change shows only later: each change is let settle before the next.
	settle := max(emu.Model().TableUpdate, emu.Model().TagPropagation)
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		emu.AdvanceClock(settle)
	}
	m, err := db.ReadSettings(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	want := core.Manifest{
		SourceRegion: src, SourceTable: "orders", BillingMode: core.BillingProvisioned, ReadCapacity: 5, WriteCapacity: 7,
		TableClass: "STANDARD_INFREQUENT_ACCESS", DeletionProtection: true, StreamEnabled: true, StreamViewType: "NEW_IMAGE",
		TTLEnabled: true, TTLAttribute: "expiresAt", PITREnabled: true, PITRRecoveryDays: 14, Tags: map[string]string{"team": "payments"},
	}
	if d := core.Diff(m, want); !d.Empty() {
		t.Errorf("settings read back %+v differ from those applied: %+v", m, d)
	}
}

// TestCatalogRoundTrip writes, reads and deletes catalog entries keyed by
// source region and table, still reads legacy entries (keyed by the table
// alone) by their recorded source region, never mistakes a status item for
// an entry, and reports a missing catalog as TableNotFound.
func TestCatalogRoundTrip(t *testing.T) {
	_, regions, cfg := start(t)
	ctx := context.Background()
	db := regions.For(dst)
	if _, _, err := db.Entries(ctx, "catalog", src, "orders"); !errors.As(err, new(*core.TableNotFound)) {
		t.Fatalf("missing catalog: err = %v, want TableNotFound", err)
	}
	if err := demo.CreateToolTable(ctx, cfg, dst, "catalog"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	const other = "ap-south-1"
	entry := func(region, table, n string) core.CatalogEntry {
		return core.CatalogEntry{SourceTable: table, SourceRegion: region, BackupArn: "arn:aws:dynamodb:" + dst + ":123456789012:table/x/backup/" + n,
			BackupCreatedAt: t0, Manifest: &core.Manifest{TTLEnabled: true, TTLAttribute: "exp"}}
	}
	e := entry(src, "orders", "1")
	for _, x := range []core.CatalogEntry{e, entry(other, "orders", "2"), entry(src, "users", "3")} {
		if err := db.PutEntry(ctx, "catalog", x); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutEntry(ctx, "catalog", core.CatalogEntry{SourceTable: "users", BackupArn: "arn:b", BackupCreatedAt: t0}); err == nil {
		t.Error("PutEntry accepted an entry without its source region")
	}
	// Entries recorded before the source region was part of the key, and a
	// status item.
	raw := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Region = dst })
	put := func(pk, sk, body string) {
		t.Helper()
		if _, err := raw.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("catalog"), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}, "entry": &types.AttributeValueMemberS{Value: body},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	legacy := func(region, n string) string {
		b, _ := json.Marshal(entry(region, "orders", n))
		return string(b)
	}
	put("orders", "arn:legacy-src", legacy(src, "legacy-src"))
	put("orders", "arn:legacy-other", legacy(other, "legacy-other"))
	put(core.CatalogStatusPrefix+src, "orders", `{"newestCopy":"2026-11-23T10:00:00Z"}`)

	arns := func(entries []core.CatalogEntry) []string {
		out := []string{}
		for _, x := range entries {
			out = append(out, x.SourceRegion+" "+x.BackupArn[strings.LastIndex(x.BackupArn, "/")+1:])
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		region, table string
		want          []string
	}{
		{src, "orders", []string{src + " 1", src + " legacy-src"}},
		{other, "orders", []string{other + " 2", other + " legacy-other"}},
		{src, "", []string{src + " 1", src + " 3", src + " legacy-src"}},
		{"", "orders", []string{other + " 2", other + " legacy-other", src + " 1", src + " legacy-src"}},
		{"", "", []string{other + " 2", other + " legacy-other", src + " 1", src + " 3", src + " legacy-src"}},
	} {
		entries, damaged, err := db.Entries(ctx, "catalog", tc.region, tc.table)
		if err != nil || damaged != 0 || !slices.Equal(arns(entries), tc.want) {
			t.Errorf("Entries(%q, %q) = %q, %d damaged, %v; want %q", tc.region, tc.table, arns(entries), damaged, err, tc.want)
		}
	}
	if err := db.DeleteEntry(ctx, "catalog", src, "orders", e.BackupArn); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteEntry(ctx, "catalog", src, "orders", "arn:legacy-src"); err != nil {
		t.Fatal(err)
	}
	if entries, _, err := db.Entries(ctx, "catalog", src, "orders"); err != nil || len(entries) != 0 {
		t.Errorf("entries after DeleteEntry = %q, %v", arns(entries), err)
	}
	if entries, _, err := db.Entries(ctx, "catalog", other, "orders"); err != nil || len(entries) != 2 {
		t.Errorf("DeleteEntry of %s's backups removed %s's: %q, %v", src, other, arns(entries), err)
	}
}

// TestProvisionedBillingWithIndexes switches an on-demand table with a
// global secondary index to provisioned billing, as a restore does to bring
// back its source's billing, and reads the capacities back.
func TestProvisionedBillingWithIndexes(t *testing.T) {
	emu, regions, cfg := start(t)
	ctx := context.Background()
	createTable(t, cfg, dst, "orders-dr", func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("customer"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("by-customer"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("customer"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
	})
	indexes := map[string]core.Capacity{"by-customer": {Read: 3, Write: 2}}
	update := core.TableUpdate{BillingMode: core.BillingProvisioned, ReadCapacity: 5, WriteCapacity: 4, IndexCapacity: indexes}
	if err := regions.For(dst).UpdateTable(ctx, "orders-dr", update); err != nil {
		t.Fatal(err)
	}
	// Tags cannot be read while the table is UPDATING.
	emu.AdvanceClock(emu.Model().TableUpdate)
	m, err := regions.For(dst).ReadSettings(ctx, "orders-dr")
	if err != nil {
		t.Fatal(err)
	}
	if m.BillingMode != core.BillingProvisioned || m.ReadCapacity != 5 || m.WriteCapacity != 4 || !maps.Equal(m.IndexCapacity, indexes) {
		t.Errorf("read back %s %d/%d, indexes %v; want PROVISIONED 5/4, %v", m.BillingMode, m.ReadCapacity, m.WriteCapacity, m.IndexCapacity, indexes)
	}
}
