package cwmetrics

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator"
)

const region = "eu-west-1"

// t0 is the emulator's fixed base clock, on a five-minute boundary.
var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// fixture is an emulator on a fixed clock with the real SDK clients of
// one region pointed at it.
type fixture struct {
	emu *emulator.Emulator
	ddb *dynamodb.Client
	cw  *cloudwatch.Client
}

func newFixture(t *testing.T, model *emulator.Model) *fixture {
	t.Helper()
	srv, err := emulator.Start("127.0.0.1:0", emulator.Options{Now: func() time.Time { return t0 }, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 })
	}
	return &fixture{
		emu: srv.Emulator,
		ddb: dynamodb.New(dynamodb.Options{Region: region, BaseEndpoint: aws.String(srv.URL), Credentials: creds,
			HTTPClient: emulator.NewHTTPClient(), Retryer: retryer()}),
		cw: cloudwatch.New(cloudwatch.Options{Region: region, BaseEndpoint: aws.String(srv.URL), Credentials: creds,
			HTTPClient: emulator.NewHTTPClient(), Retryer: retryer()}),
	}
}

func (f *fixture) createTable(t *testing.T, name string) {
	t.Helper()
	_, err := f.ddb.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
}

func (f *fixture) put(t *testing.T, table string, item map[string]types.AttributeValue) {
	t.Helper()
	if item == nil {
		item = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}
	}
	if _, err := f.ddb.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem %s: %v", table, err)
	}
}

func (f *fixture) changes(t *testing.T, windows ...Window) []Evidence {
	t.Helper()
	ev, err := New(f.cw, Options{CallsPerSecond: 1000}).Changes(context.Background(), windows)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	if len(ev) != len(windows) {
		t.Fatalf("%d evidences for %d windows", len(ev), len(windows))
	}
	return ev
}

// verdict renders an Evidence as "changed", "unchanged" or "unknown".
func verdict(e Evidence) string {
	switch {
	case !e.Known:
		return "unknown"
	case e.Changed:
		return "changed"
	}
	return "unchanged"
}

