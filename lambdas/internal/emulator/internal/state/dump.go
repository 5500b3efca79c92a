package state

import (
	"maps"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"
)

// Dump is the whole state at one instant, for the admin API.
type Dump struct {
	AccountID             string
	Now                   time.Time
	ClockOffset           time.Duration
	Durations             Durations
	MaxConcurrentRestores int
	Regions               map[string]RegionDump
}

// RegionDump is a region's tables (by name) and backups (oldest first).
type RegionDump struct {
	Tables  map[string]TableDump `json:"tables"`
	Backups []BackupDump         `json:"backups"`
}

type TableDump struct {
	Status                    string                  `json:"status"`
	Arn                       string                  `json:"arn"`
	ID                        string                  `json:"id"`
	Created                   time.Time               `json:"created"`
	TransitionAt              *time.Time              `json:"transitionAt,omitempty"`
	KeySchema                 []wire.KeySchemaElement `json:"keySchema"`
	GlobalSecondaryIndexes    []string                `json:"globalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes     []string                `json:"localSecondaryIndexes,omitempty"`
	ItemCount                 int                     `json:"itemCount"`
	SizeBytes                 int64                   `json:"sizeBytes"`
	BillingMode               string                  `json:"billingMode"`
	ReadCapacityUnits         int64                   `json:"readCapacityUnits,omitempty"`
	WriteCapacityUnits        int64                   `json:"writeCapacityUnits,omitempty"`
	StreamViewType            string                  `json:"streamViewType,omitempty"`
	SSEKMSKeyArn              string                  `json:"sseKmsKeyArn,omitempty"`
	TableClass                string                  `json:"tableClass,omitempty"`
	DeletionProtectionEnabled bool                    `json:"deletionProtectionEnabled"`
	TTLAttribute              string                  `json:"ttlAttribute,omitempty"`
	PITREnabled               bool                    `json:"pitrEnabled"`
	Tags                      map[string]string       `json:"tags"`
	RestoredFrom              string                  `json:"restoredFrom,omitempty"`
	RestoreInProgress         bool                    `json:"restoreInProgress,omitempty"`
}

type BackupDump struct {
	Arn         string    `json:"arn"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	Type        string    `json:"type"`
	Created     time.Time `json:"created"`
	ReadyAt     time.Time `json:"readyAt"`
	SourceTable string    `json:"sourceTable"`
	ItemCount   int64     `json:"itemCount"`
	SizeBytes   int64     `json:"sizeBytes"`
}

// Dump returns the state after completing the transitions due by now.
func (s *State) Dump() Dump {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	now := st.clock()
	st.advanceLifecycle(now)
	d := Dump{
		AccountID:             st.accountID,
		Now:                   now,
		ClockOffset:           st.offset,
		Durations:             st.durations,
		MaxConcurrentRestores: st.maxRestores,
		Regions:               map[string]RegionDump{},
	}
	for name, rs := range st.regions {
		rd := RegionDump{Tables: map[string]TableDump{}, Backups: []BackupDump{}}
		for tn, t := range rs.tables {
			rd.Tables[tn] = t.dump()
		}
		for _, b := range rs.backups {
			rd.Backups = append(rd.Backups, BackupDump{
				Arn: b.arn, Name: b.name, Status: b.status, Type: b.backupType, Created: b.created, ReadyAt: b.readyAt,
				SourceTable: b.source.arn, ItemCount: b.source.itemCount, SizeBytes: b.sizeBytes,
			})
		}
		d.Regions[name] = rd
	}
	return d
}

func (t *table) dump() TableDump {
	d := TableDump{
		Status: t.status, Arn: t.arn, ID: t.id, Created: t.created, KeySchema: t.keySchema,
		ItemCount: len(t.items), SizeBytes: t.sizeBytes(), BillingMode: t.billingMode,
		ReadCapacityUnits: t.rcu, WriteCapacityUnits: t.wcu,
		SSEKMSKeyArn: t.sse.kmsKeyArn, TableClass: t.tableClass,
		DeletionProtectionEnabled: t.deletionProtection, TTLAttribute: t.ttl.attr,
		PITREnabled: t.pitr.enabled, Tags: maps.Clone(t.tags),
	}
	if t.status != statusActive {
		at := t.transitionAt
		d.TransitionAt = &at
	}
	for _, ix := range t.gsis {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, ix.name)
	}
	for _, ix := range t.lsis {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, ix.name)
	}
	if t.stream.StreamEnabled {
		d.StreamViewType = t.stream.StreamViewType
	}
	if t.restore != nil {
		d.RestoredFrom = t.restore.backupArn
		d.RestoreInProgress = t.restore.inProgress
	}
	return d
}
