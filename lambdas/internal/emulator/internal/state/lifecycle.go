package state

import (
	"container/heap"
	"time"
)

// Table and backup statuses, as DynamoDB reports them.
const (
	statusCreating  = "CREATING"
	statusActive    = "ACTIVE"
	statusUpdating  = "UPDATING"
	statusDeleting  = "DELETING"
	statusAvailable = "AVAILABLE"
	statusDeleted   = "DELETED"
)

const mib = 1 << 20

// scaled is how long a transition of the given fixed duration takes
// for a resource of sizeBytes.
func (d Durations) scaled(fixed time.Duration, sizeBytes int64) time.Duration {
	if d.PerMiB <= 0 || sizeBytes <= 0 {
		return fixed
	}
	return fixed + time.Duration(float64(d.PerMiB)*float64(sizeBytes)/mib)
}

// transition is a lifecycle transition under way: a table's CREATING,
// UPDATING or DELETING, or a backup's CREATING, which ends at a deadline.
// A transition, once started, is never cancelled or changed: a table or
// backup in transition cannot be updated or deleted.
type transition struct {
	at     time.Time
	seq    uint64       // start order, for ties
	region *regionState // with table
	table  *table
	backup *backup
}

// transitions is a min-heap of transitions by deadline (container/heap).
type transitions []transition

func (h transitions) Len() int { return len(h) }
func (h transitions) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h transitions) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *transitions) Push(x any)   { *h = append(*h, x.(transition)) }
func (h *transitions) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (st *store) schedule(tr transition) {
	st.seq++
	tr.seq = st.seq
	heap.Push(&st.pending, tr)
}

// startTableTransition puts t, a table of rs, in status (CREATING, UPDATING
// or DELETING) until at; it counts among the region's table operations in
// progress until then.
func (st *store) startTableTransition(rs *regionState, t *table, status string, at time.Time) {
	t.status = status
	t.transitionAt = at
	rs.operations++
	st.schedule(transition{at: at, region: rs, table: t})
}

// startBackup makes b, a new backup, CREATING until its readyAt.
func (st *store) startBackup(b *backup) {
	b.status = statusCreating
	st.schedule(transition{at: b.readyAt, backup: b})
}

// advanceLifecycle completes every transition due by now. It is called with
// the state locked at the start of every request, so no background work is
// needed; it looks only at the transitions due, so its cost does not grow
// with the number of tables and backups.
func (st *store) advanceLifecycle(now time.Time) {
	for len(st.pending) > 0 && !st.pending[0].at.After(now) {
		tr := heap.Pop(&st.pending).(transition)
		if b := tr.backup; b != nil {
			b.status = statusAvailable
			continue
		}
		rs, t := tr.region, tr.table
		rs.operations--
		switch t.status {
		case statusCreating, statusUpdating:
			t.status = statusActive
			if t.restore != nil && t.restore.inProgress {
				t.restore.inProgress = false
				st.restoring--
				t.backupsFrom = t.transitionAt.Add(st.model.BackupsEnabling)
			}
		case statusDeleting:
			rs.dropTable(t)
			st.log.Debug("table deleted", "region", rs.name, "table", t.name)
		}
	}
}
