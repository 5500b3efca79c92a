// Package emulator is a local DynamoDB emulator that speaks the real wire
// protocol (JSON 1.0 over HTTP, as used by aws-sdk-go-v2). It serves every
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
// are evaluated lazily against the emulator clock on every request.
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
//	POST   /_emulator/clock               {"advanceSeconds":86400}
//	POST   /_emulator/reset               drop all tables, backups, faults, latencies, outages, stats
//	GET    /_emulator/state               whole state as JSON
//	GET    /_emulator/stats               API call counts
//	POST   /_emulator/stats/reset         zero the counts
//
// Every admin operation has a Go equivalent on [Emulator].
package emulator

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	defaultAccountID             = "123456789012"
	defaultMaxConcurrentRestores = 50
	defaultRegion                = "us-east-1"
	maxRequestBytes              = 16 << 20
	targetPrefix                 = "DynamoDB_20120810."
)

// Durations configures how long lifecycle transitions take. The zero value
// makes every transition instant: the next request already sees the table
// ACTIVE or the backup AVAILABLE.
type Durations struct {
	TableCreate  time.Duration // CreateTable: CREATING → ACTIVE
	TableDelete  time.Duration // DeleteTable: DELETING → gone
	BackupCreate time.Duration // CreateBackup: CREATING → AVAILABLE, plus PerMiB × table size
	Restore      time.Duration // RestoreTableFromBackup: CREATING → ACTIVE, plus PerMiB × backup size
	// PerMiB is added per MiB of table or backup size to BackupCreate and
	// Restore.
	PerMiB time.Duration
}

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
	accountID string
	log       *slog.Logger
	baseNow   func() time.Time
	reserved  reservedWords
	ops       map[string]operation

	mu          sync.Mutex
	offset      time.Duration
	durations   Durations
	maxRestores int
	rng         *rand.Rand
	regions     map[string]*regionState
	backups     map[string]*backup // by ARN, account-wide

	admin *adminState // never replaced; has its own lock
}

// regionState is everything that lives in one region.
type regionState struct {
	name   string
	tables map[string]*table
}

// New returns an Emulator configured by opts.
func New(opts Options) *Emulator {
	e := &Emulator{
		accountID:   opts.AccountID,
		log:         opts.Logger,
		baseNow:     opts.Now,
		reserved:    newReservedWords(),
		durations:   opts.Durations,
		maxRestores: opts.MaxConcurrentRestores,
		rng:         rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15)),
		admin:       newAdminState(),
	}
	if e.accountID == "" {
		e.accountID = defaultAccountID
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.baseNow == nil {
		e.baseNow = time.Now
	}
	if e.maxRestores <= 0 {
		e.maxRestores = defaultMaxConcurrentRestores
	}
	e.ops = e.operations()
	e.resetLocked()
	return e
}

// operation handles one DynamoDB API operation. It runs with e.mu held.
type operation func(rc *requestContext, body []byte) (any, error)

// requestContext carries what a handler needs to know about the call.
type requestContext struct {
	ctx       context.Context
	operation string
	region    string
	now       time.Time
}

func (e *Emulator) operations() map[string]operation {
	return map[string]operation{
		"CreateTable":               e.createTable,
		"DescribeTable":             e.describeTable,
		"ListTables":                e.listTables,
		"UpdateTable":               e.updateTable,
		"DeleteTable":               e.deleteTable,
		"TagResource":               e.tagResource,
		"UntagResource":             e.untagResource,
		"ListTagsOfResource":        e.listTagsOfResource,
		"UpdateTimeToLive":          e.updateTimeToLive,
		"DescribeTimeToLive":        e.describeTimeToLive,
		"UpdateContinuousBackups":   e.updateContinuousBackups,
		"DescribeContinuousBackups": e.describeContinuousBackups,
		"CreateBackup":              e.createBackup,
		"DescribeBackup":            e.describeBackup,
		"ListBackups":               e.listBackups,
		"DeleteBackup":              e.deleteBackup,
		"RestoreTableFromBackup":    e.restoreTableFromBackup,
		"PutItem":                   e.putItem,
		"GetItem":                   e.getItem,
		"DeleteItem":                e.deleteItem,
		"UpdateItem":                e.updateItem,
		"Query":                     e.query,
		"Scan":                      e.scan,
		"BatchWriteItem":            e.batchWriteItem,
		"BatchGetItem":              e.batchGetItem,
	}
}

// now is the emulator clock: the base clock plus the AdvanceClock offset.
// Callers hold e.mu.
func (e *Emulator) now() time.Time {
	return e.baseNow().Add(e.offset)
}

// ServeHTTP serves the DynamoDB API on POST / and the admin API under
// /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		e.serveAdmin(w, r)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		// DynamoDB answers health checks this way.
		io.WriteString(w, "healthy: dynamodb.emulator.local ")
		return
	}
	e.serveAPI(w, r)
}

func (e *Emulator) region(name string) *regionState {
	rs, ok := e.regions[name]
	if !ok {
		rs = &regionState{name: name, tables: map[string]*table{}}
		e.regions[name] = rs
	}
	return rs
}

// Reset drops every table and backup in every region, and clears faults,
// latencies, region outages, stats and the clock offset. Durations and the
// restore quota are kept.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resetLocked()
	e.log.Info("emulator reset")
}

func (e *Emulator) resetLocked() {
	e.offset = 0
	e.regions = map[string]*regionState{}
	e.backups = map[string]*backup{}
	e.admin.reset()
}

// SetDurations replaces the lifecycle durations. Transitions already under
// way keep the deadline they were given.
func (e *Emulator) SetDurations(d Durations) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.durations = d
	e.log.Info("durations set", "tableCreate", d.TableCreate, "tableDelete", d.TableDelete,
		"backupCreate", d.BackupCreate, "restore", d.Restore, "perMiB", d.PerMiB)
}

// Durations returns the current lifecycle durations.
func (e *Emulator) Durations() Durations {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.durations
}

// SetMaxConcurrentRestores changes the account-wide restore quota.
func (e *Emulator) SetMaxConcurrentRestores(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n <= 0 {
		n = defaultMaxConcurrentRestores
	}
	e.maxRestores = n
}

// AdvanceClock moves the emulator clock forward by d. Everything ages:
// creation times recede and lifecycle transitions due by then complete.
func (e *Emulator) AdvanceClock(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d < 0 {
		d = 0
	}
	e.offset += d
	e.advanceLifecycle(e.now())
	e.log.Info("clock advanced", "by", d, "now", e.now())
}

// Now returns the emulator clock.
func (e *Emulator) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now()
}

// AccountID returns the account ID used in ARNs.
func (e *Emulator) AccountID() string { return e.accountID }
