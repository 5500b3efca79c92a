package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// t0 is a fixed emulator clock, on a five-minute boundary.
var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// cwEnv is an emulator on a fixed clock with DynamoDB and CloudWatch
// clients for regionA.
type cwEnv struct {
	*env
	cw *cloudwatch.Client
}

func newCWEnv(t *testing.T, model *Model) *cwEnv {
	t.Helper()
	e := newEnv(t, Options{Now: func() time.Time { return t0 }, Model: model})
	return &cwEnv{env: e, cw: newCWClient(e.srv, regionA, 1)}
}

// newCWClient is the real SDK CloudWatch client for region, pointed at srv.
func newCWClient(srv *Server, region string, maxAttempts int) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(clientConfig(srv, region, maxAttempts))
}

// dynamoMetric is one DynamoDB metric query; table "" has no dimensions.
func dynamoMetric(id, metric, table, stat string, period int32) cwtypes.MetricDataQuery {
	m := &cwtypes.Metric{Namespace: aws.String("AWS/DynamoDB"), MetricName: aws.String(metric)}
	if table != "" {
		m.Dimensions = []cwtypes.Dimension{{Name: aws.String("TableName"), Value: aws.String(table)}}
	}
	return cwtypes.MetricDataQuery{Id: aws.String(id),
		MetricStat: &cwtypes.MetricStat{Metric: m, Period: aws.Int32(period), Stat: aws.String(stat)}}
}

// getMetric reads one metric over [from, to) and renders its datapoints,
// oldest first, as "15:04=value" plus the status.
func (e *cwEnv) getMetric(t *testing.T, metric, table, stat string, period int32, from, to time.Time) string {
	t.Helper()
	out, err := e.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(to), ScanBy: cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{dynamoMetric("q", metric, table, stat, period)},
	})
	if err != nil {
		t.Fatalf("GetMetricData %s: %v", metric, err)
	}
	if len(out.MetricDataResults) != 1 {
		t.Fatalf("want one result, got %d", len(out.MetricDataResults))
	}
	return render(out.MetricDataResults[0])
}

func render(r cwtypes.MetricDataResult) string {
	var b strings.Builder
	for i, ts := range r.Timestamps {
		fmt.Fprintf(&b, "%s=%g ", ts.UTC().Format("15:04"), r.Values[i])
	}
	b.WriteString(string(r.StatusCode))
	return b.String()
}

func put(t *testing.T, c *dynamodb.Client, table string, sk int, payload string) {
	t.Helper()
	putItems(t, c, table, []map[string]types.AttributeValue{{"pk": s("a"), "sk": n(sk), "data": s(payload)}})
}

func TestConsumedWriteCapacityPublishedAfterDelay(t *testing.T) {
	e := newCWEnv(t, nil)
	createTable(t, e.a, "orders")
	e.emu.AdvanceClock(90 * time.Second) // 12:01:30
	put(t, e.a, "orders", 1, "x")
	put(t, e.a, "orders", 2, strings.Repeat("y", 2500)) // 3 KB: 3 units

	from, to := t0, t0.Add(time.Hour)
	if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, from, to); got != "Complete" {
		t.Fatalf("within the publication delay: got %q, want no datapoints", got)
	}
	e.emu.AdvanceClock(5*time.Minute + 29*time.Second) // 12:06:59: minute 12:01 ends 12:02, plus 5 min
	if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, from, to); got != "Complete" {
		t.Fatalf("one second before publication: got %q", got)
	}
	e.emu.AdvanceClock(time.Second)
	if got, want := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, from, to), "12:01=4 Complete"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "SampleCount", 60, from, to), "12:01=2 Complete"; got != want {
		t.Fatalf("SampleCount: got %q, want %q", got, want)
	}
}

