// Package emulator is a local DynamoDB emulator that speaks the real wire
// protocol (JSON 1.0 over HTTP, as used by aws-sdk-go-v2), and answers
// CloudWatch's GetMetricData (Smithy RPC v2 CBOR) for the DynamoDB metrics
// it computes from the writes it served. It serves every
// region from one process: the region of a request is taken from the
// credential scope of its SigV4 Authorization header (signatures are not
// verified), state is kept per region, and backups are addressable by ARN from
// any region of the account.
//
// It models tables (with their secondary indexes, billing, streams settings,
// SSE, table class, deletion protection, tags, TTL and PITR settings), on-demand
// backups and restores (including cross-region restores), and items with a
// subset of the expression language. Lifecycle transitions (CREATING → ACTIVE,
// DELETING → gone, backup CREATING → AVAILABLE) take configurable durations and
// are evaluated lazily against the emulator clock on every request. By
// default it is as strict as DynamoDB documents itself to be (see Model):
// eventually consistent tags, ItemCount refreshed every six hours, backups
// being enabled after a restore, UPDATING time, the concurrent table
// operation quota and per-operation request rates.
//
// # Admin API
//
// The same HTTP server answers an admin API under /_emulator/:
//
//	GET    /_emulator/faults              list injected faults
//	POST   /_emulator/faults              add a fault: {"operation":"RestoreTableFromBackup",
//	                                      "errorCode":"LimitExceededException","message":"...",
//	                                      "tablePattern":"orders*","region":"","times":2}
//	                                      (times 0 = always, "" operation/region = any)
//	DELETE /_emulator/faults              clear all faults
//	POST   /_emulator/latency             {"operation":"","millis":50} ("" = every operation,
//	                                      0 millis removes the entry)
//	DELETE /_emulator/latency             clear all latencies
//	POST   /_emulator/regions/{region}/down  start a region outage
//	POST   /_emulator/regions/{region}/up    end it
//	GET    /_emulator/durations           current durations in milliseconds
//	POST   /_emulator/durations           {"tableCreate":200,"tableDelete":200,"backupCreate":500,
//	                                      "restore":1000,"perMiB":10} (milliseconds)
//	GET    /_emulator/model               how strictly DynamoDB is modelled (see Model)
//	POST   /_emulator/model               {"tagPropagation":0,"rates":{"ListBackups":0}} (milliseconds;
//	                                      omitted fields and rates keep their value, rate 0 = none)
//	POST   /_emulator/model/default       back to DefaultModel()
//	POST   /_emulator/clock               {"advanceSeconds":86400}
//	POST   /_emulator/ttl/expire          delete the items whose TTL has passed
//	GET    /_emulator/metrics/faults      list metrics faults
//	POST   /_emulator/metrics/faults      {"tablePattern":"orders*","region":"","statusCode":"PartialData"}
//	DELETE /_emulator/metrics/faults      clear metrics faults
//	POST   /_emulator/metrics/outages     {"region":"eu-west-1","from":"RFC 3339","to":"RFC 3339"}
//	POST   /_emulator/reset               drop all tables, backups, faults, latencies, outages, stats
//	GET    /_emulator/state               whole state as JSON
//	GET    /_emulator/stats               API call counts
//	POST   /_emulator/stats/reset         zero the counts
//
// Every admin operation has a Go equivalent on [Emulator].
//
// # Layout
//
// Package emulator wires three internal packages and keeps the test
// controls (faults, latency, outages, stats) and the admin API:
//
//   - internal/wire: the JSON 1.0 protocol, error documents and typed
//     request and response shapes;
//   - internal/expr: AttributeValues and the expression language;
//   - internal/state: tables, items, backups, lifecycle and quota, one typed
//     method per operation, and the per-minute metrics;
//   - internal/cw: CloudWatch's RPC v2 CBOR protocol and GetMetricData shapes.
//
// Imports go one way: wire ← expr ← state ← emulator, and cw ← emulator.
package emulator

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/cw"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/state"
)

// Durations configures how long lifecycle transitions take. The zero value
// makes every transition instant: the next request already sees the table
// ACTIVE or the backup AVAILABLE.
type Durations = state.Durations

