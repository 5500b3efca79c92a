package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// admin calls the admin HTTP API and decodes the JSON answer into out.
func admin(t *testing.T, srv *Server, method, path, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/_emulator/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "orders-1")
	createTable(t, e.a, "invoices")
	arn := createBackup(t, e.a, "orders-1", "backup-1").BackupArn
	restore := func(c *dynamodb.Client, target string) error {
		in := &dynamodb.RestoreTableFromBackupInput{BackupArn: arn, TargetTableName: aws.String(target)}
		if c == e.b {
			in.SSESpecificationOverride = &types.SSESpecification{Enabled: aws.Bool(false)}
		}
		_, err := c.RestoreTableFromBackup(ctx(t), in)
		return err
	}

	// N times, through the HTTP admin API, matched by table glob.
	admin(t, e.srv, http.MethodPost, "faults", `{"operation":"RestoreTableFromBackup","errorCode":"LimitExceededException",
		"message":"too many restores","tablePattern":"orders*","times":2}`, nil)
	for i := range 2 {
		err := restore(e.a, "orders-restored")
		lee := wantErrorAs[*types.LimitExceededException](t, err)
		if lee.ErrorMessage() != "too many restores" {
			t.Errorf("attempt %d: message %q", i, lee.ErrorMessage())
		}
	}
	if err := restore(e.a, "orders-restored"); err != nil {
		t.Fatalf("third attempt should pass: %v", err)
	}
	if err := restore(e.a, "other-restored"); err != nil { // pattern does not match
		t.Fatalf("non-matching table: %v", err)
	}

	// Always, restricted to a region, via the Go API.
	e.emu.AddFault(Fault{Operation: "DescribeTable", ErrorCode: "InternalServerError", Region: regionA})
	for range 3 {
		_, err := e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("invoices")})
		wantErrorAs[*types.InternalServerError](t, err)
	}
	createTable(t, e.b, "invoices")
	if _, err := e.b.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("invoices")}); err != nil {
		t.Fatalf("other region should be unaffected: %v", err)
	}
	var faults []Fault
	admin(t, e.srv, http.MethodGet, "faults", "", &faults)
	if len(faults) != 1 || faults[0].Times != 0 {
		t.Errorf("faults = %+v", faults)
	}
	admin(t, e.srv, http.MethodDelete, "faults", "", nil)
	if _, err := e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("invoices")}); err != nil {
		t.Fatalf("after clearing faults: %v", err)
	}

	// Retryable faults are retried by the SDK: a client with 3 attempts
	// survives two throttles.
	e.emu.AddFault(Fault{Operation: "ListTables", ErrorCode: "ThrottlingException", Times: 2})
	e.emu.ResetStats()
	retrying := newClient(e.srv, regionA, 3)
	if _, err := retrying.ListTables(ctx(t), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables with retries: %v", err)
	}
	if got := e.emu.Stats().ByOperation["ListTables"]; got != 3 {
		t.Errorf("ListTables calls = %d, want 3 (2 throttled + 1)", got)
	}

	// Each typed exception arrives as such.
	typed := []struct {
		code  string
		check func(error) bool
	}{
		{"TableAlreadyExistsException", func(err error) bool { var x *types.TableAlreadyExistsException; return errors.As(err, &x) }},
		{"BackupInUseException", func(err error) bool { var x *types.BackupInUseException; return errors.As(err, &x) }},
		{"ProvisionedThroughputExceededException", func(err error) bool {
			var x *types.ProvisionedThroughputExceededException
			return errors.As(err, &x)
		}},
		{"ConditionalCheckFailedException", func(err error) bool { var x *types.ConditionalCheckFailedException; return errors.As(err, &x) }},
		{"TableNotFoundException", func(err error) bool { var x *types.TableNotFoundException; return errors.As(err, &x) }},
		{"TableInUseException", func(err error) bool { var x *types.TableInUseException; return errors.As(err, &x) }},
		{"ValidationException", func(err error) bool {
			var x smithy.APIError
			return errors.As(err, &x) && x.ErrorCode() == "ValidationException"
		}},
	}
	for _, tc := range typed {
		t.Run(tc.code, func(t *testing.T) {
			e.emu.AddFault(Fault{Operation: "GetItem", ErrorCode: tc.code, Times: 1})
			_, err := e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("invoices"), Key: av{"pk": s("a"), "sk": n(1)}})
			if !tc.check(err) {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t, Options{})
	admin(t, e.srv, http.MethodPost, "latency", `{"operation":"ListTables","millis":120}`, nil)
	start := time.Now()
	if _, err := e.a.ListTables(ctx(t), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("ListTables took %v, want >= 120ms", d)
	}
	start = time.Now()
	if _, err := e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("none-such")}); err == nil {
		t.Fatal("expected ResourceNotFoundException")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("DescribeTable took %v; latency should only apply to ListTables", d)
	}
	e.emu.SetLatency("", 60*time.Millisecond)
	start = time.Now()
	e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("none-such")})
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("DescribeTable took %v with global latency 60ms", d)
	}
	admin(t, e.srv, http.MethodDelete, "latency", "", nil)
}

