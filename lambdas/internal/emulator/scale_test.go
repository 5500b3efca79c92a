package emulator

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// createTables creates n tables (scaleTable(0) to scaleTable(n-1)) with c,
// and a backup of each, a few at a time.
func createTables(tb testing.TB, c *dynamodb.Client, n int) {
	tb.Helper()
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				createTable(tb, c, scaleTable(i))
				if _, err := c.CreateBackup(ctx(tb), &dynamodb.CreateBackupInput{TableName: aws.String(scaleTable(i)), BackupName: aws.String("earlier")}); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func scaleTable(i int) string { return fmt.Sprintf("table-%05d", i) }

// BenchmarkCopyCallsAtScale times the calls one cross-region copy of a
// table makes (DescribeTable, CreateBackup, DescribeBackup, ListBackups of
// the table, RestoreTableFromBackup into another region, DescribeTable of
// the restored table, DeleteTable, DeleteBackup), with 1,000 and 10,000
// tables in the source region. The cost of an iteration must not grow with
// the number of tables:
//
//	go test -run '^$' -bench CopyCallsAtScale -cpuprofile cpu.out ./lambdas/internal/emulator/
func BenchmarkCopyCallsAtScale(b *testing.B) {
	for _, tables := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("tables=%d", tables), func(b *testing.B) {
			srv := startServer(b, Options{Model: relaxed(func(m *Model) { m.Rates = nil; m.BackupsEnabling = 0 })})
			src, dst := newClient(srv, regionA, 1), newClient(srv, regionB, 1)
			createTables(b, src, tables)
			i := 0
			for b.Loop() {
				copyOnce(b, src, dst, scaleTable(i%tables), i)
				i++
			}
		})
	}
}

// copyOnce makes the calls of one copy of table, the i-th of the run.
func copyOnce(b *testing.B, src, dst *dynamodb.Client, table string, i int) {
	c := ctx(b)
	if _, err := src.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: aws.String(table)}); err != nil {
		b.Fatal(err)
	}
	bk, err := src.CreateBackup(c, &dynamodb.CreateBackupInput{TableName: aws.String(table), BackupName: aws.String(fmt.Sprintf("copy-%d", i))})
	if err != nil {
		b.Fatal(err)
	}
	arn := bk.BackupDetails.BackupArn
	if _, err := src.DescribeBackup(c, &dynamodb.DescribeBackupInput{BackupArn: arn}); err != nil {
		b.Fatal(err)
	}
	if _, err := src.ListBackups(c, &dynamodb.ListBackupsInput{TableName: aws.String(table)}); err != nil {
		b.Fatal(err)
	}
	target := aws.String(fmt.Sprintf("restored-%d", i))
	if _, err := dst.RestoreTableFromBackup(c, &dynamodb.RestoreTableFromBackupInput{
		BackupArn: arn, TargetTableName: target,
		BillingModeOverride:      types.BillingModePayPerRequest,
		SSESpecificationOverride: &types.SSESpecification{Enabled: aws.Bool(false)},
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := dst.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: target}); err != nil {
		b.Fatal(err)
	}
	if _, err := dst.DeleteTable(c, &dynamodb.DeleteTableInput{TableName: target}); err != nil {
		b.Fatal(err)
	}
	if _, err := src.DeleteBackup(c, &dynamodb.DeleteBackupInput{BackupArn: arn}); err != nil {
		b.Fatal(err)
	}
}