// Model is how strictly the emulator follows DynamoDB's less convenient
// behaviours (eventual consistency of tags, delayed ItemCount, backups being
// enabled after a restore, UPDATING time, control-plane limits and request
// rates). DefaultModel is the default; a test relaxes one behaviour by
// changing one field of it.
type Model = state.Model

// DefaultModel is DynamoDB as its documentation describes it.
func DefaultModel() Model { return state.DefaultModel() }

// Options configures an Emulator.
type Options struct {
	// AccountID used in ARNs. Default "123456789012".
	AccountID string
	// Durations of lifecycle transitions. Zero means instant.
	Durations Durations
	// MaxConcurrentRestores is the account-wide limit (across regions) of
	// restores in progress; one more fails with LimitExceededException.
	// Default 50.
	MaxConcurrentRestores int
	// Model is how strictly DynamoDB's behaviours are modelled. Nil means
	// DefaultModel().
	Model *Model
	// Logger receives one debug record per API call and info records for
	// admin changes. Nil discards.
	Logger *slog.Logger
	// Now is the base clock. Nil means time.Now. AdvanceClock adds an offset
	// on top of it.
	Now func() time.Time
}

// Emulator is an in-memory DynamoDB. It implements http.Handler; use Start
// to serve it on a TCP address. It is safe for concurrent use.
type Emulator struct {
	log     *slog.Logger
	state   *state.State
	control *control // faults, latency, outages, stats; has its own lock
	mux     *http.ServeMux
}

// New returns an Emulator configured by opts.
func New(opts Options) *Emulator {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	model := DefaultModel()
	if opts.Model != nil {
		model = *opts.Model
	}
	e := &Emulator{
		log: log,
		state: state.New(state.Config{
			AccountID:             opts.AccountID,
			Durations:             opts.Durations,
			MaxConcurrentRestores: opts.MaxConcurrentRestores,
			Model:                 model,
			Logger:                log,
			Now:                   opts.Now,
		}),
		control: newControl(),
		mux:     http.NewServeMux(),
	}
	api := e.apiHandler()
	e.mux.Handle("/", api)
	e.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			api.ServeHTTP(w, r) // HEAD
			return
		}
		// DynamoDB answers health checks this way.
		io.WriteString(w, "healthy: dynamodb.emulator.local ")
	})
	e.mux.Handle("POST "+cw.PathPrefix+"{op}", e.cloudWatchHandler())
	e.routeAdmin()
	return e
}

// ServeHTTP serves the DynamoDB API on POST /, CloudWatch's GetMetricData
// on POST /service/GraniteServiceVersion20100801/operation/GetMetricData
// and the admin API under /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mux.ServeHTTP(w, r)
}

// Reset drops every table and backup in every region and their metrics, and
// clears faults (metrics faults too), metrics outages, latencies, region
// outages, stats and the clock offset. Durations and the
// restore quota are kept, and so is the model (its rate buckets refill).
func (e *Emulator) Reset() {
	e.state.Reset()
	e.control.reset()
	e.log.Info("emulator reset")
}

// SetDurations replaces the lifecycle durations. Transitions already under
// way keep the deadline they were given.
func (e *Emulator) SetDurations(d Durations) { e.state.SetDurations(d) }

// Durations returns the current lifecycle durations.
func (e *Emulator) Durations() Durations { return e.state.Durations() }

// SetModel replaces the model: how strictly DynamoDB's behaviours are
// modelled. Rate buckets start full.
func (e *Emulator) SetModel(m Model) { e.state.SetModel(m) }

// Model returns the current model.
func (e *Emulator) Model() Model { return e.state.Model() }

// SetMaxConcurrentRestores changes the account-wide restore quota.
func (e *Emulator) SetMaxConcurrentRestores(n int) { e.state.SetMaxConcurrentRestores(n) }

// AdvanceClock moves the emulator clock forward by d. Everything ages:
// creation times recede and lifecycle transitions due by then complete.
func (e *Emulator) AdvanceClock(d time.Duration) { e.state.AdvanceClock(d) }

// Now returns the emulator clock.
func (e *Emulator) Now() time.Time { return e.state.Now() }

// AccountID returns the account ID used in ARNs.
func (e *Emulator) AccountID() string { return e.state.AccountID() }
