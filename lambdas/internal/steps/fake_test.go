package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// t0 is the fixed "now" of every test.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) Clock { return func() time.Time { return t } }

// checkErr stops the test unless err is what a case wants: no error when
// want is nil, else an error whose chain holds want's type (want is a
// new(*T), as errors.As takes it).
func checkErr(t *testing.T, err error, want any) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatal(err)
	case want != nil && !errors.As(err, want):
		t.Fatalf("err = %v, want %T", err, want)
	}
}

const account = "123456789012"

// fakeDB is one region of an in-memory DynamoDB. It implements every
// interface the steps declare, records each call as "Operation argument", and
// returns the error set in fail[Operation], if any, from that operation.
//
// Unlike the real adapter, ListBackups returns every backup type, not only
// USER ones, so tests see that pruning guards against SYSTEM and AWS_BACKUP
// backups itself.
type fakeDB struct {
	region string
	now    func() time.Time

	mu      sync.Mutex
	tables  map[string]*fakeTable
	backups []*fakeBackup
	seq     int
	calls   []string
	fail    map[string]error
	// newBackupStatus is the status CreateBackup gives a new backup.
	newBackupStatus string
	restores        []core.RestoreRequest
	// catalogs holds the catalog tables of the region by name; a catalog
	// that is not there does not exist.
	catalogs map[string]*fakeCatalog
	// statuses holds the copy status items written, by table.
	statuses map[string]core.CopyStatus
	updates  []core.TableUpdate
	// tagsAnyStatus relaxes one behaviour for a test that needs a kinder
	// DynamoDB: tags are read and written whatever the table's status.
	tagsAnyStatus bool
}

type fakeTable struct {
	core.Table
	// tags are the tags ListTags shows; pending are tags written since,
	// which it shows only after settleTags, as DynamoDB's tag reads are
	// eventually consistent.
	tags, pending map[string]string
	// settings is what ReadSettings reports, with tags from tags.
	settings core.Manifest
	// backupsNotEnabled: CreateBackup answers BackupsNotYetEnabled, as
	// DynamoDB does for a while after a restore.
	backupsNotEnabled bool
}

type fakeBackup struct {
	core.BackupInfo
	table string
}

var (
	_ TableLister            = (*fakeDB)(nil)
	_ BackupMaker            = (*fakeDB)(nil)
	_ BackupDescriber        = (*fakeDB)(nil)
	_ TableDescriber         = (*fakeDB)(nil)
	_ TemporaryTableRestorer = (*fakeDB)(nil)
	_ TableDeleter           = (*fakeDB)(nil)
	_ Sweeper                = (*fakeDB)(nil)
	_ BackupPruner           = (*fakeDB)(nil)

	_ RestorePlanner      = (*fakeDB)(nil)
	_ TargetRestorer      = (*fakeDB)(nil)
	_ SettingsApplier     = (*fakeDB)(nil)
	_ SettingsReader      = (*fakeDB)(nil)
	_ CatalogWriter       = (*fakeDB)(nil)
	_ CatalogEntryDeleter = (*fakeDB)(nil)
)

// fakeCloud holds one fakeDB per region, made on first use.
type fakeCloud struct {
	mu  sync.Mutex
	dbs map[string]*fakeDB
}

func newCloud() *fakeCloud { return &fakeCloud{dbs: map[string]*fakeDB{}} }

func (c *fakeCloud) db(region string) *fakeDB {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.dbs[region]; ok {
		return d
	}
	d := &fakeDB{region: region, now: func() time.Time { return t0 }, tables: map[string]*fakeTable{}, fail: map[string]error{}, newBackupStatus: core.BackupStatusCreate, catalogs: map[string]*fakeCatalog{}}
	c.dbs[region] = d
	return d
}

// totalCalls counts op calls over every region.
func (c *fakeCloud) totalCalls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, d := range c.dbs {
		n += d.count(op)
	}
	return n
}

// allCalls counts every call in every region.
func (c *fakeCloud) allCalls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []string
	for _, d := range c.dbs {
		d.mu.Lock()
		all = append(all, d.calls...)
		d.mu.Unlock()
	}
	return all
}