func TestChanges(t *testing.T) {
	// Each case starts at 12:00 with table "orders" created; the copy's data time
	// (From) is 12:10, the run (To) at 13:00.
	from, to := t0.Add(10*time.Minute), t0.Add(time.Hour)
	at := func(f *fixture, d time.Duration) { f.emu.AdvanceClock(t0.Add(d).Sub(f.emu.Now())) }
	cases := []struct {
		name   string
		model  func(*emulator.Model)
		window func(*Window)
		act    func(t *testing.T, f *fixture)
		want   string
		reason string
	}{
		{name: "idle table", want: "unchanged", reason: "no writes"},
		{name: "written before the window", want: "unchanged", act: func(t *testing.T, f *fixture) {
			at(f, 5*time.Minute)
			f.put(t, "orders", nil)
		}},
		{name: "written in the window", want: "changed", reason: "1 write capacity units", act: func(t *testing.T, f *fixture) {
			at(f, 30*time.Minute)
			f.put(t, "orders", nil)
		}},
		{name: "written in the minute the window starts", want: "changed", act: func(t *testing.T, f *fixture) {
			at(f, 10*time.Minute+30*time.Second)
			f.put(t, "orders", nil)
		}},
		{name: "written within the publication delay", want: "unchanged", act: func(t *testing.T, f *fixture) {
			at(f, 58*time.Minute)
			f.put(t, "orders", nil)
		}},
		{name: "failed conditional write", want: "changed", act: func(t *testing.T, f *fixture) {
			f.put(t, "orders", nil)
			at(f, 20*time.Minute)
			_, err := f.ddb.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("orders"),
				Item:                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}},
				ConditionExpression: aws.String("attribute_not_exists(pk)")})
			if err == nil {
				t.Fatal("the condition should fail")
			}
		}},
		{name: "TTL deletion", want: "changed", reason: "1 TTL deletions", act: func(t *testing.T, f *fixture) {
			if _, err := f.ddb.UpdateTimeToLive(context.Background(), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("orders"),
				TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
				t.Fatal(err)
			}
			f.put(t, "orders", map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"},
				"exp": &types.AttributeValueMemberN{Value: fmt.Sprint(t0.Add(15 * time.Minute).Unix())}})
			at(f, 20*time.Minute)
			if n := f.emu.ExpireTTL(); n != 1 {
				t.Fatalf("expired %d items", n)
			}
		}},
		{name: "global table", want: "unknown", reason: "global table", window: func(w *Window) { w.HasReplicas = true }},
		{name: "table re-created after the copy", want: "changed", reason: "re-created",
			window: func(w *Window) { w.Created = t0.Add(20 * time.Minute) }},
		{name: "no start", want: "unknown", reason: "no window", window: func(w *Window) { w.From = time.Time{} }},
		{name: "window within the publication delay", want: "unknown", reason: "publication delay",
			window: func(w *Window) { w.From = to.Add(-3 * time.Minute) }},
		{name: "partial metrics", want: "unknown", reason: "PartialData", act: func(t *testing.T, f *fixture) {
			f.emu.AddMetricsFault(emulator.MetricsFault{TablePattern: "orders", StatusCode: "PartialData"})
		}},
		{name: "metrics internal error", want: "unknown", reason: "InternalError", act: func(t *testing.T, f *fixture) {
			f.emu.AddMetricsFault(emulator.MetricsFault{TablePattern: "orders", StatusCode: "InternalError"})
		}},
		{name: "GetMetricData failing", want: "unknown", reason: "InternalServiceError", act: func(t *testing.T, f *fixture) {
			f.emu.AddFault(emulator.Fault{Operation: "GetMetricData", ErrorCode: "InternalServiceFault"})
		}},
		{name: "region's metrics lost at the window's start", want: "unknown", reason: "missing from 2026-11-24T12:10:00Z",
			act: func(t *testing.T, f *fixture) {
				f.emu.AddMetricsOutage(emulator.MetricsOutage{Region: region, From: t0, To: t0.Add(20 * time.Minute)})
			}},
		{name: "region's metrics late", want: "unknown", reason: "missing from",
			model: func(m *emulator.Model) { m.MetricsDelay = 2 * time.Hour }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model := emulator.DefaultModel()
			if tc.model != nil {
				tc.model(&model)
			}
			f := newFixture(t, &model)
			f.createTable(t, "orders")
			if tc.act != nil {
				tc.act(t, f)
			}
			at(f, time.Hour)
			w := Window{Table: "orders", From: from, To: to, Created: t0}
			if tc.window != nil {
				tc.window(&w)
			}
			got := f.changes(t, w)[0]
			if verdict(got) != tc.want || !strings.Contains(got.Reason, tc.reason) || got.Table != "orders" {
				t.Fatalf("got %s (%q), want %s with reason containing %q", verdict(got), got.Reason, tc.want, tc.reason)
			}
			if got.Known && !got.Changed && (got.SeenUntil.After(to.Add(-DefaultDelay)) || got.SeenUntil.Before(to.Add(-DefaultDelay-witnessPeriod))) {
				t.Fatalf("SeenUntil %s: want within five minutes before To minus the delay", got.SeenUntil)
			}
		})
	}
}

func TestSeenUntilStopsAtAGapInTheRegionsMetrics(t *testing.T) {
	f := newFixture(t, nil)
	f.createTable(t, "orders")
	f.emu.AddMetricsOutage(emulator.MetricsOutage{Region: region, From: t0.Add(30 * time.Minute), To: t0.Add(35 * time.Minute)})
	f.emu.AdvanceClock(time.Hour)
	got := f.changes(t, Window{Table: "orders", From: t0.Add(10 * time.Minute), To: t0.Add(time.Hour)})[0]
	if verdict(got) != "unchanged" || !got.SeenUntil.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("got %s until %s (%s), want unchanged until 12:30, where the region's metrics stop", verdict(got), got.SeenUntil, got.Reason)
	}
}

// A gap in the region's metrics cuts how far a table is proven unchanged,
// not how far its writes are read: a write after the gap is a change, or
// the same gap would hide every later write until MAX_UNCHANGED.
func TestAWriteAfterAGapIsAChange(t *testing.T) {
	f := newFixture(t, nil)
	f.createTable(t, "orders")
	f.emu.AddMetricsOutage(emulator.MetricsOutage{Region: region, From: t0.Add(30 * time.Minute), To: t0.Add(35 * time.Minute)})
	f.emu.AdvanceClock(50 * time.Minute)
	f.put(t, "orders", nil) // 12:50, after the gap
	f.emu.AdvanceClock(6 * time.Hour)
	got := f.changes(t, Window{Table: "orders", From: t0.Add(10 * time.Minute), To: t0.Add(7 * time.Hour)})[0]
	if verdict(got) != "changed" {
		t.Fatalf("got %s until %s (%s), want changed: the write at 12:50 is after the gap", verdict(got), got.SeenUntil, got.Reason)
	}
}

