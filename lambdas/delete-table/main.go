// Command delete-table is the Lambda handler of the delete-table step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/app"

func main() { app.Run((*app.Handlers).DeleteTable) }
