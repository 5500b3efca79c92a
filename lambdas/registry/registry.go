// Package registry lists the Lambda handlers that each workflow deploys, what
// AWS access each one needs, and the ASL placeholder that receives each
// handler's function ARN. It has no CDK dependency, so tests anywhere in the
// repository can import it cheaply.
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
)

var accessNames = [...]string{"ReadTables", "ReadSettings", "TagTables", "MakeBackups", "ReadBackups", "RestoreTables",
	"DeleteTempTables", "PruneBackups", "ReapplySettings", "ReadCatalog", "WriteCatalog"}

func (a Access) String() string {
	if int(a) < len(accessNames) {
		return accessNames[a]
	}
	return "Access(?)"
}

// Handler is one Lambda binary, built from lambdas/<Name>/main.go into
// build/lambda/<Name>/bootstrap.
type Handler struct {
	Name  string
	Needs []Access
}

// Has reports whether h needs access a.
func (h Handler) Has(a Access) bool { return slices.Contains(h.Needs, a) }

// Placeholder is the ASL DefinitionSubstitutions key that receives the
// handler's function ARN: list-tables becomes ListTablesFunctionArn.
func (h Handler) Placeholder() string { return Placeholder(h.Name) }

// Backup lists the handlers of the backup workflow (statemachine/backup.asl.json).
var Backup = []Handler{
	{Name: "list-tables", Needs: []Access{ReadTables}},
	// sweep and delete-table tag an untagged temporary table before deleting
	// it: DeleteTable is only allowed on tagged ones.
	{Name: "sweep", Needs: []Access{ReadTables, TagTables, DeleteTempTables}},
	{Name: "create-backup", Needs: []Access{ReadTables, MakeBackups}},
	{Name: "capture-settings", Needs: []Access{ReadSettings}},
	{Name: "describe-backup", Needs: []Access{ReadBackups}},
	{Name: "restore-table", Needs: []Access{ReadTables, TagTables, RestoreTables}},
	{Name: "describe-table", Needs: []Access{ReadTables, TagTables}},
	{Name: "record-backup", Needs: []Access{WriteCatalog}},
	{Name: "delete-table", Needs: []Access{ReadTables, TagTables, DeleteTempTables}},
	{Name: "prune-backups", Needs: []Access{PruneBackups, WriteCatalog}},
	{Name: "summarize"},
}

// Restore lists the handlers of the restore workflow
// (statemachine/restore.asl.json), which the restore stack deploys in every
// destination region. Add new restore handlers here.
var Restore = []Handler{
	{Name: "plan-restore", Needs: []Access{ReadCatalog, ReadBackups, ReadTables}},
	{Name: "start-restore", Needs: []Access{ReadCatalog, ReadTables, RestoreTables}},
	{Name: "describe-table", Needs: []Access{ReadTables, TagTables}},
	{Name: "apply-settings", Needs: []Access{ReadCatalog, ReadSettings, TagTables, ReapplySettings}},
	{Name: "summarize"},
}

// Placeholder turns a handler directory name (kebab-case) into its ASL
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

// BackupPlaceholders is the set of ${...} placeholders that infra fills in
// statemachine/backup.asl.json.
func BackupPlaceholders() []string { return Placeholders(Backup) }

// RestorePlaceholders is the set of ${...} placeholders that infra fills in
// statemachine/restore.asl.json.
func RestorePlaceholders() []string { return Placeholders(Restore) }

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