func TestRegionDown(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "alive")
	admin(t, e.srv, http.MethodPost, "regions/"+regionB+"/down", "", nil)
	e.emu.ResetStats()

	retrying := newClient(e.srv, regionB, 3)
	start := time.Now()
	_, err := retrying.ListTables(ctx(t), &dynamodb.ListTablesInput{})
	if err == nil {
		t.Fatal("call to a region that is down succeeded")
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		t.Errorf("outage should look like a transport failure, got API error %v", apiErr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failing took %v; should fail fast", d)
	}
	if got := e.emu.Stats().ByRegion[regionB]; got != 3 {
		t.Errorf("regionB saw %d attempts, want 3", got)
	}
	if _, err := e.a.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("alive")}); err != nil {
		t.Errorf("regionA should be up: %v", err)
	}

	admin(t, e.srv, http.MethodPost, "regions/"+regionB+"/up", "", nil)
	if _, err := e.b.ListTables(ctx(t), &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

func TestDurationsAndClock(t *testing.T) {
	e := newEnv(t, Options{})
	admin(t, e.srv, http.MethodPost, "durations", `{"tableCreate":3600000,"backupCreate":60000,"restore":60000,"perMiB":1000}`, nil)
	if got := e.emu.Durations(); got.TableCreate != time.Hour || got.PerMiB != time.Second {
		t.Fatalf("durations = %+v", got)
	}
	createTable(t, e.a, "clocked")
	if d := describe(t, e.a, "clocked"); d.TableStatus != types.TableStatusCreating {
		t.Fatalf("status = %s", d.TableStatus)
	}
	before := aws.ToTime(describe(t, e.a, "clocked").CreationDateTime)
	var clock struct{ Now float64 }
	admin(t, e.srv, http.MethodPost, "clock", `{"advanceSeconds":86400}`, &clock)
	d := describe(t, e.a, "clocked")
	if d.TableStatus != types.TableStatusActive {
		t.Errorf("status after a day = %s", d.TableStatus)
	}
	if now := time.UnixMilli(int64(clock.Now * 1000)); now.Sub(before) < 24*time.Hour {
		t.Errorf("clock now %v is not a day past creation %v", now, before)
	}
	// New resources are stamped with the advanced clock.
	b := createBackup(t, e.a, "clocked", "after-a-day")
	if got := aws.ToTime(b.BackupCreationDateTime); time.Until(got) < 23*time.Hour {
		t.Errorf("backup created at %v, want about a day ahead of real time", got)
	}
	if b.BackupStatus != types.BackupStatusCreating {
		t.Errorf("backup status = %s", b.BackupStatus)
	}
	e.emu.AdvanceClock(time.Minute)
	desc, err := e.a.DescribeBackup(ctx(t), &dynamodb.DescribeBackupInput{BackupArn: b.BackupArn})
	if err != nil || desc.BackupDescription.BackupDetails.BackupStatus != types.BackupStatusAvailable {
		t.Errorf("backup after its duration: %+v %v", desc, err)
	}
}

func TestStateStatsAndReset(t *testing.T) {
	e := newEnv(t, Options{AccountID: "210987654321"})
	d := createTable(t, e.a, "state-table", func(in *dynamodb.CreateTableInput) {
		in.Tags = []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}}
	})
	if !strings.Contains(aws.ToString(d.TableArn), ":210987654321:") {
		t.Errorf("account not used in ARN: %s", aws.ToString(d.TableArn))
	}
	putItems(t, e.a, "state-table", []av{{"pk": s("a"), "sk": n(1)}, {"pk": s("b"), "sk": n(2)}})
	createBackup(t, e.a, "state-table", "state-backup")
	createTable(t, e.b, "b-table")

	var state struct {
		AccountID string `json:"accountId"`
		Regions   map[string]struct {
			Tables map[string]struct {
				Status    string            `json:"status"`
				ItemCount int               `json:"itemCount"`
				Tags      map[string]string `json:"tags"`
			} `json:"tables"`
			Backups []struct {
				Name   string `json:"name"`
				Status string `json:"status"`
			} `json:"backups"`
		} `json:"regions"`
	}
	admin(t, e.srv, http.MethodGet, "state", "", &state)
	tbl := state.Regions[regionA].Tables["state-table"]
	if state.AccountID != "210987654321" || tbl.Status != "ACTIVE" || tbl.ItemCount != 2 || tbl.Tags["env"] != "test" {
		t.Errorf("state table = %+v", tbl)
	}
	if bk := state.Regions[regionA].Backups; len(bk) != 1 || bk[0].Name != "state-backup" || bk[0].Status != "AVAILABLE" {
		t.Errorf("state backups = %+v", bk)
	}
	if _, ok := state.Regions[regionB].Tables["b-table"]; !ok {
		t.Errorf("regionB missing from state")
	}
	raw, err := e.emu.State()
	if err != nil || !json.Valid(raw) {
		t.Fatalf("State(): %v", err)
	}

	var stats Stats
	admin(t, e.srv, http.MethodGet, "stats", "", &stats)
	if stats.ByOperation["PutItem"] != 2 || stats.ByRegion[regionB] != 1 || stats.ByTable["state-table"] != 4 || stats.Total != 5 {
		t.Errorf("stats = %+v", stats)
	}
	admin(t, e.srv, http.MethodPost, "stats/reset", "", &stats)
	if stats.Total != 0 {
		t.Errorf("after reset: %+v", stats)
	}

	e.emu.AddFault(Fault{ErrorCode: "InternalServerError"})
	e.emu.SetRegionDown(regionB, true)
	admin(t, e.srv, http.MethodPost, "reset", "", nil)
	out, err := e.a.ListTables(ctx(t), &dynamodb.ListTablesInput{})
	if err != nil || len(out.TableNames) != 0 {
		t.Errorf("after reset: tables %v err %v", out, err)
	}
	if _, err := e.b.ListTables(ctx(t), &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("region outage survived reset: %v", err)
	}
	list, err := e.a.ListBackups(ctx(t), &dynamodb.ListBackupsInput{})
	if err != nil || len(list.BackupSummaries) != 0 {
		t.Errorf("backups after reset: %v %v", list, err)
	}
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t, Options{})
	post := func(target, body string) (int, map[string]string, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261123/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out, resp.Header
	}
	tests := []struct {
		name, target, body string
		status             int
		typ                string
	}{
		{"unknown operation", "DynamoDB_20120810.Frobnicate", `{}`, 400, "com.amazon.coral.service#UnknownOperationException"},
		{"bad json", "DynamoDB_20120810.DescribeTable", `{"TableName": 5}`, 400, "com.amazon.coral.service#SerializationException"},
		{"not found", "DynamoDB_20120810.DescribeTable", `{"TableName":"nope"}`, 400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"},
		{"validation", "DynamoDB_20120810.DescribeTable", `{"TableName":"x"}`, 400, "com.amazon.coral.validate#ValidationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := post(tc.target, tc.body)
			if status != tc.status || body["__type"] != tc.typ {
				t.Errorf("got %d %v", status, body)
			}
			if h.Get("X-Amz-Crc32") == "" || h.Get("X-Amzn-Requestid") == "" {
				t.Errorf("missing DynamoDB response headers: %v", h)
			}
		})
	}
	status, body, _ := post("DynamoDB_20120810.ListTables", `{}`)
	if status != 200 || body != nil && body["__type"] != "" {
		t.Errorf("ListTables: %d %v", status, body)
	}
	if got := e.emu.Stats().ByRegion["eu-west-1"]; got != 5 {
		t.Errorf("region from Authorization header: eu-west-1 calls = %d, want 5", got)
	}
}
