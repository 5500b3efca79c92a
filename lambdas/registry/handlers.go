package registry

import (
	"cmp"
	"context"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/cwmetrics"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/steps"
)

// Deps is what a handler is built from.
type Deps struct {
	// Regions hands out the DynamoDB client of each region.
	Regions *ddb.Regions
	// Getenv reads the function's environment: os.Getenv in Lambda.
	// Invalid settings are reported by the first step of each run.
	Getenv func(string) string
	// Now is the clock; nil means the system clock. The local host sets
	// the emulator's simulated clock.
	Now func() time.Time
	// Metrics reads the table metrics of a region (MetricsFrom); nil:
	// none, and every due table counts as changed.
	Metrics func(region string) steps.ChangeReader
	// RunMetrics receives a backup run's metric lines; nil: none.
	RunMetrics io.Writer
}

// MetricsFrom returns the CloudWatch metrics reader of each region, made
// from cfg (which honours AWS_ENDPOINT_URL_CLOUDWATCH), one a region so that
// its pacing holds for the whole process.
func MetricsFrom(cfg aws.Config) func(region string) steps.ChangeReader {
	var mu sync.Mutex
	readers := map[string]steps.ChangeReader{}
	return func(region string) steps.ChangeReader {
		mu.Lock()
		defer mu.Unlock()
		r, ok := readers[region]
		if !ok {
			r = changeReader{cwmetrics.NewFromConfig(cfg, region, cwmetrics.Options{})}
			readers[region] = r
		}
		return r
	}
}

// changeReader serves the copy planner's port with the metrics reader.
type changeReader struct{ r *cwmetrics.Reader }

func (c changeReader) Changes(ctx context.Context, windows []core.ChangeWindow) ([]core.ChangeEvidence, error) {
	evidence, err := c.r.Changes(ctx, windows)
	if err != nil {
		return nil, err
	}
	out := make([]core.ChangeEvidence, len(evidence))
	for i, e := range evidence {
		out[i] = e.ChangeEvidence
	}
	return out, nil
}

// ledger is the run ledger in the function's own region (without a client
// when d has no Regions, as when only the registry is inspected).
func (d Deps) ledger() steps.Ledger {
	l := steps.Ledger{Table: cmp.Or(d.Getenv(core.EnvLedgerTable), core.DefaultLedgerTable)}
	if d.Regions != nil {
		l.DB = d.Regions.For(d.Getenv(core.EnvRegion))
	}
	return l
}

// The DynamoDB adapter serves every port the steps declare.
var (
	_ steps.BackupDescriber        = (*ddb.Client)(nil)
	_ steps.BackupMaker            = (*ddb.Client)(nil)
	_ steps.BackupPruner           = (*ddb.Client)(nil)
	_ steps.CatalogEntryDeleter    = (*ddb.Client)(nil)
	_ steps.CopyFinisher           = (*ddb.Client)(nil)
	_ steps.CopyStatusStore        = (*ddb.Client)(nil)
	_ steps.RestorePlanner         = (*ddb.Client)(nil)
	_ steps.RestoreFinisher        = (*ddb.Client)(nil)
	_ steps.SettingsReader         = (*ddb.Client)(nil)
	_ steps.Sweeper                = (*ddb.Client)(nil)
	_ steps.TableDeleter           = (*ddb.Client)(nil)
	_ steps.TemporaryTablePoller   = (*ddb.Client)(nil)
	_ steps.TableLister            = (*ddb.Client)(nil)
	_ steps.TargetRestorer         = (*ddb.Client)(nil)
	_ steps.RunLedger              = (*ddb.Client)(nil)
	_ steps.TemporaryTableRestorer = (*ddb.Client)(nil)
)

var (
	backup  = []Workflow{BackupWorkflow}
	restore = []Workflow{RestoreWorkflow}
)

