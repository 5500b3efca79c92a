// Command apply-settings is the Lambda handler of the apply-settings step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main("apply-settings") }
