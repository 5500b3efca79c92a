// Command prune-backups is the Lambda handler of the prune-backups step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("prune-backups") }
