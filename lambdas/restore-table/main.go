// Command restore-table is the Lambda handler of the restore-table step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("restore-table") }
