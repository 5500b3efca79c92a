package ddb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/time/rate"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator"
)

// The emulator's default model and the adapter's pacing model the same AWS
// facts; they must not drift apart.
func TestRatesAreTheEmulatorModels(t *testing.T) {
	got := map[string]float64{}
	for op, r := range documentedRates {
		got[op] = float64(r)
	}
	want := emulator.DefaultModel().Rates
	delete(want, "GetMetricData") // CloudWatch's: the metrics reader paces it
	if !maps.Equal(got, want) {
		t.Errorf("adapter rates = %v, emulator default model rates = %v", got, want)
	}
}

// serveStrict serves an emulator with its default (strict) model and returns
// it with a config whose SDK retries are few and fast, so that pacing, not
// the retryer's backoff, is what keeps calls within the rates.
func serveStrict(t *testing.T) (*emulator.Emulator, aws.Config) {
	t.Helper()
	srv, err := emulator.Start("127.0.0.1:0", emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.Emulator, aws.Config{
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		HTTPClient:   emulator.NewHTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts, o.MaxBackoff = 2, time.Millisecond })
		},
	}
}

// createTableARN creates an on-demand table through an unpaced client and
// returns its ARN.
func createTableARN(t *testing.T, db *dynamodb.Client, name string) string {
	t.Helper()
	out, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TableDescription.TableArn)
}

// minElapsed is the least time n calls take at r calls per second, spaced
// evenly, the first one immediate.
func minElapsed(n int64, r rate.Limit) time.Duration {
	return time.Duration(float64(n-1) / float64(r) * float64(time.Second))
}

// A burst of three times an operation's rate through the adapter is spread
// over time and never throttled; the same burst through an unpaced client
// is. Each case has its own region, so its limiter is its own.
func TestPacedBurstIsNeverThrottled(t *testing.T) {
	const table = "paced"
	tests := []struct {
		name, region, op string
		// seed prepares the region through an unpaced client and returns
		// what the calls need (a table ARN).
		seed func(t *testing.T, db *dynamodb.Client, c *Client) string
		// call is one adapter call (it may read several pages); raw is the
		// same API traffic through an unpaced SDK client.
		call  func(ctx context.Context, c *Client, arg string) error
		raw   func(ctx context.Context, db *dynamodb.Client, arg string) error
		calls int // adapter calls in the burst
	}{
		{
			name: "ListTagsOfResource", region: "eu-west-1", op: "ListTagsOfResource", calls: 3 * 10,
			seed: func(t *testing.T, db *dynamodb.Client, _ *Client) string { return createTableARN(t, db, table) },
			call: func(ctx context.Context, c *Client, arn string) error {
				_, err := c.ListTags(ctx, arn)
				return err
			},
			raw: func(ctx context.Context, db *dynamodb.Client, arn string) error {
				_, err := db.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: &arn})
				return err
			},
		},
		{
			// 101 backups make every listing two pages (the emulator's,
			// like DynamoDB's, hold at most 100); creating them paces
			// CreateBackup too.
			name: "ListBackups pages", region: "eu-west-2", op: "ListBackups", calls: 8,
			seed: func(t *testing.T, db *dynamodb.Client, c *Client) string {
				createTableARN(t, db, table)
				for i := range 101 {
					if _, err := c.CreateBackup(t.Context(), table, fmt.Sprintf("b%03d", i)); err != nil {
						t.Fatal(err)
					}
				}
				return table
			},
			call: func(ctx context.Context, c *Client, table string) error {
				backups, err := c.ListBackups(ctx, table, time.Time{})
				if err == nil && len(backups) != 101 {
					err = fmt.Errorf("listed %d backups, want 101", len(backups))
				}
				return err
			},
			raw: func(ctx context.Context, db *dynamodb.Client, table string) error {
				in := &dynamodb.ListBackupsInput{TableName: &table}
				for {
					out, err := db.ListBackups(ctx, in)
					if err != nil || out.LastEvaluatedBackupArn == nil {
						return err
					}
					in.ExclusiveStartBackupArn = out.LastEvaluatedBackupArn
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu, cfg := serveStrict(t)
			c := NewRegions(cfg).For(tc.region)
			db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Region = tc.region })
			arg := tc.seed(t, db, c)
			if got := emu.Stats().Throttled; len(got) != 0 {
				t.Fatalf("throttled while seeding: %v", got)
			}

			emu.ResetStats()
			start := time.Now()
			for i := range tc.calls {
				if err := tc.call(t.Context(), c, arg); err != nil {
					t.Fatalf("paced call %d: %v", i, err)
				}
			}
			elapsed := time.Since(start)
			stats := emu.Stats()
			sent := stats.ByOperation[tc.op]
			t.Logf("paced: %d %s calls in %v, %d throttled", sent, tc.op, elapsed, stats.Throttled[tc.op])
			if sent < int64(tc.calls) {
				t.Errorf("emulator saw %d %s calls, want at least %d", sent, tc.op, tc.calls)
			}
			if n := stats.Throttled[tc.op]; n != 0 {
				t.Errorf("%d of %d paced %s calls were throttled, want 0", n, sent, tc.op)
			}
			if want := minElapsed(sent, documentedRates[tc.op]); elapsed < want {
				t.Errorf("%d paced %s calls took %v, want at least %v", sent, tc.op, elapsed, want)
			}

			// The same burst unpaced, with the emulator's buckets full again.
			emu.SetModel(emu.Model())
			emu.ResetStats()
			for range tc.calls {
				_ = tc.raw(t.Context(), db, arg) // some fail: that is the point
			}
			stats = emu.Stats()
			t.Logf("unpaced: %d %s calls, %d throttled", stats.ByOperation[tc.op], tc.op, stats.Throttled[tc.op])
			if stats.Throttled[tc.op] == 0 {
				t.Errorf("the unpaced burst of %d %s calls was not throttled: the test shows nothing", stats.ByOperation[tc.op], tc.op)
			}
		})
	}
}

