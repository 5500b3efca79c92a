// Command local hosts every Lambda handler in one process for the local
// runner (statemachine/run.mjs) and the end-to-end tests. It uses the
// DynamoDB endpoint in AWS_ENDPOINT_URL_DYNAMODB, or starts an embedded
// emulator when that is unset, optionally seeds the demo tables, and prints
// one JSON line with its endpoints. It stops when standard input closes.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/demo"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/lambdahost"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "address to serve the handlers on")
	seed := flag.Bool("seed", false, "create the demo tables in SOURCE_REGION and the first of DESTINATION_REGIONS")
	speed := flag.Duration("restore-time", 2*time.Second, "embedded emulator: how long a restore takes (backups take a quarter of it)")
	logs := flag.Bool("logs", false, "print the handlers' JSON logs to standard error")
	virtual := flag.Bool("virtual-time", false, "embedded emulator: simulate time; each poll's recommended wait advances the clock at once (run one table, with Wait states shortened to 0)")
	flag.Parse()

	if *logs {
		slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	} else {
		slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	endpoint := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	var emu *emulator.Server
	durations := emulator.Durations{TableCreate: *speed / 10, TableDelete: *speed / 10, BackupCreate: *speed / 4, Restore: *speed}
	if endpoint == "" {
		setup := durations
		if *virtual {
			// The simulated clock moves only when a poll says so, but the
			// catalog and demo tables below are awaited in real time: create
			// them at once, and set the durations once they exist.
			setup.TableCreate = 0
		}
		var err error
		emu, err = emulator.Start("127.0.0.1:0", emulator.Options{Durations: setup})
		if err != nil {
			return err
		}
		defer emu.Close()
		endpoint = emu.URL
		os.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	}
	// The emulator also answers CloudWatch's GetMetricData, on the same
	// endpoint.
	if os.Getenv("AWS_ENDPOINT_URL_CLOUDWATCH") == "" {
		os.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", endpoint)
	}
	// The emulator accepts any credentials; real ones are never needed here.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", core.EnvRegion: os.Getenv(core.EnvSourceRegion)} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	// This client avoids an SDK race that shows on loopback (see
	// emulator.NewHTTPClient); the endpoint is plain HTTP, so the CA bundle
	// the environment may name does not apply.
	cfg.HTTPClient = emulator.NewHTTPClient()
	source := os.Getenv(core.EnvSourceRegion)
	destinations := strings.Split(os.Getenv(core.EnvDestinationRegions), ",")
	catalog := cmp.Or(os.Getenv(core.EnvCatalogTable), core.DefaultCatalogTable)
	for _, region := range destinations { // as the CDK app does in each destination region
		if err := demo.CreateToolTable(ctx, cfg, region, catalog); err != nil {
			return err
		}
	}
	// The run ledger, in the region of each state machine: the backup's
	// (the source region) and the restore's (each destination region).
	ledger := cmp.Or(os.Getenv(core.EnvLedgerTable), core.DefaultLedgerTable)
	for _, region := range append([]string{source}, destinations...) {
		if err := demo.CreateToolTable(ctx, cfg, region, ledger); err != nil {
			return err
		}
	}
	if *seed {
		if err := demo.SeedDemo(ctx, cfg, source, destinations[0]); err != nil {
			return fmt.Errorf("seed demo tables: %w", err)
		}
	}

	if emu != nil {
		emu.Emulator.SetDurations(durations)
	}

	regions := ddb.NewRegions(cfg)
	deps := registry.Deps{Regions: regions, Getenv: os.Getenv, Metrics: registry.MetricsFrom(cfg)}
	if *logs {
		deps.RunMetrics = os.Stderr // with the handlers' logs, as in CloudWatch Logs
	}
	if emu != nil {
		// Paced at the emulator's rates, read at each call: equal to
		// DynamoDB's documented ones by default, and relaxed with them by
		// a test that relaxes them for itself.
		regions.PaceAt(func(op string) float64 { return emu.Emulator.Model().Rates[op] })
		// The handlers share the emulator's clock, so that advancing it
		// (admin API) ages backups and tables for them too.
		deps.Now = emu.Emulator.Now
	}
	host := lambdahost.New(lambdahost.Handlers(deps))
	if *virtual {
		if emu == nil {
			return fmt.Errorf("-virtual-time needs the embedded emulator: unset AWS_ENDPOINT_URL_DYNAMODB")
		}
		host.AfterInvoke = func(_ string, response []byte) { advance(emu.Emulator, response) }
	}
	mux := host.Routes()
	mux.HandleFunc("GET /inventory", serveJSON(func(r *http.Request) (any, error) {
		return demo.ReadInventory(r.Context(), cfg, strings.Split(r.URL.Query().Get("regions"), ","))
	}))
	mux.HandleFunc("GET /snapshot", serveJSON(func(r *http.Request) (any, error) {
		return demo.ReadSnapshot(r.Context(), cfg, r.URL.Query().Get("region"), r.URL.Query().Get("table"))
	}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	ready, _ := json.Marshal(map[string]any{"host": "http://" + ln.Addr().String(), "emulator": endpoint})
	fmt.Println(string(ready))

	go func() { // stop with the parent: it holds our standard input
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	<-ctx.Done()
	return nil
}

// advance moves the simulated clock on by the wait a step recommends, which
// the state machine would spend in its next Wait state: a poll's
// waitSeconds; a step that starts an operation recommends the first wait in
// poll; a temporary table's poll that started its backup, in finish.
func advance(emu *emulator.Emulator, response []byte) {
	type wait struct {
		WaitSeconds int `json:"waitSeconds"`
	}
	var out struct {
		wait
		Ready  bool  `json:"ready"`
		Poll   *wait `json:"poll"`
		Finish *wait `json:"finish"`
	}
	if json.Unmarshal(response, &out) != nil {
		return
	}
	next := out.WaitSeconds
	if out.Poll != nil {
		next = out.Poll.WaitSeconds
	}
	if out.Ready && out.Finish != nil {
		next = out.Finish.WaitSeconds
	}
	if next > 0 {
		emu.AdvanceClock(time.Duration(next) * time.Second)
	}
}

// serveJSON answers with what read returns, as JSON, or with its error.
func serveJSON(read func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := read(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}
