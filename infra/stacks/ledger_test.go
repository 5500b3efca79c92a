package stacks_test

import (
	"testing"
)

// ledgerID returns the logical id of the stack's run ledger: the one table
// whose items expire by the expiresAt attribute.
func ledgerID(t *testing.T, tpl map[string]any) string {
	t.Helper()
	var ids []string
	for id, table := range resources(tpl, "AWS::DynamoDB::Table") {
		ttl, _ := table["TimeToLiveSpecification"].(map[string]any)
		if ttl["AttributeName"] == "expiresAt" {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d ledger tables (%v), want 1", len(ids), ids)
	}
	return ids[0]
}
