// Package state is the emulator's DynamoDB: tables, items, backups and
// restores per region, their lifecycle against the emulator clock, and the
// account's restore quota. Each API operation is a typed method on [Call]
// that takes and returns the wire shapes of package wire and fails with a
// *wire.Error; a Call exists only inside [State.Serve], with the state
// locked and every transition due by then completed.
package state

import (
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

const (
	defaultAccountID             = "123456789012"
	defaultMaxConcurrentRestores = 50
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

// Config configures a State. Zero values take the defaults documented on
// emulator.Options.
type Config struct {
	AccountID             string
	Durations             Durations
	MaxConcurrentRestores int
	Model                 Model
	Logger                *slog.Logger
	Now                   func() time.Time
}

// State is every region's tables and the account's backups. It is safe for
// concurrent use.
type State struct {
	mu sync.Mutex
	st *store
}

// store is the data behind State; it is only used with State.mu held.
type store struct {
	accountID   string
	log         *slog.Logger
	baseNow     func() time.Time
	offset      time.Duration
	durations   Durations
	maxRestores int
	model       Model
	started     time.Time // real time at creation, for rateClock
	buckets     map[bucketKey]*bucket
	rng         *rand.Rand
	regions     map[string]*regionState
	backups     map[string]*backup // by ARN, account-wide
	pending     transitions        // lifecycle transitions under way, by deadline
	seq         uint64             // transitions started
	restoring   int                // restores in progress, in every region
	metricsFrom time.Time          // when the account metrics start (the last reset)
	outages     []MetricsOutage
}

// regionState is everything that lives in one region.
type regionState struct {
	name       string
	tables     map[string]*table
	names      []string             // the keys of tables, sorted
	operations int                  // tables CREATING, UPDATING or DELETING
	backups    []*backup            // the region's backups, in backupCmp order
	backupsOf  map[string][]*backup // the region's backups by source table name, in backupCmp order
	metrics    map[seriesKey]series // CloudWatch metrics by table name, which outlive the table
}

// New returns an empty State.
func New(cfg Config) *State {
	st := &store{
		accountID:   cfg.AccountID,
		log:         cfg.Logger,
		baseNow:     cfg.Now,
		durations:   cfg.Durations,
		maxRestores: cfg.MaxConcurrentRestores,
		model:       cfg.Model.clone(),
		started:     time.Now(),
		rng:         rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15)),
	}
	if st.accountID == "" {
		st.accountID = defaultAccountID
	}
	if st.log == nil {
		st.log = slog.New(slog.DiscardHandler)
	}
	if st.baseNow == nil {
		st.baseNow = time.Now
	}
	if st.maxRestores <= 0 {
		st.maxRestores = defaultMaxConcurrentRestores
	}
	st.reset()
	return &State{st: st}
}

// Call is one API call being served: the state, locked, as seen from the
// calling region at the call's instant.
type Call struct {
	*store
	region string
	now    time.Time
}

// Serve runs op as a call from region, with the state locked and every
// transition due by now completed.
func (s *State) Serve(region string, op func(*Call) (any, error)) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// DynamoDB timestamps have millisecond precision.
	now := s.st.clock().Truncate(time.Millisecond)
	s.st.advanceLifecycle(now)
	return op(&Call{store: s.st, region: region, now: now})
}

// clock is the emulator clock: the base clock plus the AdvanceClock offset.
func (st *store) clock() time.Time {
	return st.baseNow().Add(st.offset)
}

func (st *store) inRegion(name string) *regionState {
	rs, ok := st.regions[name]
	if !ok {
		rs = &regionState{name: name, tables: map[string]*table{}, backupsOf: map[string][]*backup{}, metrics: map[seriesKey]series{}}
		st.regions[name] = rs
	}
	return rs
}

func (st *store) reset() {
	st.offset = 0
	st.buckets = map[bucketKey]*bucket{}
	st.regions = map[string]*regionState{}
	st.backups = map[string]*backup{}
	st.pending = nil
	st.restoring = 0
	st.metricsFrom = st.clock()
	st.outages = nil
}

// Reset drops every table and backup in every region, their metrics and
// metrics outages, the clock offset and the rate buckets. Durations, the model and the restore quota are kept.
func (s *State) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.reset()
}

// SetDurations replaces the lifecycle durations. Transitions already under
// way keep the deadline they were given.
func (s *State) SetDurations(d Durations) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.durations = d
	s.st.log.Info("durations set", "tableCreate", d.TableCreate, "tableDelete", d.TableDelete,
		"backupCreate", d.BackupCreate, "restore", d.Restore, "perMiB", d.PerMiB)
}

// Durations returns the current lifecycle durations.
func (s *State) Durations() Durations {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.durations
}

// SetMaxConcurrentRestores changes the account-wide restore quota; n <= 0
// restores the default.
func (s *State) SetMaxConcurrentRestores(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		n = defaultMaxConcurrentRestores
	}
	s.st.maxRestores = n
}

// AdvanceClock moves the clock forward by d (negative counts as zero) and
// completes the transitions due by then.
func (s *State) AdvanceClock(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d < 0 {
		d = 0
	}
	s.st.offset += d
	s.st.advanceLifecycle(s.st.clock())
	s.st.log.Info("clock advanced", "by", d, "now", s.st.clock())
}

// Now returns the emulator clock.
func (s *State) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.clock()
}

// AccountID returns the account ID used in ARNs.
func (s *State) AccountID() string { return s.st.accountID }
