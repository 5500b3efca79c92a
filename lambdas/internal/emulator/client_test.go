package emulator

import (
	"fmt"
	"testing"

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
