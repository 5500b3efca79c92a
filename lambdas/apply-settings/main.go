// Command apply-settings is the Lambda handler of the apply-settings step.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/app"

func main() { app.Run((*app.Handlers).ApplySettings) }
