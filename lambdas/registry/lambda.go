package registry

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
)

// Main is the whole main of the Lambda binary of the handler called name:
// JSON logs, one aws.Config from the environment, the handler built from
// its entry in All, and served through Lambda.
func Main(name string) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	h, ok := Lookup(name)
	if !ok {
		slog.Error("no such handler in the registry", "handler", name)
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("load AWS config", "handler", name, "error", err)
		os.Exit(1)
	}
	lambda.Start(h.New(Deps{Regions: ddb.NewRegions(cfg), Getenv: os.Getenv}))
}
