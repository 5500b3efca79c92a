//go:build live

// The live test deploys the whole system into a real AWS account, backs up
// two small tables, restores them from the destination region, and removes
// everything again. It runs only with -tags live, and skips itself without
// AWS credentials. It needs:
//   - the Lambda binary built (make build) and the cdk CLI on the PATH
//     (infra/node_modules/.bin);
//   - both regions bootstrapped for CDK (cdk bootstrap aws://ACCOUNT/REGION);
//   - XRB_LIVE_SOURCE_REGION and XRB_LIVE_DESTINATION_REGION to pick the
//     regions (default us-east-1 and us-west-2).
//
// It deploys under its own stack prefix, catalog table and table names, so
// it does not touch a real deployment in the same account.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// hasCredentialSource reports whether AWS credentials are configured,
// without asking the instance metadata service: on a machine without
// credentials the test skips at once. XRB_LIVE=1 forces the full lookup
// (for instance roles).
func hasCredentialSource() bool {
	for _, k := range []string{"XRB_LIVE", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	for _, f := range []string{"credentials", "config"} {
		if _, err := os.Stat(filepath.Join(home, ".aws", f)); err == nil {
			return true
		}
	}
	return false
}

func TestLive(t *testing.T) {
	if !hasCredentialSource() {
		t.Skip("no AWS credentials configured")
	}
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Skipf("no AWS configuration: %v", err)
	}
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		t.Skipf("no AWS credentials: %v", err)
	}
	if _, err := exec.LookPath("cdk"); err != nil {
		t.Fatal("the cdk CLI is not on the PATH; put infra/node_modules/.bin first (make test-live does)")
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(defaultAssetDir(root), "bootstrap")); err != nil {
		t.Fatal("the Lambda binary (build/lambda/bootstrap) is not built; run make build first")
	}

	src := envOr("XRB_LIVE_SOURCE_REGION", "us-east-1")
	dst := envOr("XRB_LIVE_DESTINATION_REGION", "us-west-2")
	id := randomHex(t, 4)
	prefix := "XrbLive" + id
	tables := []string{"xrb-live-" + id + "-a", "xrb-live-" + id + "-b"}
	catalog := "xrb-live-" + id + "-catalog"
	srcDB := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.Region = src })
	dstDB := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.Region = dst })

	cdkArgs := []string{
		"--no-notices", "-o", filepath.Join(t.TempDir(), "cdk.out"),
		"-c", "stackPrefix=" + prefix, "-c", "sourceRegion=" + src, "-c", "destinationRegions=" + dst,
		"-c", "schedule=off", "-c", "include=xrb-live-" + id + "-*", "-c", "catalogTableName=" + catalog,
		"-c", "retentionDays=1", "-c", "keepLast=1",
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, table := range tables {
			deleteTable(ctx, t, srcDB, table)
			deleteTable(ctx, t, dstDB, table+"-restored")
			deleteBackups(ctx, t, srcDB, func(b types.BackupSummary) bool { return aws.ToString(b.TableName) == table })
			deleteBackups(ctx, t, dstDB, func(b types.BackupSummary) bool {
				name := aws.ToString(b.TableName)
				return strings.HasPrefix(name, "xrb-tmp.") && strings.HasSuffix(name, "."+table)
			})
		}
		cdk(t, append([]string{"destroy", "--all", "--force"}, cdkArgs...)...)
		// The catalog is retained on stack deletion.
		deleteTable(ctx, t, dstDB, catalog)
	})

	outputs := filepath.Join(t.TempDir(), "outputs.json")
	cdk(t, append([]string{"deploy", "--all", "--require-approval", "never", "--outputs-file", outputs}, cdkArgs...)...)
	out := readOutputs(t, outputs)
	backupSM := out[prefix+"Backup"]["StateMachineArn"]
	restoreSM := out[prefix+"Restore-"+dst]["StateMachineArn"]
	if backupSM == "" || restoreSM == "" {
		t.Fatalf("the stacks did not output both state machine ARNs: %v", out)
	}

	want := map[string]int{}
	for i, table := range tables {
		createTable(ctx, t, srcDB, table)
		want[table] = 3 + i
		for n := range want[table] {
			_, err := srcDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
				"pk":    &types.AttributeValueMemberS{Value: fmt.Sprintf("item-%d", n)},
				"value": &types.AttributeValueMemberN{Value: fmt.Sprint(n)},
			}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	runExecution(ctx, t, awsCfg, src, backupSM, `{}`, 2*time.Hour)
	restoreInput, _ := json.Marshal(map[string]any{"tables": tables, "nameSuffix": "-restored"})
	runExecution(ctx, t, awsCfg, dst, restoreSM, string(restoreInput), 2*time.Hour)

	for table, n := range want {
		restored := table + "-restored"
		got, err := dstDB.Scan(ctx, &dynamodb.ScanInput{TableName: &restored, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("scan %s in %s: %v", restored, dst, err)
		}
		if int(got.Count) != n {
			t.Errorf("%s in %s has %d items, want %d", restored, dst, got.Count, n)
		}
	}
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func cdk(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("cdk", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "CDK_DISABLE_CLI_TELEMETRY=true", "CDK_DISABLE_VERSION_CHECK=1")
	if err := cmd.Run(); err != nil {
		t.Errorf("cdk %s: %v", strings.Join(args, " "), err)
	}
}

func readOutputs(t *testing.T, path string) map[string]map[string]string {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]map[string]string
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func createTable(ctx context.Context, t *testing.T, db *dynamodb.Client, name string) {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            &name,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	waitTable(ctx, t, db, name)
}

func waitTable(ctx context.Context, t *testing.T, db *dynamodb.Client, name string) {
	w := dynamodb.NewTableExistsWaiter(db)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 10*time.Minute); err != nil {
		t.Errorf("wait for %s: %v", name, err)
	}
}

func deleteTable(ctx context.Context, t *testing.T, db *dynamodb.Client, name string) {
	_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
	var notFound *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &notFound) {
		t.Errorf("delete %s: %v", name, err)
	}
}

