// Command infra is the CDK app of dynamodb-xregion-backup. Run it through the
// cdk CLI from this directory (see cdk.json), or build it and run it with
// CDK_OUTDIR set. Configuration comes from the context in cdk.json, which
// -c key=value overrides.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/infra/stacks"
)

func main() {
	defer jsii.Close()
	if err := run(nil); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run builds and synthesizes the app. props is nil except in tests: the cdk
// CLI passes the context and output directory through the environment.
func run(props *awscdk.AppProps) error {
	app := awscdk.NewApp(props)
	cfg, err := stacks.LoadConfig(func(key string) any {
		return app.Node().TryGetContext(jsii.String(key))
	}, os.Getenv("CDK_DEFAULT_ACCOUNT"))
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if cfg.AssetDir == "" {
		cfg.AssetDir = defaultAssetDir(root)
	}
	if cfg.StateMachineDir == "" {
		cfg.StateMachineDir = filepath.Join(root, "statemachine")
	}
	if _, err := stacks.Build(app, cfg); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// defaultAssetDir is where make build writes bootstrap, the one Lambda
// binary, under the repository root: the functions' code asset unless the
// assetDir context key says otherwise.
func defaultAssetDir(root string) string { return filepath.Join(root, "build", "lambda") }

// repoRoot finds the repository root: the nearest directory, from the
// working directory up, that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (a directory with go.mod) above the working directory")
		}
		dir = parent
	}
}
