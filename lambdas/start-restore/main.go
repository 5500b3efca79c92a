// Command start-restore is the Lambda handler of the start-restore step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("start-restore") }
