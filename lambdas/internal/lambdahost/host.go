// Package lambdahost runs Lambda handlers in one process for the local
// runner and the end-to-end tests. It answers Lambda's Invoke API
// (POST /2015-03-31/functions/{name}/invocations) and calls each handler
// through aws-lambda-go's own invocation path, so payload decoding and the
// reported errorType are what Lambda would produce. Handlers builds every
// handler of the registry for it; cmd/local is the host binary.
package lambdahost

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Host serves Invoke calls for a set of named handlers.
type Host struct {
	// functions holds, per handler, idle instances: like Lambda's execution
	// environments, each runs one invocation at a time (aws-lambda-go
	// reuses its response buffer), and more are made when all are busy.
	functions map[string]*sync.Pool
	// Timeout is the deadline given to each invocation (Lambda's function
	// timeout); default 5 minutes.
	Timeout time.Duration

	// AfterInvoke, when set, sees every successful invocation's response.
	AfterInvoke func(name string, response []byte)

	mu          sync.Mutex
	invocations map[string]int
	errors      map[string]int
}

// New hosts handlers, each a function with a signature lambda.Start accepts.
func New(handlers map[string]any) *Host {
	h := &Host{functions: map[string]*sync.Pool{}, invocations: map[string]int{}, errors: map[string]int{}, Timeout: 5 * time.Minute}
	for name, fn := range handlers {
		//lint:ignore SA1019 aws-lambda-go's Function is the invocation path its runtime uses (payload decoding, error document); it is exactly what the host must reproduce.
		h.functions[name] = &sync.Pool{New: func() any { return lambda.NewFunction(lambda.NewHandler(fn)) }}
	}
	return h
}

// Stats counts invocations and function errors per handler.
type Stats struct {
	Invocations map[string]int `json:"invocations"`
	Errors      map[string]int `json:"errors"`
}

// Stats returns a copy of the counters.
func (h *Host) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Invocations: map[string]int{}, Errors: map[string]int{}}
	for k, v := range h.invocations {
		s.Invocations[k] = v
	}
	for k, v := range h.errors {
		s.Errors[k] = v
	}
	return s
}

// Invoke calls one handler with payload. It returns the response payload,
// or the error as Lambda reports it ({"errorMessage", "errorType"}).
func (h *Host) Invoke(name string, payload []byte) (response []byte, fnErr *messages.InvokeResponse_Error, ok bool) {
	instances, ok := h.functions[name]
	if !ok {
		return nil, nil, false
	}
	fn := instances.Get().(*lambda.Function) //lint:ignore SA1019 see New
	defer instances.Put(fn)
	deadline := time.Now().Add(h.Timeout)
	req := &messages.InvokeRequest{
		Payload:   payload,
		RequestId: name + "-" + time.Now().Format("150405.000000000"),
		Deadline:  messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
	}
	var resp messages.InvokeResponse
	if err := fn.Invoke(req, &resp); err != nil {
		resp.Error = &messages.InvokeResponse_Error{Type: "Runtime.Error", Message: err.Error()}
	}
	// The payload aliases the instance's response buffer, which its next
	// invocation overwrites.
	resp.Payload = bytes.Clone(resp.Payload)
	h.mu.Lock()
	h.invocations[name]++
	if resp.Error != nil {
		h.errors[name]++
	}
	h.mu.Unlock()
	if resp.Error == nil && h.AfterInvoke != nil {
		h.AfterInvoke(name, resp.Payload)
	}
	return resp.Payload, resp.Error, true
}

// ServeHTTP implements the subset of Lambda's Invoke API the runner uses: a
// function error answers 200 with the X-Amz-Function-Error header and the
// error document as body, as Lambda does.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/stats" {
		writeJSON(w, http.StatusOK, h.Stats())
		return
	}
	name := r.PathValue("name")
	if r.Method != http.MethodPost || name == "" {
		http.NotFound(w, r)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, fnErr, ok := h.Invoke(name, payload)
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"Type": "User", "Message": "Function not found: " + name})
	case fnErr != nil:
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		writeJSON(w, http.StatusOK, map[string]any{"errorMessage": fnErr.Message, "errorType": fnErr.Type})
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	}
}

// Routes returns a mux with the host's routes.
func (h *Host) Routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /2015-03-31/functions/{name}/invocations", h)
	mux.Handle("GET /stats", h)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
