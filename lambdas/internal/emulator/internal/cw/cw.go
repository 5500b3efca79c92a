// Package cw is the CloudWatch side of the emulator's wire: the Smithy RPC
// v2 CBOR protocol that the current aws-sdk-go-v2 CloudWatch client speaks
// (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html), the
// GetMetricData request and response shapes, and CloudWatch's errors.
//
// A call is POST /service/GraniteServiceVersion20100801/operation/<Op> with
// the header "smithy-protocol: rpc-v2-cbor" and a CBOR body whose map keys
// are the member names; timestamps are CBOR tag 1 (epoch seconds). An
// error is a CBOR map {"__type": <shape id>, "message": ...}; CloudWatch is
// query-compatible, so it also carries the awsQuery error code in the
// X-Amzn-Query-Error header ("Code;Sender"), which the SDK reports as the
// error's code.
package cw

import (
	"fmt"
	"net/http"
	"time"

	"github.com/fxamacker/cbor/v2"
)

const (
	// PathPrefix is the path of every CloudWatch operation; the operation
	// name follows it.
	PathPrefix = "/service/GraniteServiceVersion20100801/operation/"
	// ProtocolHeader and Protocol identify an RPC v2 CBOR request.
	ProtocolHeader = "Smithy-Protocol"
	Protocol       = "rpc-v2-cbor"

	shapeNamespace = "com.amazonaws.cloudwatch#"
)

// GetMetricDataInput is the request of GetMetricData
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
type GetMetricDataInput struct {
	StartTime         *time.Time        `cbor:"StartTime"`
	EndTime           *time.Time        `cbor:"EndTime"`
	MetricDataQueries []MetricDataQuery `cbor:"MetricDataQueries"`
	NextToken         *string           `cbor:"NextToken"`
	ScanBy            string            `cbor:"ScanBy"`
	MaxDatapoints     *int32            `cbor:"MaxDatapoints"`
}

// MetricDataQuery is one query: a metric with its statistic, or an
// expression.
type MetricDataQuery struct {
	ID         string      `cbor:"Id"`
	MetricStat *MetricStat `cbor:"MetricStat"`
	Expression *string     `cbor:"Expression"`
	Label      *string     `cbor:"Label"`
	ReturnData *bool       `cbor:"ReturnData"`
	Period     *int32      `cbor:"Period"`
	AccountID  *string     `cbor:"AccountId"`
}

// MetricStat is a metric, its period and statistic.
type MetricStat struct {
	Metric Metric `cbor:"Metric"`
	Period *int32 `cbor:"Period"`
	Stat   string `cbor:"Stat"`
	Unit   string `cbor:"Unit"`
}

// Metric is a namespace, name and dimensions.
type Metric struct {
	Namespace  string      `cbor:"Namespace"`
	MetricName string      `cbor:"MetricName"`
	Dimensions []Dimension `cbor:"Dimensions"`
}

// Dimension is one name=value pair of a metric.
type Dimension struct {
	Name  string `cbor:"Name"`
	Value string `cbor:"Value"`
}

// GetMetricDataOutput is the response of GetMetricData.
type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult `cbor:"MetricDataResults"`
	NextToken         string             `cbor:"NextToken,omitempty"`
	Messages          []MessageData      `cbor:"Messages,omitempty"`
}

// MetricDataResult is the datapoints of one query.
type MetricDataResult struct {
	ID         string        `cbor:"Id"`
	Label      string        `cbor:"Label"`
	StatusCode string        `cbor:"StatusCode"`
	Timestamps []time.Time   `cbor:"Timestamps"`
	Values     []float64     `cbor:"Values"`
	Messages   []MessageData `cbor:"Messages,omitempty"`
}

// MessageData is a message attached to a result.
type MessageData struct {
	Code  string `cbor:"Code"`
	Value string `cbor:"Value"`
}