func TestWritesThatConsumeCapacity(t *testing.T) {
	cases := []struct {
		name  string
		write func(t *testing.T, c *dynamodb.Client)
		want  string
	}{
		{"put", func(t *testing.T, c *dynamodb.Client) { put(t, c, "orders", 9, "x") }, "12:05=1 Complete"},
		{"update", func(t *testing.T, c *dynamodb.Client) {
			_, err := c.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("orders"),
				Key:              map[string]types.AttributeValue{"pk": s("a"), "sk": n(1)},
				UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(2)}})
			if err != nil {
				t.Fatal(err)
			}
		}, "12:05=2 Complete"}, // the old item is 2 KB
		{"delete of a missing item", func(t *testing.T, c *dynamodb.Client) {
			_, err := c.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("orders"),
				Key: map[string]types.AttributeValue{"pk": s("nope"), "sk": n(1)}})
			if err != nil {
				t.Fatal(err)
			}
		}, "12:05=1 Complete"},
		{"failed conditional write", func(t *testing.T, c *dynamodb.Client) {
			_, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("orders"),
				Item:                map[string]types.AttributeValue{"pk": s("a"), "sk": n(1)},
				ConditionExpression: aws.String("attribute_not_exists(pk)")})
			wantErrorAs[*types.ConditionalCheckFailedException](t, err)
		}, "12:05=2 Complete"},
		{"batch write", func(t *testing.T, c *dynamodb.Client) {
			_, err := c.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
				"orders": {
					{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": s("b"), "sk": n(1)}}},
					{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"pk": s("a"), "sk": n(1)}}},
				}}})
			if err != nil {
				t.Fatal(err)
			}
		}, "12:05=3 Complete"},
		{"invalid write", func(t *testing.T, c *dynamodb.Client) {
			_, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("orders"),
				Item: map[string]types.AttributeValue{"pk": s("a")}})
			wantAPIError(t, err, "ValidationException")
		}, "Complete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newCWEnv(t, relaxed(func(m *Model) { m.MetricsDelay = 0 }))
			createTable(t, e.a, "orders")
			put(t, e.a, "orders", 1, strings.Repeat("z", 1500)) // 12:00, 2 units
			e.emu.AdvanceClock(5 * time.Minute)
			tc.write(t, e.a)
			e.emu.AdvanceClock(time.Minute)
			if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, t0.Add(5*time.Minute), t0.Add(time.Hour)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTTLDeletionsCountedNotConsumed(t *testing.T) {
	e := newCWEnv(t, relaxed(func(m *Model) { m.MetricsDelay = 0 }))
	createTable(t, e.a, "sessions")
	if _, err := e.a.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	putItems(t, e.a, "sessions", []map[string]types.AttributeValue{
		{"pk": s("a"), "sk": n(1), "exp": n(int(t0.Add(time.Minute).Unix()))},
		{"pk": s("a"), "sk": n(2), "exp": n(int(t0.Add(time.Hour).Unix()))},
		{"pk": s("a"), "sk": n(3), "exp": s("not a number")},
		{"pk": s("a"), "sk": n(4)},
	})
	e.emu.AdvanceClock(10 * time.Minute)
	if got := e.emu.ExpireTTL(); got != 1 {
		t.Fatalf("ExpireTTL deleted %d items, want 1", got)
	}
	e.emu.AdvanceClock(time.Minute)
	from, to := t0.Add(5*time.Minute), t0.Add(time.Hour)
	if got, want := e.getMetric(t, "TimeToLiveDeletedItemCount", "sessions", "Sum", 3600, from, to), "12:05=1 Complete"; got != want {
		t.Fatalf("TimeToLiveDeletedItemCount: got %q, want %q", got, want)
	}
	if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "sessions", "Sum", 3600, from, to); got != "Complete" {
		t.Fatalf("a TTL deletion consumes no write capacity: got %q", got)
	}
	out, err := e.a.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("sessions")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 3 {
		t.Fatalf("%d items left, want 3", out.Count)
	}
}

func TestIdleTablePublishesNothingButAccountMetricDoes(t *testing.T) {
	e := newCWEnv(t, nil)
	createTable(t, e.a, "idle")
	e.emu.AdvanceClock(32 * time.Minute) // 12:32: the five minutes to 12:25 are published at 12:30
	from, to := t0, t0.Add(time.Hour)
	if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "idle", "Sum", 60, from, to); got != "Complete" {
		t.Fatalf("idle table: got %q, want no datapoints", got)
	}
	want := "12:00=80000 12:05=80000 12:10=80000 12:15=80000 12:20=80000 Complete"
	if got := e.getMetric(t, "AccountMaxWrites", "", "Maximum", 300, from, to); got != want {
		t.Fatalf("AccountMaxWrites: got %q, want %q", got, want)
	}
}

func TestMetricsOutageDropsEveryMetricOfTheSpan(t *testing.T) {
	e := newCWEnv(t, relaxed(func(m *Model) { m.MetricsDelay = 0 }))
	createTable(t, e.a, "orders")
	e.emu.AddMetricsOutage(MetricsOutage{Region: regionA, From: t0.Add(5 * time.Minute), To: t0.Add(10 * time.Minute)})
	e.emu.AdvanceClock(7 * time.Minute)
	put(t, e.a, "orders", 1, "x") // 12:07, in the outage
	e.emu.AdvanceClock(10 * time.Minute)
	put(t, e.a, "orders", 2, "x") // 12:17
	e.emu.AdvanceClock(10 * time.Minute)
	from, to := t0, t0.Add(time.Hour)
	if got, want := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, from, to), "12:17=1 Complete"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := e.getMetric(t, "AccountMaxWrites", "", "Maximum", 300, from, to), "12:00=80000 12:10=80000 12:15=80000 12:20=80000 Complete"; got != want {
		t.Fatalf("AccountMaxWrites: got %q, want %q", got, want)
	}
	// Another region is not affected.
	cwB := newCWClient(e.srv, regionB, 1)
	out, err := cwB.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(from), EndTime: aws.Time(to),
		MetricDataQueries: []cwtypes.MetricDataQuery{dynamoMetric("q", "AccountMaxWrites", "", "Maximum", 300)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out.MetricDataResults[0].Values); got != 5 {
		t.Fatalf("regionB: %d datapoints, want 5", got)
	}
}

