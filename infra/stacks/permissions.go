package stacks

import (
	"slices"
	"strings"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/registry"
)

// Scope is what one stack's handlers may act on: the ARNs each kind of
// access is limited to. Every handler of the stack gets the statements for
// the kinds of access it needs, on these resources.
type Scope struct {
	// Tables whose description and tags the handlers read.
	ReadTables []ARN
	// Tables the handlers create by restoring, then tag and write to.
	RestoreTargets []ARN
	// Tables the handlers back up.
	BackupTables []ARN
	// Backups the handlers describe.
	ReadBackups []ARN
	// Backups the handlers restore from.
	RestoreSources []ARN
	// Backups the handlers may delete.
	PrunableBackups []ARN
	// Temporary tables the handlers may delete. The name prefix is the only
	// scope IAM can enforce everywhere; the handlers check the owner tag.
	TempTables []ARN
	// Tables whose settings the handlers may change after a restore.
	SettableTables []ARN
	// The catalog tables.
	Catalog []ARN
	// StatusCatalogs are the catalog tables whose copy status items the
	// handlers query, and StatusPartition the partition key of those items:
	// the status items of this source region only.
	StatusCatalogs  []ARN
	StatusPartition string
	// Ledger is the stack's run ledger table.
	Ledger []ARN
	// Regions in which restores encrypt with the configured KMS key.
	KMSRegions []string
	KMSKeyID   string
}

// Reasons for the wildcards the scopes use, shown in the cdk-nag report.
const (
	reasonListActions = "dynamodb:ListTables, dynamodb:ListBackups and cloudwatch:GetMetricData (on metrics) " +
		"do not support resource-level permissions, so IAM only accepts Resource \"*\" for them."
	reasonAnyTable = "Table names come from the include, exclude and tagFilter settings or from the restore input at run time, " +
		"so they are not known at deploy time; the ARN is limited to this account and the configured regions."
	reasonBackups = "Backup ARNs have the form table/TABLE/backup/ID and do not contain the backup name, so IAM cannot tell " +
		"the tool's backups (named " + core.BackupPrefix + "<timestamp>.<run>.<table>) from others; the handlers check the name before deleting " +
		"and never touch other backups. In destination regions the table part is limited to the tool's " + core.TempPrefix + "* tables."
	reasonTempTables = "Temporary tables are named " + core.TempPrefix + "<hash>.<source table> at run time; the prefix limits access to " +
		"the tool's own temporary tables. DeleteTable is not also conditioned on the " + core.TagOwner + " tag, because DynamoDB evaluates " +
		"aws:ResourceTag only where its attribute-based access control is enabled for the account and region; the handlers check the tag, " +
		"the name and the source backup before every delete."
	reasonKMS = "DynamoDB uses several GenerateDataKey and ReEncrypt variants to encrypt a restored table with the configured key; " +
		"the statement is limited to that key and to calls made through DynamoDB (kms:ViaService)."
	reasonKMSAlias = "The key is configured by alias, so the key id is not known at deploy time; the statement is limited to " +
		"keys carrying that alias (kms:ResourceAliases) and to calls made through DynamoDB (kms:ViaService)."
)

// tableARN is the ARN of table name (may end in *) in region.
func tableARN(region, name string) ARN { return NewARN("dynamodb", region, "table/"+name) }

// backupARN is the ARN pattern of every backup of table (may end in *) in region.
func backupARN(region, table string) ARN {
	return NewARN("dynamodb", region, "table/"+table+"/backup/*")
}

// inRegions maps f over regions.
func inRegions(regions []string, f func(region string) ARN) []ARN {
	out := make([]ARN, len(regions))
	for i, r := range regions {
		out[i] = f(r)
	}
	return out
}