// All is every handler. Backup and Restore are its entries of each
// workflow, in this order.
var All = []Handler{
	// list-tables writes the listed tables to the run ledger, and caches
	// the tables' tags there.
	handler("list-tables", backup, []Access{ReadTables, UseLedger}, (*steps.ListTables).Handle, func(d Deps) *steps.ListTables {
		defaults, err := core.SettingsFromEnv(d.Getenv)
		ledger := d.ledger()
		return &steps.ListTables{Defaults: defaults, DefaultsErr: err, Clients: func(r string) steps.TableLister { return d.Regions.For(r) },
			Ledger: ledger, Own: []string{ledger.Table, defaults.CatalogTable}, Now: d.Now}
	}),
	handler("plan-copies", backup, []Access{ReadTables, UseLedger, ReadCopyStatus, WriteCatalog, ReadTableMetrics}, (*steps.PlanCopies).Handle, func(d Deps) *steps.PlanCopies {
		return &steps.PlanCopies{Ledger: d.ledger(), Status: func(r string) steps.CopyStatusStore { return d.Regions.For(r) }, Changes: d.Metrics, Now: d.Now}
	}),
	// sweep tags (adopts) an untagged orphan, and deletes it at a later
	// sweep, once its tags show.
	handler("sweep", backup, []Access{ReadTables, TagTables, DeleteTempTables}, (*steps.Sweep).Handle, func(d Deps) *steps.Sweep {
		return &steps.Sweep{Clients: func(r string) steps.Sweeper { return d.Regions.For(r) }, Now: d.Now}
	}),
	// create-backup reads a backup run's item, backs the table up, and
	// captures the settings a backup does not carry.
	handler("create-backup", backup, []Access{ReadTables, MakeBackups, ReadSettings, UseLedger}, (*steps.CreateBackup).Handle, func(d Deps) *steps.CreateBackup {
		return &steps.CreateBackup{Clients: func(r string) steps.BackupMaker { return d.Regions.For(r) },
			Settings: func(r string) steps.SettingsReader { return d.Regions.For(r) }, Ledger: d.ledger(), Now: d.Now}
	}),
	handler("describe-backup", backup, []Access{ReadBackups}, (*steps.DescribeBackup).Handle, func(d Deps) *steps.DescribeBackup {
		return &steps.DescribeBackup{Clients: func(r string) steps.BackupDescriber { return d.Regions.For(r) }, Schedule: core.DefaultPoll, Now: d.Now}
	}),
	handler("restore-table", backup, []Access{ReadTables, RestoreTables}, (*steps.RestoreTemporaryTable).Handle, func(d Deps) *steps.RestoreTemporaryTable {
		return &steps.RestoreTemporaryTable{Clients: func(r string) steps.TemporaryTableRestorer { return d.Regions.For(r) }, Now: d.Now}
	}),
	handler("plan-restore", restore, []Access{ReadCatalog, ReadBackups, ReadTables, UseLedger}, (*steps.PlanRestore).Handle, func(d Deps) *steps.PlanRestore {
		// A restore must not depend on the backup settings (the source
		// region may be gone); an invalid value is reported by plan-restore.
		defaults, err := core.RestoreDefaultsFromEnv(d.Getenv)
		return &steps.PlanRestore{
			Ledger:        d.ledger(),
			DefaultRegion: defaults.TargetRegion, CatalogTable: defaults.CatalogTable, PollLimitMinutes: defaults.PollLimitMinutes,
			DefaultsErr: err, Clients: func(r string) steps.RestorePlanner { return d.Regions.For(r) }, Now: d.Now,
		}
	}),
	handler("start-restore", restore, []Access{ReadTables, RestoreTables, UseLedger}, (*steps.StartRestore).Handle, func(d Deps) *steps.StartRestore {
		return &steps.StartRestore{Ledger: d.ledger(), Clients: func(r string) steps.TargetRestorer { return d.Regions.For(r) }, Now: d.Now}
	}),
	// poll-temporary-table tags the temporary table once it is ACTIVE, then
	// starts its backup, the one that stays in the destination region.
	handler("poll-temporary-table", backup, []Access{ReadTables, TagTables, MakeBackups}, (*steps.PollTemporaryTable).Handle, func(d Deps) *steps.PollTemporaryTable {
		return &steps.PollTemporaryTable{Clients: func(r string) steps.TemporaryTablePoller { return d.Regions.For(r) }, Now: d.Now}
	}),
	// finish-restore polls a restored table until it is ACTIVE, reapplies
	// its settings, and writes its outcome to the run ledger.
	handler("finish-restore", restore, []Access{ReadTables, ReadSettings, TagTables, ReapplySettings, UseLedger}, (*steps.FinishRestore).Handle, func(d Deps) *steps.FinishRestore {
		return &steps.FinishRestore{Ledger: d.ledger(), Clients: func(r string) steps.RestoreFinisher { return d.Regions.For(r) }, Schedule: core.DefaultPoll, Now: d.Now}
	}),
	handler("record-restore-failure", restore, []Access{UseLedger}, (*steps.RecordRestoreFailure).Handle, func(d Deps) *steps.RecordRestoreFailure {
		return &steps.RecordRestoreFailure{Ledger: d.ledger(), Now: d.Now}
	}),
	// finish-copy polls the destination backup, then records it in the
	// catalog with the copy status, deletes the temporary table and prunes.
	handler("finish-copy", backup, []Access{ReadBackups, WriteCatalog, ReadTables, DeleteTempTables, PruneBackups, UseLedger}, (*steps.FinishCopy).Handle, func(d Deps) *steps.FinishCopy {
		return &steps.FinishCopy{Clients: func(r string) steps.CopyFinisher { return d.Regions.For(r) }, Ledger: d.ledger(), Now: d.Now}
	}),
	handler("delete-table", backup, []Access{ReadTables, TagTables, DeleteTempTables}, (*steps.DeleteTable).Handle, func(d Deps) *steps.DeleteTable {
		return &steps.DeleteTable{Clients: func(r string) steps.TableDeleter { return d.Regions.For(r) }}
	}),
	handler("prune-backups", backup, []Access{PruneBackups, WriteCatalog, UseLedger}, (*steps.PruneBackups).Handle, func(d Deps) *steps.PruneBackups {
		return &steps.PruneBackups{
			Clients: func(r string) steps.BackupPruner { return d.Regions.For(r) },
			Catalog: func(r string) steps.CatalogEntryDeleter { return d.Regions.For(r) },
			Ledger:  d.ledger(),
			Now:     d.Now,
		}
	}),
	// record-outcome records the outcome of a table or a copy that ended
	// on an error (the catchers of a backup run's child execution).
	handler("record-outcome", backup, []Access{UseLedger}, (*steps.RecordOutcome).Handle, func(d Deps) *steps.RecordOutcome {
		return &steps.RecordOutcome{Ledger: d.ledger(), Now: d.Now}
	}),
	handler("summarize", backup, []Access{UseLedger}, (*steps.Summarize).Handle, func(d Deps) *steps.Summarize {
		return &steps.Summarize{Now: d.Now, Ledger: d.ledger(), Metrics: d.RunMetrics}
	}),
	// report is the restore's Summarize: a function of the restore stack,
	// which reads the run ledger in the restore's region.
	handler("report", restore, []Access{UseLedger}, (*steps.Summarize).Handle, func(d Deps) *steps.Summarize {
		return &steps.Summarize{Now: d.Now, Ledger: d.ledger()}
	}),
}

// handler makes an entry of All: New builds the step with build and serves
// its method handle behind the edge.
func handler[S, In, Out any](name string, workflows []Workflow, needs []Access,
	handle func(*S, context.Context, In) (Out, error), build func(Deps) *S,
) Handler {
	return Handler{Name: name, Workflows: workflows, Needs: needs, New: func(d Deps) any {
		step := build(d)
		return func(ctx context.Context, in In) (Out, error) {
			out, err := handle(step, ctx, in)
			return out, edge(ctx, name, err)
		}
	}}
}
