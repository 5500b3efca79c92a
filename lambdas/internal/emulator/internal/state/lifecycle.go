package state

import "time"

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

// advanceLifecycle completes every transition due by now. It is called with
// e.mu held at the start of every request, so no background work is needed.
func (st *store) advanceLifecycle(now time.Time) {
	for _, rs := range st.regions {
		for name, t := range rs.tables {
			st.refreshUsage(t, now)
			if t.transitionAt.After(now) {
				continue
			}
			switch t.status {
			case statusCreating, statusUpdating:
				t.status = statusActive
				if t.restore != nil && t.restore.inProgress {
					t.restore.inProgress = false
					t.backupsFrom = t.transitionAt.Add(st.model.BackupsEnabling)
				}
			case statusDeleting:
				delete(rs.tables, name)
				st.log.Debug("table deleted", "region", rs.name, "table", name)
			}
		}
	}
	for _, b := range st.backups {
		if b.status == statusCreating && !b.readyAt.After(now) {
			b.status = statusAvailable
		}
	}
}