func TestOneWindowPerTableInBatchesOf500Queries(t *testing.T) {
	f := newFixture(t, nil)
	const tables = 600
	windows := make([]Window, tables)
	for i := range windows {
		name := fmt.Sprintf("t%03d", i)
		f.createTable(t, name)
		// Two copy times 20 minutes apart: two groups of starts.
		windows[i] = Window{Table: name, From: t0.Add(time.Duration(10+20*(i%2)) * time.Minute), To: t0.Add(2 * time.Hour)}
	}
	f.emu.AdvanceClock(15 * time.Minute)
	f.put(t, "t001", nil) // before its window (12:30)
	f.emu.AdvanceClock(20 * time.Minute)
	f.put(t, "t007", nil) // in its window
	f.put(t, "t010", nil) // in its window
	f.emu.AdvanceClock(2*time.Hour - 35*time.Minute)
	f.emu.ResetStats()

	got := f.changes(t, windows...)
	var changed []string
	for i, e := range got {
		if e.Table != windows[i].Table || !e.Known {
			t.Fatalf("window %d: %+v", i, e)
		}
		if e.Changed {
			changed = append(changed, e.Table)
		}
	}
	if strings.Join(changed, ",") != "t007,t010" {
		t.Fatalf("changed %v, want t007,t010", changed)
	}
	// One witness call, then per start group of 300 tables two calls of at
	// most 250 tables (500 queries).
	if calls := f.emu.Stats().ByOperation["GetMetricData"]; calls != 5 {
		t.Fatalf("%d GetMetricData calls, want 5", calls)
	}
}

// fakeAPI answers GetMetricData from a script of pages and records when it
// was called.
type fakeAPI struct {
	mu    sync.Mutex
	pages []*cloudwatch.GetMetricDataOutput
	calls []time.Time
	ins   []cloudwatch.GetMetricDataInput
}

func (f *fakeAPI) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, time.Now())
	f.ins = append(f.ins, *in)
	if len(f.pages) == 0 {
		return nil, fmt.Errorf("no page scripted")
	}
	p := f.pages[0]
	f.pages = f.pages[1:]
	return p, nil
}

func page(next string, results ...cwtypes.MetricDataResult) *cloudwatch.GetMetricDataOutput {
	out := &cloudwatch.GetMetricDataOutput{MetricDataResults: results}
	if next != "" {
		out.NextToken = aws.String(next)
	}
	return out
}

func scripted(id string, status cwtypes.StatusCode, at []time.Time, values ...float64) cwtypes.MetricDataResult {
	return cwtypes.MetricDataResult{Id: aws.String(id), StatusCode: status, Timestamps: at, Values: values}
}

func TestChangesFollowsNextToken(t *testing.T) {
	from, to := t0.Add(10*time.Minute), t0.Add(time.Hour)
	var witness []time.Time
	for at := t0.Add(10 * time.Minute); at.Before(to); at = at.Add(witnessPeriod) {
		witness = append(witness, at)
	}
	api := &fakeAPI{pages: []*cloudwatch.GetMetricDataOutput{
		page("w2", scripted("w", cwtypes.StatusCodePartialData, witness[:3], 8e4, 8e4, 8e4)),
		page("", scripted("w", cwtypes.StatusCodeComplete, witness[3:], make([]float64, len(witness)-3)...)),
		page("p2", scripted("c0", cwtypes.StatusCodePartialData, nil), scripted("t0", cwtypes.StatusCodePartialData, nil)),
		page("", scripted("c0", cwtypes.StatusCodeComplete, []time.Time{from}, 3), scripted("t0", cwtypes.StatusCodeComplete, nil)),
	}}
	got, err := New(api, Options{CallsPerSecond: 1000}).Changes(context.Background(), []Window{{Table: "orders", From: from, To: to}})
	if err != nil {
		t.Fatal(err)
	}
	if verdict(got[0]) != "changed" || len(api.calls) != 4 {
		t.Fatalf("got %s (%s) after %d calls, want changed after 4", verdict(got[0]), got[0].Reason, len(api.calls))
	}
	if aws.ToString(api.ins[1].NextToken) != "w2" || aws.ToString(api.ins[3].NextToken) != "p2" {
		t.Fatalf("tokens sent: %q, %q", aws.ToString(api.ins[1].NextToken), aws.ToString(api.ins[3].NextToken))
	}
}

