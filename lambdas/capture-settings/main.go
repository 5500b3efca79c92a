// Command capture-settings is the Lambda handler of the capture-settings step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("capture-settings") }
