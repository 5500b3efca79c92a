package lambdahost

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentInvocationsKeepTheirPayloads: the state machine's Map
// invokes one handler many times at once; each caller must get its own
// response intact (aws-lambda-go reuses a handler's response buffer).
func TestConcurrentInvocationsKeepTheirPayloads(t *testing.T) {
	type out struct{ Echo, Pad string }
	h := New(map[string]any{"echo": func(_ context.Context, in struct{ N int }) (out, error) {
		return out{Echo: fmt.Sprint(in.N), Pad: strings.Repeat("x", in.N%7*100)}, nil
	}})
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload, fnErr, ok := h.Invoke("echo", []byte(fmt.Sprintf(`{"N":%d}`, i)))
			var got out
			if !ok || fnErr != nil || json.Unmarshal(payload, &got) != nil || got.Echo != fmt.Sprint(i) {
				t.Errorf("invocation %d: payload %q, error %v", i, payload, fnErr)
			}
		}()
	}
	wg.Wait()
}

// TestErrorTypeIsTheGoTypeName: a handler's error reaches the caller as
// Lambda reports it.
func TestErrorTypeIsTheGoTypeName(t *testing.T) {
	h := New(map[string]any{"fail": func(context.Context) error { return &quotaError{} }})
	_, fnErr, ok := h.Invoke("fail", []byte(`{}`))
	if !ok || fnErr == nil || fnErr.Type != "quotaError" || fnErr.Message != "quota" {
		t.Errorf("error = %+v, want type quotaError", fnErr)
	}
	if _, _, ok := h.Invoke("missing", nil); ok {
		t.Error("an unknown function was invoked")
	}
}

type quotaError struct{}

func (*quotaError) Error() string { return "quota" }
