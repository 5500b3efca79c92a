package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/jsii-runtime-go"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// newLedger makes the stack's run ledger: what each run listed, planned and
// decided, one item per admitted table, and each outcome, plus the cached
// tags of the source tables. Its items expire (TTL, epoch seconds in
// expiresAt) a few weeks after their run.
//
// CloudFormation names it, so that every stack has its own and two
// deployments in one region (two source regions copying into one
// destination) never share or collide on a name; the handlers get the
// name as LEDGER_TABLE.
//
// It holds no user data and nothing a later run or a restore needs once its
// run has ended: the catalog records every copy, and a lost tag cache is
// read again from the tables. So it has no point-in-time recovery (it would
// restore runs that are over) and no deletion protection, and it goes with
// its stack (RemovalPolicy DESTROY): an uninstall leaves nothing behind and
// a re-install starts with an empty ledger.
func newLedger(stack awscdk.Stack) awsdynamodb.Table {
	ledger := awsdynamodb.NewTable(stack, jsii.String("Ledger"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(core.LedgerPartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(core.LedgerSortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute: jsii.String(core.LedgerExpiresAt),
		RemovalPolicy:       awscdk.RemovalPolicy_DESTROY,
	})
	suppress(ledger, suppression("AwsSolutions-DDB3", "The run ledger holds only the working state of runs that expire within "+
		"weeks; the catalog, which has point-in-time recovery, records every copy, so there is nothing to recover to a point in time."))
	return ledger
}

// useLedger names ledger to every function (env) and returns the ARN the
// functions that use it get access to.
func useLedger(ledger awsdynamodb.Table, env map[string]string) []ARN {
	env[core.EnvLedgerTable] = *ledger.TableName()
	return []ARN{{IAM: *ledger.TableArn()}}
}