func TestMetricsFaults(t *testing.T) {
	for _, status := range []cwtypes.StatusCode{cwtypes.StatusCodePartialData, cwtypes.StatusCodeInternalError, cwtypes.StatusCodeForbidden} {
		t.Run(string(status), func(t *testing.T) {
			e := newCWEnv(t, relaxed(func(m *Model) { m.MetricsDelay = 0 }))
			createTable(t, e.a, "orders")
			createTable(t, e.a, "users")
			put(t, e.a, "orders", 1, "x")
			put(t, e.a, "users", 1, "x")
			e.emu.AddMetricsFault(MetricsFault{TablePattern: "ord*", StatusCode: string(status)})
			e.emu.AdvanceClock(2 * time.Minute)
			from, to := t0, t0.Add(time.Hour)
			if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, from, to); got != string(status) {
				t.Fatalf("orders: got %q, want %s and no datapoints", got, status)
			}
			if got, want := e.getMetric(t, "ConsumedWriteCapacityUnits", "users", "Sum", 60, from, to), "12:00=1 Complete"; got != want {
				t.Fatalf("users: got %q, want %q", got, want)
			}
			e.emu.ClearMetricsFaults()
			if got, want := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, from, to), "12:00=1 Complete"; got != want {
				t.Fatalf("orders after clearing: got %q, want %q", got, want)
			}
		})
	}
}

func TestGetMetricDataLimits(t *testing.T) {
	e := newCWEnv(t, nil)
	queries := func(n int) []cwtypes.MetricDataQuery {
		q := make([]cwtypes.MetricDataQuery, n)
		for i := range q {
			q[i] = dynamoMetric(fmt.Sprintf("q%d", i), "ConsumedWriteCapacityUnits", fmt.Sprintf("t%d", i), "Sum", 60)
		}
		return q
	}
	from, to := t0.Add(-time.Hour), t0
	if _, err := e.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{StartTime: &from, EndTime: &to, MetricDataQueries: queries(500)}); err != nil {
		t.Fatalf("500 queries: %v", err)
	}
	_, err := e.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{StartTime: &from, EndTime: &to, MetricDataQueries: queries(501)})
	wantErrorAs[*cwtypes.InvalidParameterValueException](t, err)
	wantAPIError(t, err, "InvalidParameterValue")

	_, err = e.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{StartTime: &to, EndTime: &from, MetricDataQueries: queries(1)})
	wantAPIError(t, err, "InvalidParameterValue")

	bad := queries(1)
	bad[0].Id = aws.String("Upper")
	_, err = e.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{StartTime: &from, EndTime: &to, MetricDataQueries: bad})
	wantAPIError(t, err, "InvalidParameterValue")
}