// Handler instances in one process each build their own Regions, as the
// local host does; they draw on the same limiter, so together they stay
// within the rate.
func TestHandlerInstancesShareTheLimiter(t *testing.T) {
	t.Parallel()
	const (
		region                   = "eu-central-1"
		op                       = "ListTagsOfResource"
		instances, workers       = 4, 2
		callsPerWorker           = 5
		calls              int64 = instances * workers * callsPerWorker
	)
	emu, cfg := serveStrict(t)
	arn := createTableARN(t, dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Region = region }), "shared")

	emu.ResetStats()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range instances {
		c := NewRegions(cfg).For(region)
		for range workers {
			wg.Go(func() {
				for range callsPerWorker {
					if _, err := c.ListTags(t.Context(), arn); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	elapsed := time.Since(start)
	for err := range errs {
		t.Error(err)
	}
	stats := emu.Stats()
	t.Logf("%d instances x %d goroutines: %d %s calls in %v, %d throttled", instances, workers, stats.ByOperation[op], op, elapsed, stats.Throttled[op])
	if n := stats.Throttled[op]; n != 0 {
		t.Errorf("%d of %d calls were throttled, want 0", n, stats.ByOperation[op])
	}
	if want := minElapsed(calls, documentedRates[op]); elapsed < want {
		t.Errorf("%d calls took %v, want at least %v", calls, elapsed, want)
	}
}

// A call waiting for its turn gives up when its context is done and returns
// the context's error, through the adapter as well.
func TestWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	p := newPacer(func(op string) rate.Limit { return map[string]rate.Limit{"Slow": 1}[op] })
	if err := p.wait(t.Context(), "r", "Slow"); err != nil {
		t.Fatalf("first call: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.wait(ctx, "r", "Slow"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second call within the second: err = %v, want %v", err, context.DeadlineExceeded)
	}
	if waited := time.Since(start); waited > 500*time.Millisecond {
		t.Errorf("waited %v past a 20ms deadline", waited)
	}
	done, stop := context.WithCancel(t.Context())
	stop()
	if err := p.wait(done, "r", "Unlimited"); err != nil {
		t.Errorf("an operation without a rate waited: %v", err)
	}

	const region = "eu-north-1"
	emu, cfg := serveStrict(t)
	arn := createTableARN(t, dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Region = region }), "waiting")
	c := NewRegions(cfg).For(region)
	if _, err := c.ListTags(t.Context(), arn); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.ListTags(ctx, arn); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("adapter call past its deadline: err = %v, want %v in the chain", err, context.DeadlineExceeded)
	}
	if n := emu.Stats().ByOperation["ListTagsOfResource"]; n != 1 {
		t.Errorf("emulator saw %d ListTagsOfResource calls, want 1 (the second never left)", n)
	}
}

// A rate read at every call: relaxing it (0: unpaced) takes effect at once,
// and tightening it again paces the next call.
func TestPaceAtFollowsTheRateSource(t *testing.T) {
	t.Parallel()
	current := 1.0
	var mu sync.Mutex
	r := NewRegions(aws.Config{}).PaceAt(func(op string) float64 {
		mu.Lock()
		defer mu.Unlock()
		if op != "Slow" {
			return 0
		}
		return current
	})
	set := func(v float64) { mu.Lock(); current = v; mu.Unlock() }
	ctx := t.Context()
	if err := r.pacer.wait(ctx, "r", "Slow"); err != nil {
		t.Fatal(err)
	}
	if d := r.pacer.limiter("r", "Slow").Reserve(); d.Delay() == 0 {
		t.Fatal("a second call within the second at 1/s was not delayed")
	} else {
		d.Cancel()
	}
	set(0)
	start := time.Now()
	for range 50 {
		if err := r.pacer.wait(ctx, "r", "Slow"); err != nil {
			t.Fatal(err)
		}
	}
	if waited := time.Since(start); waited > 100*time.Millisecond {
		t.Errorf("50 calls with pacing relaxed took %v", waited)
	}
	set(1)
	if l := r.pacer.limiter("r", "Slow"); l == nil || l.Limit() != 1 {
		t.Fatalf("tightened again: limiter %v", l)
	}
}
