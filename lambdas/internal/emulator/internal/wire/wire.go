// Package wire is DynamoDB's JSON 1.0 protocol as the emulator speaks it:
// request framing and decoding, the region of a call (from its SigV4
// credential scope), ARNs, error documents, and typed structs for every
// request and response shape. Field names are the wire names; it knows
// nothing of the emulator's state.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

const (
	// TargetPrefix is the X-Amz-Target prefix of every DynamoDB operation.
	TargetPrefix = "DynamoDB_20120810."
	// DefaultRegion serves calls that are not signed.
	DefaultRegion = "us-east-1"
	// MaxRequestBytes caps the body of a request.
	MaxRequestBytes = 16 << 20
)

// Decode unmarshals a request body. Type mismatches are reported the way AWS
// reports them, as a SerializationException.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return Errorf(CodeSerialization, "%s", serializationMessage(err))
	}
	return nil
}

func serializationMessage(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("Unexpected value type in payload for field %s", typeErr.Field)
	}
	return "Start of structure or map found where not expected."
}

// WriteError sends err as DynamoDB's error document with its status code.
func WriteError(w http.ResponseWriter, err *Error) {
	WriteBody(w, err.status(), err.body())
}

// WriteBody sends a JSON 1.0 response with the headers DynamoDB sends,
// including the CRC32 checksum that aws-sdk-go-v2 validates.
func WriteBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("X-Amzn-Requestid", RequestID())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// DropConnection closes the TCP connection without a response, the way a
// network failure looks to a client.
func DropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		WriteError(w, &Error{Code: CodeServiceUnavailable, Message: "Service unavailable"})
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.Close()
}

// RegionFromAuthorization extracts the region from a SigV4 credential scope:
// "AWS4-HMAC-SHA256 Credential=AKID/20261123/ap-southeast-2/dynamodb/aws4_request, ...".
// Unsigned requests are served as us-east-1.
func RegionFromAuthorization(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return DefaultRegion
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) < 5 || parts[2] == "" {
		return DefaultRegion
	}
	return parts[2]
}

// TableOf finds the table a request is about, for stats and fault matching:
// TableName, TargetTableName, the table of a BackupArn or ResourceArn, or the
// first table of a batch request. It is "" when there is none.
func TableOf(body []byte) string {
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
		return in.TableName
	case in.TargetTableName != "":
		return in.TargetTableName
	case in.BackupArn != "":
		if a, ok := ParseARN(in.BackupArn); ok {
			return a.Table
		}
	case in.ResourceArn != "":
		if a, ok := ParseARN(in.ResourceArn); ok {
			return a.Table
		}
	}
	for name := range in.RequestItems {
		return name
	}
	return ""
}

// ARN is a parsed DynamoDB ARN.
type ARN struct {
	Region, Account string
	Table           string
	BackupID        string // "01700000000000-abcdef12" for backup ARNs
	Index, Stream   string
}

// ParseARN parses arn:aws:dynamodb:REGION:ACCOUNT:table/NAME[/backup/ID|/index/NAME|/stream/LABEL].
func ParseARN(arn string) (ARN, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "dynamodb" || parts[3] == "" {
		return ARN{}, false
	}
	res := strings.Split(parts[5], "/")
	if len(res) < 2 || res[0] != "table" || res[1] == "" {
		return ARN{}, false
	}
	a := ARN{Region: parts[3], Account: parts[4], Table: res[1]}
	switch {
	case len(res) == 2:
	case len(res) == 4 && res[2] == "backup":
		a.BackupID = res[3]
	case len(res) == 4 && res[2] == "index":
		a.Index = res[3]
	case len(res) == 4 && res[2] == "stream":
		a.Stream = res[3]
	default:
		return ARN{}, false
	}
	return a, true
}

const requestIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// RequestID returns an ID shaped like DynamoDB's x-amzn-RequestId.
func RequestID() string {
	var b [52]byte
	for i := range b {
		b[i] = requestIDAlphabet[rand.IntN(len(requestIDAlphabet))]
	}
	return string(b[:])
}