// The StatusCode values of a MetricDataResult.
const (
	StatusComplete      = "Complete"
	StatusPartialData   = "PartialData"
	StatusInternalError = "InternalError"
	StatusForbidden     = "Forbidden"
)

// Error is a CloudWatch error: its modelled shape, the awsQuery code the
// SDK reports, the HTTP status and message.
type Error struct {
	Shape     string
	QueryCode string
	Status    int
	Message   string
}

func (e *Error) Error() string { return e.QueryCode + ": " + e.Message }

// InvalidParameterValue is CloudWatch's error for a bad or out-of-range
// parameter (InvalidParameterValueException, awsQuery code
// InvalidParameterValue).
func InvalidParameterValue(format string, args ...any) *Error {
	return &Error{Shape: "InvalidParameterValueException", QueryCode: "InvalidParameterValue",
		Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// MissingParameter is CloudWatch's error for a required parameter left out.
func MissingParameter(name string) *Error {
	return &Error{Shape: "MissingRequiredParameterException", QueryCode: "MissingParameter",
		Status: http.StatusBadRequest, Message: "The parameter " + name + " is required."}
}

// InvalidNextToken is CloudWatch's error for a token that does not belong
// to the request.
func InvalidNextToken() *Error {
	return &Error{Shape: "InvalidNextToken", QueryCode: "InvalidNextToken",
		Status: http.StatusBadRequest, Message: "The service couldn't process the next token."}
}

// Throttling is CloudWatch's answer to a call over the rate ("Rate
// exceeded", code Throttling, as CloudWatch's throttling responses show:
// https://repost.aws/knowledge-center/cloudwatch-400-error-throttling).
func Throttling() *Error {
	return &Error{Shape: "ThrottlingException", QueryCode: "Throttling",
		Status: http.StatusBadRequest, Message: "Rate exceeded"}
}

// FromCode is an error with an arbitrary code, for injected faults:
// InternalServiceFault (and the DynamoDB name InternalServerError) is
// CloudWatch's InternalServiceFault (500, awsQuery code
// InternalServiceError), ServiceUnavailable a 503, anything else a client
// error with that code.
func FromCode(code, message string) *Error {
	switch code {
	case "InternalServiceFault", "InternalServerError":
		return &Error{Shape: "InternalServiceFault", QueryCode: "InternalServiceError",
			Status: http.StatusInternalServerError, Message: message}
	case "ServiceUnavailable":
		return &Error{Shape: code, QueryCode: code, Status: http.StatusServiceUnavailable, Message: message}
	}
	return &Error{Shape: code, QueryCode: code, Status: http.StatusBadRequest, Message: message}
}

var encMode = func() cbor.EncMode {
	m, err := cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// Decode reads a CBOR request body into v.
func Decode(body []byte, v any) *Error {
	if err := cbor.Unmarshal(body, v); err != nil {
		return &Error{Shape: "SerializationException", QueryCode: "SerializationException",
			Status: http.StatusBadRequest, Message: "failed to decode the CBOR request: " + err.Error()}
	}
	return nil
}

// WriteResponse writes v as a successful CBOR response.
func WriteResponse(w http.ResponseWriter, requestID string, v any) error {
	b, err := encMode.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode CBOR response: %w", err)
	}
	writeHeaders(w, requestID)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// WriteError writes e in the RPC v2 CBOR error shape.
func WriteError(w http.ResponseWriter, requestID string, e *Error) {
	// The error shapes name their message member "message" or "Message"
	// (InternalServiceFault); both are sent.
	b, err := encMode.Marshal(map[string]string{"__type": shapeNamespace + e.Shape, "message": e.Message, "Message": e.Message})
	if err != nil {
		panic(err) // a map of strings always encodes
	}
	writeHeaders(w, requestID)
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", e.QueryCode+";"+fault)
	w.WriteHeader(e.Status)
	w.Write(b)
}

func writeHeaders(w http.ResponseWriter, requestID string) {
	w.Header().Set(ProtocolHeader, Protocol)
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-RequestId", requestID)
}
