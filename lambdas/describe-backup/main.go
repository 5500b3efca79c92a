// Command describe-backup is the Lambda handler of the describe-backup step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("describe-backup") }