// clients adapts the cloud to a step's Clients field.
func clients[T any](c *fakeCloud) func(string) T {
	return func(region string) T { return any(c.db(region)).(T) }
}

func (d *fakeDB) tableArn(name string) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", d.region, account, name)
}

// addTable creates a table with tags; missing Arn and Status are filled in.
func (d *fakeDB) addTable(t core.Table, tags map[string]string) core.Table {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t.Arn == "" {
		t.Arn = d.tableArn(t.Name)
	}
	if t.Status == "" {
		t.Status = core.TableActive
	}
	d.tables[t.Name] = &fakeTable{Table: t, tags: maps.Clone(tags)}
	return t
}

// addBackup records a backup of table; a missing Arn, Type or Status is
// filled in.
func (d *fakeDB) addBackup(table string, b core.BackupInfo) core.BackupInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b.Arn == "" {
		b.Arn = d.nextBackupArn(table)
	}
	if b.Type == "" {
		b.Type = core.BackupTypeUser
	}
	if b.Status == "" {
		b.Status = core.BackupStatusAvail
	}
	d.backups = append(d.backups, &fakeBackup{BackupInfo: b, table: table})
	return b
}

func (d *fakeDB) nextBackupArn(table string) string {
	d.seq++
	return fmt.Sprintf("%s/backup/%017d-%08x", d.tableArn(table), 1748779200000+d.seq, d.seq)
}

// tagsOf returns every tag written to a table, visible to ListTags or not.
func (d *fakeDB) tagsOf(name string) map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tables[name]
	if !ok || len(t.tags)+len(t.pending) == 0 {
		return nil
	}
	tags := maps.Clone(t.tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, t.pending)
	return tags
}

// settleTags makes the tags written so far visible to ListTags.
func (d *fakeDB) settleTags() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.tables {
		if len(t.pending) > 0 {
			if t.tags == nil {
				t.tags = map[string]string{}
			}
			maps.Copy(t.tags, t.pending)
			t.pending = nil
		}
	}
}

// enableBackups ends the window after a restore in which a table's
// continuous backups are not enabled.
func (d *fakeDB) enableBackups(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tables[name].backupsNotEnabled = false
}

func (d *fakeDB) hasTable(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.tables[name]
	return ok
}

func (d *fakeDB) setStatus(name, status string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tables[name].Status = status
}

func (d *fakeDB) backupNames() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var names []string
	for _, b := range d.backups {
		names = append(names, b.Name)
	}
	return names
}

// count returns how many times op was called.
func (d *fakeDB) count(op string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.calls {
		if c == op || strings.HasPrefix(c, op+" ") {
			n++
		}
	}
	return n
}

// record logs a call and returns the injected failure for op, if any. The
// caller holds d.mu.
func (d *fakeDB) record(op, arg string) error {
	d.calls = append(d.calls, op+" "+arg)
	return d.fail[op]
}

func (d *fakeDB) ListTableNames(ctx context.Context) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("ListTableNames", ""); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(d.tables)), nil
}

func (d *fakeDB) DescribeTable(ctx context.Context, name string) (core.Table, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("DescribeTable", name); err != nil {
		return core.Table{}, err
	}
	t, ok := d.tables[name]
	if !ok {
		return core.Table{}, &core.TableNotFound{Table: name, Region: d.region}
	}
	return t.Table, nil
}

func (d *fakeDB) byArn(arn string) *fakeTable {
	for _, t := range d.tables {
		if t.Arn == arn {
			return t
		}
	}
	return nil
}

// taggable returns the table of arn for ListTags and TagTable, which answer
// ResourceNotFoundException (TableNotFound through the adapter) for a table
// that is not ACTIVE, as the TagResource reference documents. The caller
// holds d.mu.
func (d *fakeDB) taggable(arn string) (*fakeTable, error) {
	t := d.byArn(arn)
	if t == nil || t.Status != core.TableActive && !d.tagsAnyStatus {
		return nil, &core.TableNotFound{Table: arn, Region: d.region}
	}
	return t, nil
}

