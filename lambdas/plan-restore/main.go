// Command plan-restore is the Lambda handler of the plan-restore step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("plan-restore") }
