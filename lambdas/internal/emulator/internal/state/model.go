package state

import (
	"maps"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// Model is how closely the emulator follows DynamoDB's less convenient
// behaviours: eventual consistency, delayed statistics, control-plane
// limits and request rates. [DefaultModel] is as strict as AWS documents
// them; the zero value turns every one of them off, so a test relaxes one
// behaviour by changing one field of DefaultModel.
type Model struct {
	// TagsRequireActive makes TagResource, UntagResource and
	// ListTagsOfResource answer ResourceNotFoundException on a table that is
	// not ACTIVE.
	TagsRequireActive bool
	// TagPropagation is how long a tag change takes to show in
	// ListTagsOfResource.
	TagPropagation time.Duration
	// BackupsEnabling is how long, after a restored table becomes ACTIVE,
	// CreateBackup and UpdateContinuousBackups answer
	// ContinuousBackupsUnavailableException. AWS documents no length; any
	// length makes a client poll until backups are ENABLED, and the local
	// runner shortens its waits but not this window, so the default is
	// short enough for every local run to wait it out in real time.
	BackupsEnabling time.Duration
	// StatsRefresh is how often ItemCount and TableSizeBytes (of tables and
	// indexes) are refreshed; 0 reports them live.
	StatsRefresh time.Duration
	// TableUpdate is how long UpdateTable leaves a table UPDATING; 0
	// completes the update by the next request.
	TableUpdate time.Duration
	// MaxTableOperations is how many tables of a region may be CREATING
	// (restores included), UPDATING or DELETING at once; one more operation
	// fails with LimitExceededException. 0 is unlimited.
	MaxTableOperations int
	// MetricsDelay is how long after a metric's period ends its datapoint
	// appears in GetMetricData. AWS documents no figure; see the README.
	MetricsDelay time.Duration
	// Rates is the sustained request rate per second allowed per operation
	// and region; a call above it fails with LimitExceededException (for
	// GetMetricData, CloudWatch's Throttling). Operations not listed are
	// unlimited.
	Rates map[string]float64
}

// DefaultModel is DynamoDB as documented (see the emulator's README for the
// source of each value).
func DefaultModel() Model {
	return Model{
		TagsRequireActive:  true,
		TagPropagation:     2 * time.Second,
		BackupsEnabling:    3 * time.Second,
		StatsRefresh:       6 * time.Hour,
		TableUpdate:        5 * time.Second,
		MaxTableOperations: 500,
		MetricsDelay:       5 * time.Minute,
		Rates: map[string]float64{
			"ListTagsOfResource":     10,
			"TagResource":            5,
			"UntagResource":          5,
			"ListBackups":            5,
			"DescribeBackup":         10,
			"DeleteBackup":           10,
			"RestoreTableFromBackup": 10,
			"CreateBackup":           50,
			"GetMetricData":          50,
		},
	}
}

func (m Model) clone() Model {
	m.Rates = maps.Clone(m.Rates)
	return m
}

// SetModel replaces the model. Rate buckets start full; transitions already
// under way keep their deadlines.
func (s *State) SetModel(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.model = m.clone()
	s.st.buckets = map[bucketKey]*bucket{}
	s.st.log.Info("model set", "tagsRequireActive", m.TagsRequireActive, "tagPropagation", m.TagPropagation,
		"backupsEnabling", m.BackupsEnabling, "statsRefresh", m.StatsRefresh, "tableUpdate", m.TableUpdate,
		"maxTableOperations", m.MaxTableOperations, "metricsDelay", m.MetricsDelay, "rates", m.Rates)
}

// Model returns the current model.
func (s *State) Model() Model {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.model.clone()
}

// ---- request rates ----

type bucketKey struct{ op, region string }

// bucket is a token bucket: it holds up to one second of calls and refills
// at the operation's rate.
type bucket struct {
	tokens float64
	at     time.Duration // rateClock reading of the last refill
}

// rateClock is the time rates are measured on: real (monotonic) time since
// the state was created plus the AdvanceClock offset. With the default base
// clock that is the emulator clock; a test that fixes the base clock still
// sees buckets refill in real time, so its SDK retries can succeed.
func (st *store) rateClock() time.Duration {
	return time.Since(st.started) + st.offset
}

// Admit takes one call of op from region out of its rate bucket, or fails
// with LimitExceededException when the bucket is empty.
func (s *State) Admit(op, region string) *wire.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	rate := st.model.Rates[op]
	if rate <= 0 {
		return nil
	}
	now := st.rateClock()
	k := bucketKey{op, region}
	b, ok := st.buckets[k]
	if !ok {
		b = &bucket{tokens: rate, at: now}
		st.buckets[k] = b
	}
	b.tokens = min(rate, b.tokens+rate*(now-b.at).Seconds())
	b.at = now
	if b.tokens < 1 {
		return wire.Errorf(wire.CodeLimitExceeded, "Rate exceeded for %s: at most %g calls per second per account and region", op, rate)
	}
	b.tokens--
	return nil
}