// PolicyFor returns the IAM statements that handler h needs within scope s.
func PolicyFor(h registry.Handler, s Scope) *Policy {
	p := &Policy{Explain: explainDynamoDB}
	var list []string // actions without resource-level permissions
	if h.Has(registry.ReadTables) {
		list = append(list, "dynamodb:ListTables")
		p.Allow([]string{"dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"}, s.ReadTables)
	}
	if h.Has(registry.ReadSettings) {
		p.Allow([]string{"dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive",
			"dynamodb:ListTagsOfResource"}, s.ReadTables)
	}
	if h.Has(registry.TagTables) {
		p.Allow([]string{"dynamodb:TagResource"}, s.RestoreTargets)
	}
	if h.Has(registry.MakeBackups) {
		list = append(list, "dynamodb:ListBackups")
		p.Allow([]string{"dynamodb:CreateBackup"}, s.BackupTables)
	}
	if h.Has(registry.ReadBackups) {
		list = append(list, "dynamodb:ListBackups")
		p.Allow([]string{"dynamodb:DescribeBackup"}, s.ReadBackups)
	}
	if h.Has(registry.RestoreTables) {
		// RestoreTableFromBackup is authorized on the source backup and on
		// the target table, and the restore also needs item read and write
		// permissions on the target table.
		p.Allow([]string{"dynamodb:RestoreTableFromBackup"}, slices.Concat(s.RestoreSources, s.RestoreTargets))
		p.Allow([]string{
			"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
			"dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
		}, s.RestoreTargets)
		if s.KMSKeyID != "" {
			allowKMS(p, s.KMSKeyID, s.KMSRegions)
		}
	}
	if h.Has(registry.DeleteTempTables) {
		// No aws:ResourceTag condition: DynamoDB evaluates it only where
		// attribute-based access control is enabled for the account and
		// region, and elsewhere treats the table as untagged, so every
		// delete would be denied. "Using attribute-based access control
		// with DynamoDB":
		// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/attribute-based-access-control.html
		p.Allow([]string{"dynamodb:DeleteTable"}, s.TempTables)
	}
	if h.Has(registry.PruneBackups) {
		list = append(list, "dynamodb:ListBackups")
		p.Allow([]string{"dynamodb:DeleteBackup"}, s.PrunableBackups)
	}
	if h.Has(registry.ReapplySettings) {
		p.Allow([]string{"dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive"},
			s.SettableTables)
	}
	if h.Has(registry.ReadCatalog) {
		p.Allow([]string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"}, s.Catalog)
	}
	if h.Has(registry.WriteCatalog) {
		p.Allow([]string{"dynamodb:DeleteItem", "dynamodb:PutItem"}, s.Catalog)
	}
	if h.Has(registry.ReadCopyStatus) {
		// dynamodb:LeadingKeys limits a Query to the partition keys named
		// ("Using IAM policy conditions for fine-grained access control":
		// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
		p.AllowIf([]string{"dynamodb:Query"}, s.StatusCatalogs, map[string]any{
			"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []string{s.StatusPartition}},
		})
	}
	if h.Has(registry.UseLedger) {
		p.Allow([]string{"dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
			s.Ledger)
	}
	if h.Has(registry.ReadTableMetrics) {
		// GetMetricData has no resource-level permissions for metrics: its
		// only resource type is the (optional) dataset of OTLP metrics
		// ("Actions, resources, and condition keys for Amazon CloudWatch":
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
		list = append(list, "cloudwatch:GetMetricData")
	}
	if len(list) > 0 {
		slices.Sort(list)
		list = slices.Compact(list)
		p.Allow(list, []ARN{AnyResource})
	}
	return p
}

// explainDynamoDB says why the handlers need each kind of wildcard.
func explainDynamoDB(wildcard string) string {
	switch {
	case wildcard == "Resource::*":
		return reasonListActions
	case strings.HasPrefix(wildcard, "Action::kms:"):
		return reasonKMS
	case strings.Contains(wildcard, ":kms:") && strings.HasSuffix(wildcard, ":key/*"):
		return reasonKMSAlias
	case strings.HasSuffix(wildcard, "/backup/*"):
		return reasonBackups
	case strings.HasSuffix(wildcard, ":table/"+core.TempPrefix+"*"):
		return reasonTempTables
	case strings.HasSuffix(wildcard, ":table/*"):
		return reasonAnyTable
	}
	return ""
}

// allowKMS lets DynamoDB use the configured key, in each region, on the
// handler's behalf when it restores a table encrypted with that key.
func allowKMS(p *Policy, key string, regions []string) {
	actions := []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}
	viaService := make([]string, len(regions))
	for i, r := range regions {
		viaService[i] = "dynamodb." + r + ".amazonaws.com"
	}
	conditions := map[string]any{"StringEquals": map[string]any{"kms:ViaService": viaService}}
	alias := ""
	switch {
	case strings.HasPrefix(key, "alias/"):
		alias = key
	case strings.HasPrefix(key, "arn:") && strings.Contains(key, ":alias/"):
		alias = key[strings.Index(key, ":alias/")+1:]
		regions = []string{core.RegionOfArn(key)}
	case strings.HasPrefix(key, "arn:"):
		p.AllowIf(actions, []ARN{{IAM: key, Nag: key}}, conditions)
		return
	}
	if alias != "" {
		conditions["ForAnyValue:StringEquals"] = map[string]any{"kms:ResourceAliases": alias}
		p.AllowIf(actions, inRegions(regions, func(r string) ARN { return NewARN("kms", r, "key/*") }), conditions)
		return
	}
	p.AllowIf(actions, inRegions(regions, func(r string) ARN { return NewARN("kms", r, "key/"+key) }), conditions)
}
