package ddb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/demo"
)

// A run's ledger holds thousands of records with 255-character table names:
// they are written in batches, read back in key order across pages, and
// expire after the ledger's retention.
func TestLedgerRoundTrip(t *testing.T) {
	emu, regions, cfg := start(t)
	ctx := context.Background()
	const ledger = core.DefaultLedgerTable
	if err := demo.CreateToolTable(ctx, cfg, src, ledger); err != nil {
		t.Fatal(err)
	}
	db := regions.For(src)
	pk := core.LedgerRun("run-1")
	const n = 4000 // about 1.7 MB: Query returns at most 1 MB a page
	records := make([]core.LedgerRecord, n)
	for i := range records {
		name := fmt.Sprintf("%06d-%s", i, strings.Repeat("t", 248))
		records[i] = core.LedgerRecord{Key: core.LedgerItemKey(i), Data: json.RawMessage(fmt.Sprintf(`{"table":%q,"pad":%q}`, name, strings.Repeat("p", 150)))}
	}
	now := emu.Now()
	if err := db.PutLedger(ctx, ledger, pk, records, now); err != nil {
		t.Fatal(err)
	}
	// Another partition and another prefix in the same partition are not read.
	if err := db.PutLedger(ctx, ledger, core.LedgerRun("run-2"), records[:3], now); err != nil {
		t.Fatal(err)
	}
	if err := db.PutLedger(ctx, ledger, pk, []core.LedgerRecord{{Key: core.LedgerOutcomeKey(0, ""), Data: json.RawMessage(`{}`)}}, now); err != nil {
		t.Fatal(err)
	}

	var got []string
	err := db.QueryLedger(ctx, ledger, pk, core.LedgerItemPrefix, func(r core.LedgerRecord) error {
		var v struct{ Table string }
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		got = append(got, v.Table)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("read %d records, want %d", len(got), n)
	}
	for i, name := range got {
		if !strings.HasPrefix(name, fmt.Sprintf("%06d-", i)) {
			t.Fatalf("record %d is %.10s…: not in key order", i, name)
		}
	}

	data, found, err := db.GetLedger(ctx, ledger, pk, core.LedgerItemKey(1234))
	if err != nil || !found || !strings.Contains(string(data), "001234-") {
		t.Fatalf("GetLedger = %s, %v, %v", data, found, err)
	}
	if _, found, err := db.GetLedger(ctx, ledger, pk, core.LedgerItemKey(n)); err != nil || found {
		t.Fatalf("GetLedger of a missing record: found %v, err %v", found, err)
	}

	out, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(ledger), Key: map[string]types.AttributeValue{
		core.LedgerPartitionKey: &types.AttributeValueMemberS{Value: pk},
		core.LedgerSortKey:      &types.AttributeValueMemberS{Value: core.LedgerItemKey(0)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := out.Item[core.LedgerExpiresAt].(*types.AttributeValueMemberN)
	if want := fmt.Sprint(now.Add(core.LedgerRetention).Unix()); exp == nil || exp.Value != want {
		t.Errorf("expiresAt = %v, want %s (epoch seconds, %v after writing)", exp, want, core.LedgerRetention)
	}
}

func TestLedgerErrorsAreContractErrors(t *testing.T) {
	_, regions, _ := start(t)
	err := regions.For(src).PutLedger(context.Background(), "no-such-ledger", core.LedgerRun("r"),
		[]core.LedgerRecord{{Key: "k", Data: json.RawMessage(`{}`)}}, time.Now())
	var notFound *core.TableNotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("PutLedger into a missing table: %v, want TableNotFound", err)
	}
}
