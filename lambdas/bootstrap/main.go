// Command bootstrap is the one Lambda binary of every handler: each function
// runs it, and its Handler setting selects the entry of registry.All it
// serves.
package main

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"

func main() { registry.Main() }