func (d *fakeDB) ListTags(ctx context.Context, arn string) (map[string]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("ListTags", arn); err != nil {
		return nil, err
	}
	t, err := d.taggable(arn)
	if err != nil {
		return nil, err
	}
	return maps.Clone(t.tags), nil
}

// TagTable writes tags that ListTags shows after settleTags.
func (d *fakeDB) TagTable(ctx context.Context, arn string, tags map[string]string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("TagTable", arn); err != nil {
		return err
	}
	t, err := d.taggable(arn)
	if err != nil {
		return err
	}
	if t.pending == nil {
		t.pending = map[string]string{}
	}
	maps.Copy(t.pending, tags)
	return nil
}

func (d *fakeDB) DeleteTable(ctx context.Context, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("DeleteTable", name); err != nil {
		return err
	}
	if _, ok := d.tables[name]; !ok {
		return &core.TableNotFound{Table: name, Region: d.region}
	}
	delete(d.tables, name)
	return nil
}

func (d *fakeDB) RestoreTable(ctx context.Context, req core.RestoreRequest) (core.Table, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("RestoreTable", req.TargetTable); err != nil {
		return core.Table{}, err
	}
	d.restores = append(d.restores, req)
	if _, ok := d.tables[req.TargetTable]; ok {
		return core.Table{}, fmt.Errorf("RestoreTableFromBackup %s in %s: %w", req.TargetTable, d.region, core.ErrTableExists)
	}
	t := &fakeTable{Table: core.Table{
		Name: req.TargetTable, Arn: d.tableArn(req.TargetTable), Status: core.TableCreating,
		Created: d.now(), RestoredFrom: req.BackupArn,
	}, backupsNotEnabled: true}
	// A restored table keeps the backup's billing unless overridden, and
	// none of the settings a backup does not carry.
	t.settings = core.Manifest{BillingMode: core.BillingProvisioned, ReadCapacity: 5, WriteCapacity: 5, TableClass: core.TableClassStandard}
	if req.PayPerRequest {
		t.settings.BillingMode, t.settings.ReadCapacity, t.settings.WriteCapacity = core.BillingPayPerRequest, 0, 0
	}
	d.tables[t.Name] = t
	return t.Table, nil
}

func (d *fakeDB) CreateBackup(ctx context.Context, table, name string) (core.BackupInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("CreateBackup", table); err != nil {
		return core.BackupInfo{}, err
	}
	t, ok := d.tables[table]
	if !ok {
		return core.BackupInfo{}, &core.TableNotFound{Table: table, Region: d.region}
	}
	if t.backupsNotEnabled {
		return core.BackupInfo{}, &core.BackupsNotYetEnabled{Operation: "CreateBackup", Table: table, Region: d.region}
	}
	b := &fakeBackup{table: table, BackupInfo: core.BackupInfo{
		Arn: d.nextBackupArn(table), Name: name, Type: core.BackupTypeUser, Status: d.newBackupStatus, Created: d.now(),
	}}
	d.backups = append(d.backups, b)
	return b.BackupInfo, nil
}

// ListBackups lists the backups of table, or of every table when table is
// empty, as the real adapter does.
func (d *fakeDB) ListBackups(ctx context.Context, table string, since time.Time) ([]core.BackupInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("ListBackups", table); err != nil {
		return nil, err
	}
	var out []core.BackupInfo
	for _, b := range d.backups {
		if (table == "" || b.table == table) && (since.IsZero() || !b.Created.Before(since)) {
			info := b.BackupInfo
			info.Table = b.table
			out = append(out, info)
		}
	}
	return out, nil
}

func (d *fakeDB) DescribeBackup(ctx context.Context, arn string) (core.BackupInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("DescribeBackup", arn); err != nil {
		return core.BackupInfo{}, err
	}
	for _, b := range d.backups {
		if b.Arn == arn {
			return b.BackupInfo, nil
		}
	}
	return core.BackupInfo{}, &core.BackupNotFound{BackupArn: arn}
}

func (d *fakeDB) DeleteBackup(ctx context.Context, arn string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("DeleteBackup", arn); err != nil {
		return err
	}
	for i, b := range d.backups {
		if b.Arn == arn {
			d.backups = slices.Delete(d.backups, i, i+1)
			return nil
		}
	}
	return &core.BackupNotFound{BackupArn: arn}
}

