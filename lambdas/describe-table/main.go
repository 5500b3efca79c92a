// Command describe-table is the Lambda handler of the describe-table step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/app"

func main() { app.Run((*app.Handlers).DescribeTable) }
