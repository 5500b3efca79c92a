// Command sweep is the Lambda handler of the sweep step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("sweep") }
