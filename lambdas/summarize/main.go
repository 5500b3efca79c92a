// Command summarize is the Lambda handler of the summarize step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("summarize") }
