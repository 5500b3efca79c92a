package registry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
)

// HandlerEnv is the reserved environment variable in which Lambda gives an
// OS-only runtime (provided.al2023) the function's Handler setting. The AWS
// Lambda Developer Guide, "Defined runtime environment variables"
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html):
// "_HANDLER – The handler location configured on the function"; and
// "Building a custom runtime"
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html): a
// runtime reads the handler name from _HANDLER at init. Every function runs
// the same bootstrap, and its Handler is the name of its entry in All.
const HandlerEnv = "_HANDLER"

// UnknownHandler is the error of Select when the function's Handler setting
// names no entry of All, or is empty.
type UnknownHandler struct {
	// Name is the Handler setting, as the function has it.
	Name string
}

func (e *UnknownHandler) Error() string {
	known := strings.Join(names(), ", ")
	if e.Name == "" {
		return fmt.Sprintf("%s is empty: set the function's Handler to one of %s", HandlerEnv, known)
	}
	return fmt.Sprintf("%s=%q names no handler: set the function's Handler to one of %s", HandlerEnv, e.Name, known)
}

// names returns the name of every handler, in the order of All.
func names() []string {
	out := make([]string, len(All))
	for i, h := range All {
		out[i] = h.Name
	}
	return out
}

// Select returns the handler that the function's Handler setting names,
// reading it through getenv (os.Getenv in Lambda).
func Select(getenv func(string) string) (Handler, error) {
	name := getenv(HandlerEnv)
	h, ok := Lookup(name)
	if !ok {
		return Handler{}, &UnknownHandler{Name: name}
	}
	return h, nil
}

// Main is the whole main of the one Lambda binary: JSON logs, the handler
// the function's Handler setting selects, one aws.Config from the
// environment, and the handler built from its entry in All, served through
// Lambda. A setting that selects no handler fails the function's init.
func Main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	h, err := Select(os.Getenv)
	if err != nil {
		slog.Error("select the handler", "error", err)
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("load AWS config", "handler", h.Name, "error", err)
		os.Exit(1)
	}
	lambda.Start(h.New(Deps{Regions: ddb.NewRegions(cfg), Getenv: os.Getenv, Metrics: MetricsFrom(cfg), RunMetrics: os.Stdout}))
}