// fakeCatalog is one catalog table: entries by source table and backup ARN,
// and per source table a count of items that cannot be decoded.
type fakeCatalog struct {
	entries map[[2]string]core.CatalogEntry
	damaged map[string]int
}

// writeOps are the operations that change something. A step that must only
// read is checked against this list.
var writeOps = []string{
	"TagTable", "DeleteTable", "RestoreTable", "CreateBackup", "DeleteBackup",
	"PutEntry", "DeleteEntry", "EnableTTL", "SetPITR", "UpdateTable",
}

// writeCalls lists every call in every region that changes something.
func (c *fakeCloud) writeCalls() []string {
	var writes []string
	for _, call := range c.allCalls() {
		op, _, _ := strings.Cut(call, " ")
		if slices.Contains(writeOps, op) {
			writes = append(writes, call)
		}
	}
	return writes
}

// addCatalog creates an empty catalog table.
func (d *fakeDB) addCatalog(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.catalogs[name] == nil {
		d.catalogs[name] = &fakeCatalog{entries: map[[2]string]core.CatalogEntry{}, damaged: map[string]int{}}
	}
}

// addEntry records e in catalog, creating the catalog if needed.
func (d *fakeDB) addEntry(catalog string, e core.CatalogEntry) {
	d.addCatalog(catalog)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.catalogs[catalog].entries[[2]string{e.SourceTable, e.BackupArn}] = e
}

// addDamaged adds n undecodable items for sourceTable to catalog.
func (d *fakeDB) addDamaged(catalog, sourceTable string, n int) {
	d.addCatalog(catalog)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.catalogs[catalog].damaged[sourceTable] += n
}

// entriesOf returns the entries in catalog, sorted by backup ARN.
func (d *fakeDB) entriesOf(catalog string) []core.CatalogEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.catalogs[catalog]
	if c == nil {
		return nil
	}
	out := slices.Collect(maps.Values(c.entries))
	slices.SortFunc(out, func(a, b core.CatalogEntry) int { return strings.Compare(a.BackupArn, b.BackupArn) })
	return out
}

func (d *fakeDB) catalog(name string) (*fakeCatalog, error) {
	c := d.catalogs[name]
	if c == nil {
		return nil, &core.TableNotFound{Table: name, Region: d.region}
	}
	return c, nil
}

func (d *fakeDB) Entries(ctx context.Context, catalog, sourceRegion, sourceTable string) ([]core.CatalogEntry, int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("Entries", catalog+" "+sourceTable); err != nil {
		return nil, 0, err
	}
	c, err := d.catalog(catalog)
	if err != nil {
		return nil, 0, err
	}
	var out []core.CatalogEntry
	for k, e := range c.entries {
		if (sourceTable == "" || k[0] == sourceTable) && (sourceRegion == "" || e.SourceRegion == sourceRegion) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b core.CatalogEntry) int { return strings.Compare(a.BackupArn, b.BackupArn) })
	damaged := 0
	for table, n := range c.damaged {
		if sourceTable == "" || table == sourceTable {
			damaged += n
		}
	}
	return out, damaged, nil
}

func (d *fakeDB) PutEntry(ctx context.Context, catalog string, e core.CatalogEntry) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("PutEntry", catalog+" "+e.SourceTable+" "+e.BackupArn); err != nil {
		return err
	}
	c, err := d.catalog(catalog)
	if err != nil {
		return err
	}
	c.entries[[2]string{e.SourceTable, e.BackupArn}] = e
	return nil
}

func (d *fakeDB) DeleteEntry(ctx context.Context, catalog, _, sourceTable, backupArn string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("DeleteEntry", catalog+" "+sourceTable+" "+backupArn); err != nil {
		return err
	}
	c, err := d.catalog(catalog)
	if err != nil {
		return err
	}
	delete(c.entries, [2]string{sourceTable, backupArn})
	return nil
}

// setSettings sets what ReadSettings reports for a table (tags aside).
func (d *fakeDB) setSettings(name string, m core.Manifest) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tables[name].settings = m
}

