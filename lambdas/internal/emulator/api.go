package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/state"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// operation serves one DynamoDB API operation: it decodes the request body
// and runs the operation in a state.Call.
type operation func(c *state.Call, body []byte) (any, error)

// op adapts a typed operation of state.Call (a method expression such as
// (*state.Call).CreateTable) to an operation: the body is decoded into In,
// and the *Out it returns is encoded as the response.
func op[In, Out any](f func(*state.Call, *In) (*Out, error)) operation {
	return func(c *state.Call, body []byte) (any, error) {
		var in In
		if err := wire.Decode(body, &in); err != nil {
			return nil, err
		}
		out, err := f(c, &in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// operations is every DynamoDB API operation the emulator serves.
var operations = map[string]operation{
	"CreateTable":               op((*state.Call).CreateTable),
	"DescribeTable":             op((*state.Call).DescribeTable),
	"ListTables":                op((*state.Call).ListTables),
	"UpdateTable":               op((*state.Call).UpdateTable),
	"DeleteTable":               op((*state.Call).DeleteTable),
	"TagResource":               op((*state.Call).TagResource),
	"UntagResource":             op((*state.Call).UntagResource),
	"ListTagsOfResource":        op((*state.Call).ListTagsOfResource),
	"UpdateTimeToLive":          op((*state.Call).UpdateTimeToLive),
	"DescribeTimeToLive":        op((*state.Call).DescribeTimeToLive),
	"UpdateContinuousBackups":   op((*state.Call).UpdateContinuousBackups),
	"DescribeContinuousBackups": op((*state.Call).DescribeContinuousBackups),
	"CreateBackup":              op((*state.Call).CreateBackup),
	"DescribeBackup":            op((*state.Call).DescribeBackup),
	"ListBackups":               op((*state.Call).ListBackups),
	"DeleteBackup":              op((*state.Call).DeleteBackup),
	"RestoreTableFromBackup":    op((*state.Call).RestoreTableFromBackup),
	"PutItem":                   op((*state.Call).PutItem),
	"GetItem":                   op((*state.Call).GetItem),
	"DeleteItem":                op((*state.Call).DeleteItem),
	"UpdateItem":                op((*state.Call).UpdateItem),
	"Query":                     op((*state.Call).Query),
	"Scan":                      op((*state.Call).Scan),
	"BatchWriteItem":            op((*state.Call).BatchWriteItem),
	"BatchGetItem":              op((*state.Call).BatchGetItem),
}

// apiHandler serves DynamoDB JSON 1.0 calls: the test controls (stats,
// outages, latency, faults) first, then the operation.
func (e *Emulator) apiHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		region := wire.RegionFromAuthorization(r.Header.Get("Authorization"))
		name, known := strings.CutPrefix(r.Header.Get("X-Amz-Target"), wire.TargetPrefix)

		if r.Method != http.MethodPost {
			wire.WriteError(w, wire.Errorf(wire.CodeUnknownOperation, ""))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxRequestBytes))
		if err != nil {
			wire.WriteError(w, wire.Errorf(wire.CodeSerialization, "failed to read request body"))
			return
		}
		table := wire.TableOf(body)
		e.control.stats.record(name, region, table)

		if e.control.isRegionDown(region) {
			e.log.Debug("region down: dropping connection", "op", name, "region", region)
			wire.DropConnection(w)
			return
		}
		if d := e.control.latencyFor(name); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if f := e.control.matchFault(name, region, table); f != nil {
			e.log.Debug("fault injected", "op", name, "region", region, "table", table, "code", f.ErrorCode)
			wire.WriteError(w, &wire.Error{Code: f.ErrorCode, Message: f.Message})
			return
		}

		serve, ok := operations[name]
		if !known || !ok {
			wire.WriteError(w, wire.Errorf(wire.CodeUnknownOperation, ""))
			return
		}
		if err := e.state.Admit(name, region); err != nil {
			e.control.stats.recordThrottle(name)
			e.log.Debug("throttled", "op", name, "region", region, "table", table, "error", err)
			wire.WriteError(w, err)
			return
		}
		out, err := e.state.Serve(region, func(c *state.Call) (any, error) { return serve(c, body) })
		if err != nil {
			var apiErr *wire.Error
			if !errors.As(err, &apiErr) {
				apiErr = wire.Errorf(wire.CodeInternalServerError, "Internal server error")
				e.log.Error("internal error", "op", name, "err", err)
			}
			e.log.Debug("api call", "op", name, "region", region, "table", table, "error", apiErr.Code,
				"message", apiErr.Message, "elapsed", time.Since(start))
			wire.WriteError(w, apiErr)
			return
		}
		e.log.Debug("api call", "op", name, "region", region, "table", table, "elapsed", time.Since(start))
		b, err := json.Marshal(out)
		if err != nil {
			e.log.Error("marshal response", "op", name, "err", err)
			wire.WriteError(w, wire.Errorf(wire.CodeInternalServerError, "Internal server error"))
			return
		}
		wire.WriteBody(w, http.StatusOK, b)
	})
}
