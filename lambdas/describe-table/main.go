// Command describe-table is the Lambda handler of the describe-table step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("describe-table") }