func TestGetMetricDataRate(t *testing.T) {
	e := newCWEnv(t, nil)
	from, to := t0.Add(-time.Hour), t0
	in := &cloudwatch.GetMetricDataInput{StartTime: &from, EndTime: &to,
		MetricDataQueries: []cwtypes.MetricDataQuery{dynamoMetric("q", "AccountMaxWrites", "", "Maximum", 300)}}
	throttled := 0
	for range 70 {
		if _, err := e.cw.GetMetricData(ctx(t), in); err != nil {
			wantAPIError(t, err, "Throttling")
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("70 calls at once: none throttled, want the 50 per second quota enforced")
	}
	if got := e.emu.Stats().Throttled["GetMetricData"]; got != int64(throttled) {
		t.Fatalf("stats count %d throttled calls, want %d", got, throttled)
	}
}

func TestGetMetricDataPagination(t *testing.T) {
	e := newCWEnv(t, relaxed(func(m *Model) { m.MetricsDelay = 0 }))
	createTable(t, e.a, "orders")
	createTable(t, e.a, "users")
	for i := range 3 {
		put(t, e.a, "orders", i, "x")
		put(t, e.a, "users", i, "x")
		e.emu.AdvanceClock(time.Minute)
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)), MaxDatapoints: aws.Int32(2),
		ScanBy: cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{
			dynamoMetric("o", "ConsumedWriteCapacityUnits", "orders", "Sum", 60),
			dynamoMetric("u", "ConsumedWriteCapacityUnits", "users", "Sum", 60),
		}}
	var pages []string
	p := cloudwatch.NewGetMetricDataPaginator(e.cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		var rs []string
		for _, r := range page.MetricDataResults {
			rs = append(rs, aws.ToString(r.Id)+":"+render(r))
		}
		pages = append(pages, strings.Join(rs, " | "))
	}
	want := []string{
		"o:12:00=1 12:01=1 PartialData | u:PartialData",
		"o:12:02=1 Complete | u:12:00=1 PartialData",
		"u:12:01=1 12:02=1 Complete",
	}
	if strings.Join(pages, "\n") != strings.Join(want, "\n") {
		t.Fatalf("pages:\n%s\nwant:\n%s", strings.Join(pages, "\n"), strings.Join(want, "\n"))
	}

	first, err := e.cw.GetMetricData(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	other := *in
	other.NextToken = first.NextToken
	other.MaxDatapoints = aws.Int32(3)
	_, err = e.cw.GetMetricData(ctx(t), &other)
	wantErrorAs[*cwtypes.InvalidNextToken](t, err)
}

func TestGetMetricDataFaultsAndProtocol(t *testing.T) {
	e := newCWEnv(t, nil)
	e.emu.AddFault(Fault{Operation: "GetMetricData", ErrorCode: "InternalServiceFault", Times: 1})
	from, to := t0.Add(-time.Hour), t0
	in := &cloudwatch.GetMetricDataInput{StartTime: &from, EndTime: &to,
		MetricDataQueries: []cwtypes.MetricDataQuery{dynamoMetric("q", "AccountMaxWrites", "", "Maximum", 300)}}
	_, err := e.cw.GetMetricData(ctx(t), in)
	wantErrorAs[*cwtypes.InternalServiceFault](t, err)
	if _, err := e.cw.GetMetricData(ctx(t), in); err != nil {
		t.Fatalf("after the fault: %v", err)
	}

	resp, err := http.Post(e.srv.URL+"/service/GraniteServiceVersion20100801/operation/GetMetricData", "application/cbor", bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-Query-Error") == "" {
		t.Fatalf("a request without smithy-protocol: status %d, query error %q", resp.StatusCode, resp.Header.Get("X-Amzn-Query-Error"))
	}
}

func TestMetricsAdminAPI(t *testing.T) {
	e := newCWEnv(t, nil)
	admin(t, e.srv, http.MethodPost, "model", `{"metricsDelay":0}`, nil)
	if got := e.emu.Model().MetricsDelay; got != 0 {
		t.Fatalf("metricsDelay %s after POST /model, want 0", got)
	}
	createTable(t, e.a, "orders")
	if _, err := e.a.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("orders"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	putItems(t, e.a, "orders", []map[string]types.AttributeValue{{"pk": s("a"), "sk": n(1), "exp": n(int(t0.Unix()) - 1)}})
	var expired map[string]int
	admin(t, e.srv, http.MethodPost, "ttl/expire", "", &expired)
	if expired["deleted"] != 1 {
		t.Fatalf("POST ttl/expire: %v, want 1 deleted", expired)
	}

	admin(t, e.srv, http.MethodPost, "metrics/faults", `{"tablePattern":"orders","statusCode":"PartialData"}`, nil)
	var faults []MetricsFault
	admin(t, e.srv, http.MethodGet, "metrics/faults", "", &faults)
	if len(faults) != 1 || faults[0].StatusCode != "PartialData" {
		t.Fatalf("GET metrics/faults: %+v", faults)
	}
	e.emu.AdvanceClock(time.Minute)
	if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, t0, t0.Add(time.Hour)); got != "PartialData" {
		t.Fatalf("with the fault: %q", got)
	}
	admin(t, e.srv, http.MethodDelete, "metrics/faults", "", nil)
	if got := e.getMetric(t, "ConsumedWriteCapacityUnits", "orders", "Sum", 60, t0, t0.Add(time.Hour)); got != "12:00=1 Complete" {
		t.Fatalf("after clearing: %q", got)
	}

	admin(t, e.srv, http.MethodPost, "metrics/outages", `{"region":"us-east-1","from":"2026-11-24T12:00:00Z","to":"2026-11-24T12:01:00Z"}`, nil)
	if got := e.getMetric(t, "TimeToLiveDeletedItemCount", "orders", "Sum", 60, t0, t0.Add(time.Hour)); got != "Complete" {
		t.Fatalf("in the outage: %q, want no datapoints", got)
	}
}
