// Command restore-table is the Lambda handler of the restore-table step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/app"

func main() { app.Run((*app.Handlers).RestoreTable) }
