package stacks

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

// The kinds of access that the run ledger and the copy planner add to
// registry's: handlers declare them in their Needs like the others, and
// PolicyFor turns each into statements within the stack's Scope. They
// continue registry's list of kinds, after its last one.
const (
	// UseLedger reads and writes the run ledger of the handler's own stack:
	// GetItem, PutItem, UpdateItem, BatchWriteItem and Query.
	UseLedger = registry.WriteCatalog + 1 + iota
	// ReadTableMetrics reads DynamoDB's CloudWatch metrics of the source
	// tables (cloudwatch:GetMetricData), to prove a table unchanged.
	ReadTableMetrics
	// ReadCopyStatus queries the copy status items of this source region
	// (partition key status#<source region>) in each destination's catalog:
	// for the backup workflow's handlers only.
	ReadCopyStatus
)