// ---- concurrent table operations ----

// startTableOperation fails with LimitExceededException when the region
// already has the model's maximum of table operations in progress.
func (c *Call) startTableOperation() error {
	max := c.model.MaxTableOperations
	if max <= 0 {
		return nil
	}
	if n := c.inRegion(c.region).operations; n >= max {
		return wire.Errorf(wire.CodeLimitExceeded, "Subscriber limit exceeded: Only %d tables can be created, updated, or deleted simultaneously. Current table operations in progress: %d", max, n)
	}
	return nil
}

// ---- tags ----

// tagVersion is a table's tag set as ListTagsOfResource reports it from
// an instant on.
type tagVersion struct {
	from time.Time
	tags map[string]string
}

// setTags records the table's tags after a change made now; ListTagsOfResource
// sees them once the model's propagation delay has passed.
func (c *Call) setTags(t *table) {
	t.tagVersions = append(t.tagVersions, tagVersion{from: c.now.Add(c.model.TagPropagation), tags: maps.Clone(t.tags)})
}

// visibleTags is the latest tag set visible now; older versions are dropped.
func (t *table) visibleTags(now time.Time) map[string]string {
	visible := 0
	for i, v := range t.tagVersions {
		if !v.from.After(now) {
			visible = i
		}
	}
	t.tagVersions = t.tagVersions[visible:]
	if len(t.tagVersions) == 0 || t.tagVersions[0].from.After(now) {
		return nil
	}
	return t.tagVersions[0].tags
}

// ---- ItemCount and TableSizeBytes ----

// usage is what DescribeTable reports of a table's size.
type usage struct {
	items, bytes int64
	indexes      map[string]indexUsage
}

type indexUsage struct{ items, bytes int64 }

// measure is the table's usage now (an index holds the items that have all
// of its key attributes).
func (t *table) measure() usage {
	u := usage{items: int64(len(t.items)), bytes: t.sizeBytes(), indexes: map[string]indexUsage{}}
	for _, ix := range t.indexes() {
		u.indexes[ix.name] = t.indexTotals[ix.name]
	}
	return u
}

// reportedUsage is the usage DynamoDB reports now: live, or as of the last
// refresh.
func (st *store) reportedUsage(t *table) usage {
	if st.model.StatsRefresh <= 0 {
		return t.measure()
	}
	return t.usage
}

// refreshUsage measures the table when a refresh is due: refreshes happen
// every StatsRefresh from the table's creation. It runs before anything
// reads or changes the table (see regionTable), and items only change in
// requests, so the measure is the usage at the latest refresh instant,
// however long ago that was.
func (st *store) refreshUsage(t *table, now time.Time) {
	every := st.model.StatsRefresh
	if every <= 0 {
		return
	}
	if due := t.created.Add(now.Sub(t.created).Truncate(every)); due.After(t.usageAt) {
		t.usage = t.measure()
		t.usageAt = due
	}
}
