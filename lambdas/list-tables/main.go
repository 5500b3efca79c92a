// Command list-tables is the Lambda handler of the list-tables step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/app"

func main() { app.Run((*app.Handlers).ListTables) }
