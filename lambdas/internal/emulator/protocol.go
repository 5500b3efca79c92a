package emulator

import (
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveAPI handles one DynamoDB JSON 1.0 call.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	region := regionFromAuthorization(r.Header.Get("Authorization"))
	target := r.Header.Get("X-Amz-Target")
	op, known := strings.CutPrefix(target, targetPrefix)

	if r.Method != http.MethodPost {
		e.writeError(w, newError(codeUnknownOperation, ""))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		e.writeError(w, newError(codeSerialization, "failed to read request body"))
		return
	}
	names := extractResourceNames(body)
	e.admin.stats.record(op, region, names.table)

	if e.admin.isRegionDown(region) {
		e.log.Debug("region down: dropping connection", "op", op, "region", region)
		dropConnection(w)
		return
	}
	if d := e.admin.latencyFor(op); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if f := e.admin.matchFault(op, region, names.table); f != nil {
		e.log.Debug("fault injected", "op", op, "region", region, "table", names.table, "code", f.ErrorCode)
		e.writeError(w, &apiError{Code: f.ErrorCode, Message: f.Message})
		return
	}

	handler, ok := e.ops[op]
	if !known || !ok {
		e.writeError(w, newError(codeUnknownOperation, ""))
		return
	}

	e.mu.Lock()
	// DynamoDB timestamps have millisecond precision.
	now := e.now().Truncate(time.Millisecond)
	e.advanceLifecycle(now)
	rc := &requestContext{ctx: r.Context(), operation: op, region: region, now: now}
	out, err := handler(rc, body)
	e.mu.Unlock()

	if err != nil {
		var apiErr *apiError
		if !errors.As(err, &apiErr) {
			apiErr = newError(codeInternalServerError, "Internal server error")
			e.log.Error("internal error", "op", op, "err", err)
		}
		e.log.Debug("api call", "op", op, "region", region, "table", names.table, "error", apiErr.Code,
			"message", apiErr.Message, "elapsed", time.Since(start))
		e.writeError(w, apiErr)
		return
	}
	e.log.Debug("api call", "op", op, "region", region, "table", names.table, "elapsed", time.Since(start))
	b, err := json.Marshal(out)
	if err != nil {
		e.log.Error("marshal response", "op", op, "err", err)
		e.writeError(w, newError(codeInternalServerError, "Internal server error"))
		return
	}
	writeBody(w, http.StatusOK, b)
}

func (e *Emulator) writeError(w http.ResponseWriter, err *apiError) {
	writeBody(w, err.status(), err.body())
}

// writeBody sends a JSON 1.0 response with the headers DynamoDB sends,
// including the CRC32 checksum that aws-sdk-go-v2 validates.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("X-Amzn-Requestid", requestID())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// dropConnection closes the TCP connection without a response, the way a
// network failure looks to a client.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeBody(w, http.StatusServiceUnavailable, (&apiError{Code: codeServiceUnavailable, Message: "Service unavailable"}).body())
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.Close()
}

// regionFromAuthorization extracts the region from a SigV4 credential scope:
// "AWS4-HMAC-SHA256 Credential=AKID/20261123/ap-southeast-2/dynamodb/aws4_request, ...".
// Unsigned requests are served as us-east-1.
func regionFromAuthorization(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return defaultRegion
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) < 5 || parts[2] == "" {
		return defaultRegion
	}
	return parts[2]
}

// resourceNames are the resources a request refers to, for stats and fault
// matching.
type resourceNames struct {
	table string
}

// extractResourceNames finds the table a request is about: TableName,
// TargetTableName, the table of a BackupArn or ResourceArn, or the first
// table of a batch request.
func extractResourceNames(body []byte) resourceNames {
	var in struct {
		TableName       string
		TargetTableName string
		BackupArn       string
		ResourceArn     string
		RequestItems    map[string]json.RawMessage
	}
	_ = json.Unmarshal(body, &in)
	switch {
	case in.TableName != "":
		return resourceNames{table: in.TableName}
	case in.TargetTableName != "":
		return resourceNames{table: in.TargetTableName}
	case in.BackupArn != "":
		if a, ok := parseARN(in.BackupArn); ok {
			return resourceNames{table: a.table}
		}
	case in.ResourceArn != "":
		if a, ok := parseARN(in.ResourceArn); ok {
			return resourceNames{table: a.table}
		}
	}
	for name := range in.RequestItems {
		return resourceNames{table: name}
	}
	return resourceNames{}
}

const requestIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// requestID returns an ID shaped like DynamoDB's x-amzn-RequestId.
func requestID() string {
	var b [52]byte
	for i := range b {
		b[i] = requestIDAlphabet[rand.IntN(len(requestIDAlphabet))]
	}
	return string(b[:])
}