func TestChangesPacesCalls(t *testing.T) {
	to := t0.Add(time.Hour)
	var witness []time.Time
	for at := t0; at.Before(to); at = at.Add(witnessPeriod) {
		witness = append(witness, at)
	}
	// Three start groups: three calls after the witness.
	windows := []Window{
		{Table: "a", From: t0, To: to}, {Table: "b", From: t0.Add(15 * time.Minute), To: to}, {Table: "c", From: t0.Add(30 * time.Minute), To: to},
	}
	api := &fakeAPI{pages: []*cloudwatch.GetMetricDataOutput{
		page("", scripted("w", cwtypes.StatusCodeComplete, witness, make([]float64, len(witness))...)),
		page("", scripted("c0", cwtypes.StatusCodeComplete, nil), scripted("t0", cwtypes.StatusCodeComplete, nil)),
		page("", scripted("c0", cwtypes.StatusCodeComplete, nil), scripted("t0", cwtypes.StatusCodeComplete, nil)),
		page("", scripted("c0", cwtypes.StatusCodeComplete, nil), scripted("t0", cwtypes.StatusCodeComplete, nil)),
	}}
	const perSecond = 20
	got, err := New(api, Options{CallsPerSecond: perSecond}).Changes(context.Background(), windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if verdict(e) != "unchanged" {
			t.Fatalf("%s: %s (%s)", e.Table, verdict(e), e.Reason)
		}
	}
	if len(api.calls) != 4 {
		t.Fatalf("%d calls, want 4", len(api.calls))
	}
	// The limiter spaces the calls' starts; the fake records them a moment
	// later, by a varying delay, so the span is checked with a margin.
	span := api.calls[len(api.calls)-1].Sub(api.calls[0])
	if want := time.Duration(len(api.calls)-1) * time.Second / perSecond; span < want-10*time.Millisecond {
		t.Fatalf("%d calls within %s, want at least %s at %d a second", len(api.calls), span, want, perSecond)
	}
}

func TestChangesStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	api := &fakeAPI{}
	_, err := New(api, Options{}).Changes(ctx, []Window{{Table: "orders", From: t0, To: t0.Add(time.Hour)}})
	if err == nil {
		t.Fatal("want the context's error")
	}
}

// TestChangesAt10000 times Changes over 10,000 tables against the emulator:
// the planner reads them in one Lambda invocation. The copies' data times
// are spread over a week of hourly runs, the worst case for batching (one
// StartTime per call), and 10% of the tables were written since.
func TestChangesAt10000(t *testing.T) {
	const tables, runs = 10000, 168
	f := newFixture(t, nil)
	to := t0.Add(8 * 24 * time.Hour)
	windows := make([]Window, tables)
	for i := range windows {
		name := fmt.Sprintf("table-%05d", i)
		f.createTable(t, name)
		windows[i] = Window{Table: name, From: to.Add(-time.Duration(1+i%runs) * time.Hour), To: to, Created: t0}
	}
	f.emu.AdvanceClock(to.Add(-30 * time.Minute).Sub(t0))
	for i := 0; i < tables; i += 10 {
		f.put(t, windows[i].Table, nil)
	}
	f.emu.AdvanceClock(30 * time.Minute)
	f.emu.ResetStats()

	start := time.Now()
	got, err := New(f.cw, Options{}).Changes(context.Background(), windows)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for i, e := range got {
		if !e.Known || e.Changed != (i%10 == 0) {
			t.Fatalf("%s: %s (%s)", e.Table, verdict(e), e.Reason)
		}
		if e.Changed {
			changed++
		}
	}
	calls := f.emu.Stats().ByOperation["GetMetricData"]
	t.Logf("Changes over %d tables (%d copy times, %d changed): %s, %d GetMetricData calls at %d per second",
		tables, runs, changed, elapsed.Round(time.Millisecond), calls, DefaultCallsPerSecond)
	if elapsed > time.Minute {
		t.Fatalf("%s: far too slow for one Lambda invocation", elapsed)
	}

	// Every copy from the same run: one StartTime, 250 tables per call.
	for i := range windows {
		windows[i].From = to.Add(-time.Hour)
	}
	f.emu.ResetStats()
	start = time.Now()
	if _, err := New(f.cw, Options{}).Changes(context.Background(), windows); err != nil {
		t.Fatal(err)
	}
	t.Logf("Changes over %d tables (one copy time): %s, %d GetMetricData calls",
		tables, time.Since(start).Round(time.Millisecond), f.emu.Stats().ByOperation["GetMetricData"])
}
