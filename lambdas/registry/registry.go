// Package registry is the one list of Lambda handlers (All): for each, its
// name (the function's Handler setting), the workflows that invoke it, the
// AWS access it needs, and how to build it. The one Lambda binary (Main,
// called by lambdas/bootstrap), the local host, the CDK app and the tests
// all read it. It also holds the handler edge, which turns a step's contract
// error into the error document Lambda reports, and the ASL placeholder
// that receives each handler's function ARN.
//
// Adding a handler takes its step (package steps, with its tests, and its
// golden cases in internal/lambdahost/testdata), its entry in All, and its
// Task state in the ASL.
package registry

import (
	"regexp"
	"slices"
	"strings"
)

// Access is one kind of AWS access a handler needs. The stacks turn each kind
// into IAM statements scoped to the resources of their own region(s).
type Access int

const (
	// ReadTables lists, describes and reads the tags of tables.
	ReadTables Access = iota
	// ReadSettings reads what a backup does not carry: TTL, PITR, tags and
	// the other settings in the table's description.
	ReadSettings
	// TagTables tags the tables the workflow restores.
	TagTables
	// MakeBackups creates and lists on-demand backups.
	MakeBackups
	// ReadBackups describes and lists backups.
	ReadBackups
	// RestoreTables restores backups into new tables (and, when a KMS key is
	// configured, encrypts them with it).
	RestoreTables
	// DeleteTempTables deletes the tool's own temporary tables.
	DeleteTempTables
	// PruneBackups lists and deletes backups.
	PruneBackups
	// ReapplySettings sets what a restore does not carry over: TTL, PITR,
	// deletion protection and other table settings.
	ReapplySettings
	// ReadCatalog reads the catalog table.
	ReadCatalog
	// WriteCatalog writes and deletes catalog entries.
	WriteCatalog
	// UseLedger reads and writes the run ledger in the function's own
	// region (core.EnvLedgerTable).
	UseLedger
	// ReadTableMetrics reads DynamoDB's CloudWatch metrics
	// (cloudwatch:GetMetricData).
	ReadTableMetrics
	// ReadCopyStatus reads the copy status items of the source region
	// (core.StatusPK) in each destination's catalog table.
	ReadCopyStatus
)

var accessNames = [...]string{"ReadTables", "ReadSettings", "TagTables", "MakeBackups", "ReadBackups", "RestoreTables",
	"DeleteTempTables", "PruneBackups", "ReapplySettings", "ReadCatalog", "WriteCatalog", "UseLedger",
	"ReadTableMetrics", "ReadCopyStatus"}

func (a Access) String() string {
	if int(a) < len(accessNames) {
		return accessNames[a]
	}
	return "Access(?)"
}

// Workflow is a state machine whose Task states invoke handlers.
type Workflow string

const (
	// BackupWorkflow is statemachine/backup.asl.json, deployed in the
	// source region.
	BackupWorkflow Workflow = "backup"
	// RestoreWorkflow is statemachine/restore.asl.json, deployed in every
	// destination region.
	RestoreWorkflow Workflow = "restore"
)

// Handler is one Lambda handler. Every function runs the same binary,
// lambdas/bootstrap, and a function's Handler setting is the Name of the
// entry it serves (see Select).
type Handler struct {
	Name string
	// Workflows are the state machines that invoke it; the stack of each
	// deploys it.
	Workflows []Workflow
	Needs     []Access
	// New builds the handler from deps: a func(context.Context, In) (Out,
	// error) behind the edge, as lambda.Start and lambda.NewHandler take it.
	New func(deps Deps) any
}

// Has reports whether h needs access a.
func (h Handler) Has(a Access) bool { return slices.Contains(h.Needs, a) }

// In reports whether w invokes h.
func (h Handler) In(w Workflow) bool { return slices.Contains(h.Workflows, w) }

// Placeholder is the ASL DefinitionSubstitutions key that receives the
// handler's function ARN: list-tables becomes ListTablesFunctionArn.
func (h Handler) Placeholder() string { return Placeholder(h.Name) }

// Handlers returns the handlers w invokes, in the order of All.
func (w Workflow) Handlers() []Handler {
	var out []Handler
	for _, h := range All {
		if h.In(w) {
			out = append(out, h)
		}
	}
	return out
}

// Backup lists the handlers of the backup workflow.
var Backup = BackupWorkflow.Handlers()

// Restore lists the handlers of the restore workflow.
var Restore = RestoreWorkflow.Handlers()

// Lookup returns the handler called name.
func Lookup(name string) (Handler, bool) {
	i := slices.IndexFunc(All, func(h Handler) bool { return h.Name == name })
	if i < 0 {
		return Handler{}, false
	}
	return All[i], true
}

// Placeholder turns a handler name (kebab-case) into its ASL
// placeholder: Pascal case plus "FunctionArn".
func Placeholder(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "FunctionArn"
}

// Placeholders returns the placeholders of hs, in order.
func Placeholders(hs []Handler) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Placeholder()
	}
	return out
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// UsedPlaceholders returns the distinct ${Name} placeholders in an ASL
// definition, sorted.
func UsedPlaceholders(definition string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(definition, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}
