// Package app wires the steps to the AWS SDK adapter and shapes them for
// Lambda: one method per handler, returning contract errors unwrapped so
// that Lambda reports their type name to the state machine, and Run, the
// main of every handler binary.
package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/steps"
)

var (
	_ steps.TableLister         = (*ddb.Client)(nil)
	_ steps.BackupMaker         = (*ddb.Client)(nil)
	_ steps.BackupDescriber     = (*ddb.Client)(nil)
	_ steps.TableDescriber      = (*ddb.Client)(nil)
	_ steps.Restorer            = (*ddb.Client)(nil)
	_ steps.TableDeleter        = (*ddb.Client)(nil)
	_ steps.Sweeper             = (*ddb.Client)(nil)
	_ steps.BackupPruner        = (*ddb.Client)(nil)
	_ steps.CatalogEntryDeleter = (*ddb.Client)(nil)
	_ steps.SettingsReader      = (*ddb.Client)(nil)
	_ steps.CatalogWriter       = (*ddb.Client)(nil)
	_ steps.RestorePlanner      = (*ddb.Client)(nil)
	_ steps.TargetRestorer      = (*ddb.Client)(nil)
	_ steps.SettingsApplier     = (*ddb.Client)(nil)
)

// Handlers holds every step, wired to DynamoDB.
type Handlers struct {
	listTables     steps.ListTables
	sweep          steps.Sweep
	createBackup   steps.CreateBackup
	describeBackup steps.DescribeBackup
	restoreTable   steps.RestoreTable
	describeTable  steps.DescribeTable
	deleteTable    steps.DeleteTable
	pruneBackups   steps.PruneBackups
	summarize      steps.Summarize

	captureSettings steps.CaptureSettings
	recordBackup    steps.RecordBackup
	planRestore     steps.PlanRestore
	startRestore    steps.StartRestore
	applySettings   steps.ApplySettings
}

// New wires the handlers to the SDK config cfg, with settings read through
// getenv. Invalid settings are reported by the first step of each run.
func New(cfg aws.Config, getenv func(string) string) *Handlers {
	r := ddb.NewRegions(cfg)
	defaults, defaultsErr := core.SettingsFromEnv(getenv)
	// A restore must not depend on the backup settings (the source region
	// may be gone); an invalid value here is reported by plan-restore.
	restore, restoreErr := core.RestoreDefaultsFromEnv(getenv)
	return &Handlers{
		listTables:     steps.ListTables{Defaults: defaults, DefaultsErr: defaultsErr, Clients: func(region string) steps.TableLister { return r.For(region) }},
		sweep:          steps.Sweep{Clients: func(region string) steps.Sweeper { return r.For(region) }},
		createBackup:   steps.CreateBackup{Clients: func(region string) steps.BackupMaker { return r.For(region) }},
		describeBackup: steps.DescribeBackup{Clients: func(region string) steps.BackupDescriber { return r.For(region) }, Schedule: core.DefaultPoll},
		restoreTable:   steps.RestoreTable{Clients: func(region string) steps.Restorer { return r.For(region) }},
		describeTable:  steps.DescribeTable{Clients: func(region string) steps.TableDescriber { return r.For(region) }, Schedule: core.DefaultPoll},
		deleteTable:    steps.DeleteTable{Clients: func(region string) steps.TableDeleter { return r.For(region) }},
		pruneBackups: steps.PruneBackups{
			Clients: func(region string) steps.BackupPruner { return r.For(region) },
			Catalog: func(region string) steps.CatalogEntryDeleter { return r.For(region) },
		},
		captureSettings: steps.CaptureSettings{Clients: func(region string) steps.SettingsReader { return r.For(region) }},
		recordBackup:    steps.RecordBackup{Clients: func(region string) steps.CatalogWriter { return r.For(region) }},
		planRestore: steps.PlanRestore{
			DefaultRegion: restore.TargetRegion, CatalogTable: restore.CatalogTable, PollLimitMinutes: restore.PollLimitMinutes,
			DefaultsErr: restoreErr, Clients: func(region string) steps.RestorePlanner { return r.For(region) },
		},
		startRestore:  steps.StartRestore{Clients: func(region string) steps.TargetRestorer { return r.For(region) }},
		applySettings: steps.ApplySettings{Clients: func(region string) steps.SettingsApplier { return r.For(region) }},
	}
}

// UseClock makes every step read the time from now instead of the system
// clock: the local host runs them on the emulator's simulated clock.
func (h *Handlers) UseClock(now func() time.Time) {
	c := steps.Clock(now)
	h.sweep.Now, h.describeBackup.Now, h.restoreTable.Now, h.describeTable.Now = c, c, c, c
	h.pruneBackups.Now, h.summarize.Now, h.captureSettings.Now, h.recordBackup.Now = c, c, c, c
	h.planRestore.Now, h.startRestore.Now, h.createBackup.Now = c, c, c
}