// settingsOf returns a table's settings, with its tags.
func (d *fakeDB) settingsOf(name string) core.Manifest {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tables[name]
	m := t.settings
	m.Tags = maps.Clone(t.tags)
	return m
}

func (d *fakeDB) ReadSettings(ctx context.Context, table string) (core.Manifest, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("ReadSettings", table); err != nil {
		return core.Manifest{}, err
	}
	t, ok := d.tables[table]
	if !ok {
		return core.Manifest{}, &core.TableNotFound{Table: table, Region: d.region}
	}
	m := t.settings
	m.SourceRegion, m.SourceTable = d.region, table
	m.Tags = maps.Clone(t.tags)
	return m, nil
}

// settable returns the table to change, which must be ACTIVE, as DynamoDB
// requires. The caller holds d.mu.
func (d *fakeDB) settable(op, table string) (*fakeTable, error) {
	t, ok := d.tables[table]
	if !ok {
		return nil, &core.TableNotFound{Table: table, Region: d.region}
	}
	if t.Status != core.TableActive {
		return nil, &core.ResourceBusy{Operation: op, Resource: table, Region: d.region, Message: "table is " + t.Status}
	}
	return t, nil
}

func (d *fakeDB) EnableTTL(ctx context.Context, table, attribute string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("EnableTTL", table+" "+attribute); err != nil {
		return err
	}
	t, err := d.settable("EnableTTL", table)
	if err != nil {
		return err
	}
	t.settings.TTLEnabled, t.settings.TTLAttribute = true, attribute
	return nil
}

func (d *fakeDB) SetPITR(ctx context.Context, table string, enabled bool, days int32) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("SetPITR", fmt.Sprintf("%s %v %d", table, enabled, days)); err != nil {
		return err
	}
	t, err := d.settable("SetPITR", table)
	if err != nil {
		return err
	}
	if enabled && days == 0 {
		days = 35 // DynamoDB's default recovery period
	}
	if !enabled {
		days = 0
	}
	t.settings.PITREnabled, t.settings.PITRRecoveryDays = enabled, days
	return nil
}

// UpdateTable applies one change and leaves the table UPDATING; a test sets
// it ACTIVE again with setStatus.
func (d *fakeDB) UpdateTable(ctx context.Context, table string, u core.TableUpdate) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("UpdateTable", table); err != nil {
		return err
	}
	t, err := d.settable("UpdateTable", table)
	if err != nil {
		return err
	}
	d.updates = append(d.updates, u)
	switch {
	case u.BillingMode != "":
		t.settings.BillingMode, t.settings.ReadCapacity, t.settings.WriteCapacity = u.BillingMode, u.ReadCapacity, u.WriteCapacity
		t.settings.IndexCapacity = u.IndexCapacity
	case u.TableClass != "":
		t.settings.TableClass = u.TableClass
	case u.Stream != nil:
		t.settings.StreamEnabled, t.settings.StreamViewType = u.Stream.Enabled, u.Stream.ViewType
	case u.DeletionProtection != nil:
		t.settings.DeletionProtection = *u.DeletionProtection
	}
	t.Status = core.TableUpdating
	return nil
}

// CopyStatuses serves the copy status items PutCopyStatus wrote.
func (d *fakeDB) CopyStatuses(_ context.Context, catalog, sourceRegion string, fn func(core.CopyStatus) error) error {
	d.mu.Lock()
	if err := d.record("CopyStatuses", catalog); err != nil {
		d.mu.Unlock()
		return err
	}
	var list []core.CopyStatus
	for _, st := range d.statuses {
		if st.SourceRegion == sourceRegion {
			list = append(list, st)
		}
	}
	d.mu.Unlock()
	for _, st := range list {
		if err := fn(st); err != nil {
			return err
		}
	}
	return nil
}

func (d *fakeDB) PutCopyStatus(ctx context.Context, catalog string, st core.CopyStatus) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.record("PutCopyStatus", catalog+" "+st.Table); err != nil {
		return err
	}
	if _, err := d.catalog(catalog); err != nil {
		return err
	}
	if d.statuses == nil {
		d.statuses = map[string]core.CopyStatus{}
	}
	d.statuses[st.Table] = st
	return nil
}
