// Command emulator runs the local DynamoDB emulator in the foreground.
//
// Usage:
//
//	emulator [-addr 127.0.0.1:8000] [-account 123456789012] [-max-restores 50]
//	         [-table-create 0s] [-table-delete 0s] [-backup-create 0s] [-restore 0s] [-per-mib 0s]
//	         [-tag-propagation 2s] [-backups-enabling 3s] [-stats-refresh 6h] [-table-update 5s]
//	         [-max-table-operations 500] [-metrics-delay 5m] [-rate-limits=true] [-log-level info]
//
// The address defaults to $EMULATOR_ADDR, else 127.0.0.1:8000. It prints one
// line with its endpoint and serves until SIGINT or SIGTERM. Point clients at
// it with AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_CLOUDWATCH (or
// BaseEndpoint) and any static credentials; the region of each call comes
// from its signature.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	defaultAddr := os.Getenv("EMULATOR_ADDR")
	if defaultAddr == "" {
		defaultAddr = "127.0.0.1:8000"
	}
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	addr := fs.String("addr", defaultAddr, "listen address (env EMULATOR_ADDR)")
	account := fs.String("account", "123456789012", "AWS account ID used in ARNs")
	maxRestores := fs.Int("max-restores", 50, "account-wide limit of concurrent restores")
	var d emulator.Durations
	fs.DurationVar(&d.TableCreate, "table-create", 0, "time a table spends CREATING")
	fs.DurationVar(&d.TableDelete, "table-delete", 0, "time a table spends DELETING")
	fs.DurationVar(&d.BackupCreate, "backup-create", 0, "fixed time a backup spends CREATING")
	fs.DurationVar(&d.Restore, "restore", 0, "fixed time a restored table spends CREATING")
	fs.DurationVar(&d.PerMiB, "per-mib", 0, "time added per MiB of data to backups and restores")
	m := emulator.DefaultModel()
	fs.DurationVar(&m.TagPropagation, "tag-propagation", m.TagPropagation, "time a tag change takes to show in ListTagsOfResource")
	fs.DurationVar(&m.BackupsEnabling, "backups-enabling", m.BackupsEnabling, "time after a restore during which backups are being enabled")
	fs.DurationVar(&m.StatsRefresh, "stats-refresh", m.StatsRefresh, "how often ItemCount and TableSizeBytes are refreshed (0: live)")
	fs.DurationVar(&m.TableUpdate, "table-update", m.TableUpdate, "time a table spends UPDATING after UpdateTable")
	fs.DurationVar(&m.MetricsDelay, "metrics-delay", m.MetricsDelay, "time after a metric's period ends before GetMetricData shows it")
	fs.IntVar(&m.MaxTableOperations, "max-table-operations", m.MaxTableOperations, "per-region limit of tables being created, updated or deleted (0: none)")
	rateLimits := fs.Bool("rate-limits", true, "enforce DynamoDB's per-operation request rates")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}

	if !*rateLimits {
		m.Rates = nil
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("invalid -log-level %q", *logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	srv, err := emulator.Start(*addr, emulator.Options{
		AccountID:             *account,
		Durations:             d,
		MaxConcurrentRestores: *maxRestores,
		Model:                 &m,
		Logger:                logger,
	})
	if err != nil {
		return err
	}
	fmt.Printf("emulator listening on %s\n", srv.URL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
		return srv.Close()
	case <-waitDone(srv):
		return srv.Wait()
	}
}

func waitDone(srv *emulator.Server) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		srv.Wait()
		close(ch)
	}()
	return ch
}
