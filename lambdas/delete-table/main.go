// Command delete-table is the Lambda handler of the delete-table step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("delete-table") }
