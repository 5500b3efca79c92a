package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/ddb"
)

// Snapshot is a table's content and settings, for comparing a restore
// with its source.
type Snapshot struct {
	Items int    `json:"items"`
	Hash  string `json:"hash"` // SHA-256 over the items in a canonical order
	// Settings are the table's current settings, as a manifest would
	// record them.
	Settings core.Manifest `json:"settings"`
}

// ReadSnapshot scans a table and reads its settings.
func ReadSnapshot(ctx context.Context, cfg aws.Config, region, table string) (Snapshot, error) {
	db := client(cfg, region)
	var lines []string
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Snapshot{}, fmt.Errorf("scan %s in %s: %w", table, region, err)
		}
		for _, item := range page.Items {
			line, err := canonicalItem(item)
			if err != nil {
				return Snapshot{}, err
			}
			lines = append(lines, line)
		}
	}
	slices.Sort(lines)
	sum := sha256.New()
	for _, l := range lines {
		sum.Write([]byte(l))
		sum.Write([]byte{'\n'})
	}
	settings, err := ddb.NewRegions(cfg).For(region).ReadSettings(ctx, table)
	if err != nil {
		return Snapshot{}, err
	}
	settings.SourceRegion, settings.ItemCount, settings.SizeBytes = "", 0, 0
	return Snapshot{Items: len(lines), Hash: hex.EncodeToString(sum.Sum(nil)), Settings: settings}, nil
}

// canonicalItem renders an item as JSON in DynamoDB's attribute-value
// shape; encoding/json sorts map keys, so equal items render equally.
func canonicalItem(item map[string]types.AttributeValue) (string, error) {
	plain := make(map[string]any, len(item))
	for k, v := range item {
		plain[k] = plainValue(v)
	}
	b, err := json.Marshal(plain)
	return string(b), err
}

func plainValue(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]string{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]string{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string][]byte{"B": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]bool{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]bool{"NULL": v.Value}
	case *types.AttributeValueMemberSS:
		return map[string][]string{"SS": slices.Sorted(slices.Values(v.Value))}
	case *types.AttributeValueMemberNS:
		return map[string][]string{"NS": slices.Sorted(slices.Values(v.Value))}
	case *types.AttributeValueMemberBS:
		set := make([]string, len(v.Value))
		for i, b := range v.Value {
			set[i] = hex.EncodeToString(b)
		}
		slices.Sort(set)
		return map[string][]string{"BS": set}
	case *types.AttributeValueMemberL:
		list := make([]any, len(v.Value))
		for i, e := range v.Value {
			list[i] = plainValue(e)
		}
		return map[string]any{"L": list}
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(v.Value))
		for k, e := range v.Value {
			m[k] = plainValue(e)
		}
		return map[string]any{"M": m}
	}
	return fmt.Sprintf("unknown %T", v)
}
