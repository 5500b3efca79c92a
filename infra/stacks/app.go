// Package stacks holds the CDK stacks of dynamodb-xregion-backup: the backup
// stack in the source region and a restore stack in every destination
// region, checked by cdk-nag's AwsSolutions rules on every synthesis. The
// handlers' settings, their names, defaults and validation come from
// lambdas/core, the handlers and their access from lambdas/registry.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// BackupStackName is the name of the backup stack.
func (c Config) BackupStackName() string { return c.StackPrefix + "Backup" }

// RestoreStackName is the name of the restore stack in region.
func (c Config) RestoreStackName(region string) string { return c.StackPrefix + "Restore-" + region }

// Build adds every stack that cfg describes to app, and cdk-nag's
// AwsSolutions checks to all of them. It returns the backup stack first.
func Build(app awscdk.App, cfg Config) ([]awscdk.Stack, error) {
	env := func(region string) *awscdk.Environment {
		e := &awscdk.Environment{Region: jsii.String(region)}
		if cfg.Account != "" {
			e.Account = jsii.String(cfg.Account)
		}
		return e
	}
	backup, err := NewBackupStack(app, cfg.BackupStackName(), &BackupStackProps{
		StackProps: awscdk.StackProps{
			Env:         env(cfg.SourceRegion),
			Description: jsii.String("dynamodb-xregion-backup: backs up DynamoDB tables of " + cfg.SourceRegion + " and copies the backups to other regions"),
		},
		Config: cfg,
	})
	if err != nil {
		return nil, err
	}
	stacks := []awscdk.Stack{backup}
	for _, region := range cfg.DestinationRegions {
		restore, err := NewRestoreStack(app, cfg.RestoreStackName(region), &RestoreStackProps{
			StackProps: awscdk.StackProps{
				Env:         env(region),
				Description: jsii.String("dynamodb-xregion-backup: restores DynamoDB tables in " + region + " from the copied backups"),
			},
			Config: cfg,
		})
		if err != nil {
			return nil, err
		}
		stacks = append(stacks, restore)
	}
	awscdk.Tags_Of(app).Add(jsii.String("app"), jsii.String("dynamodb-xregion-backup"), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return stacks, nil
}
