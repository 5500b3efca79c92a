// Command list-tables is the Lambda handler of the list-tables step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("list-tables") }
