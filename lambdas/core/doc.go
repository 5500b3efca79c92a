// Package core is the project's domain logic and the facts every part shares.
// It imports neither the AWS SDK nor aws-lambda-go, so the handlers, the CDK
// app in infra/ and the tests all import it:
//   - settings: environment variable names, defaults, validation, execution
//     overrides and restore input (config.go, restore_input.go);
//   - names and ownership: temporary-table and backup names, owner tags
//     (naming.go, ownership.go);
//   - table selection, retention and its tiers, the poll schedule and the
//     learned waits (learn.go), the settings manifest, the catalog entry and
//     the copy status (status.go), the run ledger's keys (ledger.go) and the
//     cost model;
//   - copying by RPO: RPO resolution, decisions and admission (rpo.go,
//     decide.go), and the run metrics' names and EMF lines (metrics.go);
//   - the contract errors, whose ErrorCode is the name the state machines
//     match in Retry and Catch (errors.go).
package core
