// Command create-backup is the Lambda handler of the create-backup step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("create-backup") }
