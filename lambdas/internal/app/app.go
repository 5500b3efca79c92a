// Package app wires the steps to the AWS SDK adapter and shapes them for
// Lambda: one method per handler, returning contract errors unwrapped so
// that Lambda reports their type name to the state machine.
package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/steps"
)

var (
	_ steps.TableLister     = (*ddb.Client)(nil)
	_ steps.BackupMaker     = (*ddb.Client)(nil)
	_ steps.BackupDescriber = (*ddb.Client)(nil)
	_ steps.TableDescriber  = (*ddb.Client)(nil)
	_ steps.Restorer        = (*ddb.Client)(nil)
	_ steps.TableDeleter    = (*ddb.Client)(nil)
	_ steps.Sweeper         = (*ddb.Client)(nil)
	_ steps.BackupPruner    = (*ddb.Client)(nil)
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
}

// New wires the handlers to the SDK config cfg, with settings read through
// getenv. Invalid settings are reported by the first step of each run.
func New(cfg aws.Config, getenv func(string) string) *Handlers {
	r := ddb.NewRegions(cfg)
	defaults, defaultsErr := core.SettingsFromEnv(getenv)
	return &Handlers{
		listTables:     steps.ListTables{Defaults: defaults, DefaultsErr: defaultsErr, Clients: func(region string) steps.TableLister { return r.For(region) }},
		sweep:          steps.Sweep{Clients: func(region string) steps.Sweeper { return r.For(region) }},
		createBackup:   steps.CreateBackup{Clients: func(region string) steps.BackupMaker { return r.For(region) }},
		describeBackup: steps.DescribeBackup{Clients: func(region string) steps.BackupDescriber { return r.For(region) }, Schedule: core.DefaultPoll},
		restoreTable:   steps.RestoreTable{Clients: func(region string) steps.Restorer { return r.For(region) }},
		describeTable:  steps.DescribeTable{Clients: func(region string) steps.TableDescriber { return r.For(region) }, Schedule: core.DefaultPoll},
		deleteTable:    steps.DeleteTable{Clients: func(region string) steps.TableDeleter { return r.For(region) }},
		pruneBackups:   steps.PruneBackups{Clients: func(region string) steps.BackupPruner { return r.For(region) }},
	}
}

// SetupLogging makes slog write JSON to standard output, as Lambda expects.
func SetupLogging() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
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

// ByName returns every handler under its Lambda's name (the directory
// under lambdas/), for hosts that run them all in one process.
func (h *Handlers) ByName() map[string]any {
	return map[string]any{
		"list-tables":     h.ListTables,
		"sweep":           h.Sweep,
		"create-backup":   h.CreateBackup,
		"describe-backup": h.DescribeBackup,
		"restore-table":   h.RestoreTable,
		"describe-table":  h.DescribeTable,
		"delete-table":    h.DeleteTable,
		"prune-backups":   h.PruneBackups,
		"summarize":       h.Summarize,
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
