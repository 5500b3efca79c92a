// Command record-backup is the Lambda handler of the record-backup step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("record-backup") }
