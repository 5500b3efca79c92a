// Command plan-restore is the Lambda handler of the plan-restore step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/app"

func main() { app.Run((*app.Handlers).PlanRestore) }
