// Command start-restore is the Lambda handler of the start-restore step.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/app"
)

func main() {
	app.SetupLogging()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("load AWS config", "error", err)
		os.Exit(1)
	}
	lambda.Start(app.New(cfg, os.Getenv).StartRestore)
}