// Run is the whole main of a handler binary: JSON logs, one aws.Config
// from the environment, the handlers wired to it, and step served through
// Lambda. A method expression names the step: app.Run((*app.Handlers).Sweep).
func Run[In, Out any](step func(*Handlers, context.Context, In) (Out, error)) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("load AWS config", "error", err)
		os.Exit(1)
	}
	h := New(cfg, os.Getenv)
	lambda.Start(func(ctx context.Context, in In) (Out, error) { return step(h, ctx, in) })
}

func (h *Handlers) ListTables(ctx context.Context, in steps.ListTablesInput) (steps.ListTablesOutput, error) {
	return edge(ctx, "list-tables", in, h.listTables.Handle)
}

func (h *Handlers) Sweep(ctx context.Context, in steps.SweepInput) (steps.SweepOutput, error) {
	return edge(ctx, "sweep", in, h.sweep.Handle)
}

func (h *Handlers) CreateBackup(ctx context.Context, in steps.CreateBackupInput) (steps.CreateBackupOutput, error) {
	return edge(ctx, "create-backup", in, h.createBackup.Handle)
}

func (h *Handlers) DescribeBackup(ctx context.Context, in steps.DescribeBackupInput) (steps.PollOutput, error) {
	return edge(ctx, "describe-backup", in, h.describeBackup.Handle)
}

func (h *Handlers) RestoreTable(ctx context.Context, in steps.RestoreTableInput) (steps.RestoreTableOutput, error) {
	return edge(ctx, "restore-table", in, h.restoreTable.Handle)
}

func (h *Handlers) DescribeTable(ctx context.Context, in steps.DescribeTableInput) (steps.PollOutput, error) {
	return edge(ctx, "describe-table", in, h.describeTable.Handle)
}

func (h *Handlers) DeleteTable(ctx context.Context, in steps.DeleteTableInput) (steps.DeleteTableOutput, error) {
	return edge(ctx, "delete-table", in, h.deleteTable.Handle)
}

func (h *Handlers) PruneBackups(ctx context.Context, in steps.PruneBackupsInput) (steps.PruneBackupsOutput, error) {
	return edge(ctx, "prune-backups", in, h.pruneBackups.Handle)
}

func (h *Handlers) Summarize(ctx context.Context, in steps.SummarizeInput) (steps.Summary, error) {
	return edge(ctx, "summarize", in, h.summarize.Handle)
}

func (h *Handlers) CaptureSettings(ctx context.Context, in steps.CaptureSettingsInput) (core.Manifest, error) {
	return edge(ctx, "capture-settings", in, h.captureSettings.Handle)
}

func (h *Handlers) RecordBackup(ctx context.Context, in steps.RecordBackupInput) (steps.RecordBackupOutput, error) {
	return edge(ctx, "record-backup", in, h.recordBackup.Handle)
}

func (h *Handlers) PlanRestore(ctx context.Context, in steps.PlanRestoreInput) (steps.RestorePlan, error) {
	return edge(ctx, "plan-restore", in, h.planRestore.Handle)
}

func (h *Handlers) StartRestore(ctx context.Context, in steps.StartRestoreInput) (steps.StartRestoreOutput, error) {
	return edge(ctx, "start-restore", in, h.startRestore.Handle)
}

func (h *Handlers) ApplySettings(ctx context.Context, in steps.ApplySettingsInput) (steps.ApplySettingsOutput, error) {
	return edge(ctx, "apply-settings", in, h.applySettings.Handle)
}

// ByName returns every handler under its Lambda's name (the directory
// under lambdas/), for hosts that run them all in one process.
func (h *Handlers) ByName() map[string]any {
	return map[string]any{
		"list-tables":      h.ListTables,
		"sweep":            h.Sweep,
		"create-backup":    h.CreateBackup,
		"describe-backup":  h.DescribeBackup,
		"restore-table":    h.RestoreTable,
		"describe-table":   h.DescribeTable,
		"delete-table":     h.DeleteTable,
		"prune-backups":    h.PruneBackups,
		"summarize":        h.Summarize,
		"capture-settings": h.CaptureSettings,
		"record-backup":    h.RecordBackup,
		"plan-restore":     h.PlanRestore,
		"start-restore":    h.StartRestore,
		"apply-settings":   h.ApplySettings,
	}
}

// edge runs one step, logs its failure and returns a contract error
// unwrapped.
func edge[In, Out any](ctx context.Context, step string, in In, run func(context.Context, In) (Out, error)) (Out, error) {
	out, err := run(ctx, in)
	if err != nil {
		err = Contract(err)
		slog.ErrorContext(ctx, "step failed", "step", step, "errorType", errorName(err), "error", err.Error())
	}
	return out, err
}

// Contract returns the first contract error (core.ContractErrors) in err's
// chain, unwrapped, or err itself when there is none.
func Contract(err error) error {
	for _, proto := range core.ContractErrors() {
		target := reflect.New(reflect.TypeOf(proto))
		if errors.As(err, target.Interface()) {
			return target.Elem().Interface().(error)
		}
	}
	return err
}

func errorName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