func deleteBackups(ctx context.Context, t *testing.T, db *dynamodb.Client, match func(types.BackupSummary) bool) {
	p := &dynamodb.ListBackupsInput{BackupType: types.BackupTypeFilterUser}
	for {
		page, err := db.ListBackups(ctx, p)
		if err != nil {
			t.Errorf("list backups: %v", err)
			return
		}
		for _, b := range page.BackupSummaries {
			if match(b) {
				if _, err := db.DeleteBackup(ctx, &dynamodb.DeleteBackupInput{BackupArn: b.BackupArn}); err != nil {
					t.Errorf("delete backup %s: %v", aws.ToString(b.BackupArn), err)
				}
			}
		}
		if page.LastEvaluatedBackupArn == nil {
			return
		}
		p.ExclusiveStartBackupArn = page.LastEvaluatedBackupArn
	}
}

// runExecution starts a state machine execution and waits for it to
// succeed. It calls the Step Functions API directly, signed with the SDK's
// credentials, so the test needs no Step Functions client module.
func runExecution(ctx context.Context, t *testing.T, cfg aws.Config, region, stateMachine, input string, limit time.Duration) {
	t.Helper()
	var started struct{ ExecutionArn string }
	sfn(ctx, t, cfg, region, "StartExecution", map[string]any{"stateMachineArn": stateMachine, "input": input}, &started)
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		time.Sleep(30 * time.Second)
		var exec struct{ Status, Error, Cause string }
		sfn(ctx, t, cfg, region, "DescribeExecution", map[string]any{"executionArn": started.ExecutionArn}, &exec)
		switch exec.Status {
		case "RUNNING":
			continue
		case "SUCCEEDED":
			return
		default:
			t.Fatalf("execution %s ended %s: %s: %s", started.ExecutionArn, exec.Status, exec.Error, exec.Cause)
		}
	}
	t.Fatalf("execution %s still running after %s", started.ExecutionArn, limit)
}

func sfn(ctx context.Context, t *testing.T, cfg aws.Config, region, action string, in, out any) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	url := "https://states." + region + ".amazonaws.com/"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "states", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s: %s", action, resp.Status, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
}
