package emulator

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TestNewHTTPClientAvoidsClosedConnectionRace makes enough single-attempt
// calls that, with the SDK's default HTTP client, one of them often fails
// with "use of closed network connection" (see NewHTTPClient).
func TestNewHTTPClientAvoidsClosedConnectionRace(t *testing.T) {
	if testing.Short() {
		t.Skip("many calls")
	}
	e := newEnv(t, Options{Model: relaxed(func(m *Model) { m.Rates = nil })})
	createTable(t, e.a, "race")
	for i := range 100 {
		createBackup(t, e.a, "race", fmt.Sprintf("race-%03d", i))
	}
	for i := range 1500 {
		if _, err := e.a.ListBackups(ctx(t), &dynamodb.ListBackupsInput{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

// TestNewHTTPClientReusesConnections makes calls from many goroutines at
// once, as a local run does, and counts the connections the emulator
// accepts: the client keeps one idle connection per concurrent caller, so
// it opens about as many as there are callers, not one per call.
func TestNewHTTPClientReusesConnections(t *testing.T) {
	const callers, calls = 50, 40
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(New(Options{}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		Region:       regionA,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:   NewHTTPClient(),
	})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range calls {
				if _, err := client.ListTables(ctx(t), &dynamodb.ListTablesInput{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := opened.Load(); n > 4*callers {
		t.Errorf("%d calls from %d callers opened %d connections, want at most %d", callers*calls, callers, n, 4*callers)
	} else {
		t.Logf("%d calls from %d callers opened %d connections", callers*calls, callers, n)
	}
}
