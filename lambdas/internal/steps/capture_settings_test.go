package steps

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

func TestCaptureSettings(t *testing.T) {
	cloud := newCloud()
	db := cloud.db(src)
	db.addTable(core.Table{Name: "orders"}, map[string]string{"team": "payments"})
	settings := core.Manifest{
		BillingMode: core.BillingProvisioned, ReadCapacity: 5, WriteCapacity: 6, TableClass: core.TableClassStandard,
		StreamEnabled: true, StreamViewType: "KEYS_ONLY", TTLEnabled: true, TTLAttribute: "ttl", PITREnabled: true, PITRRecoveryDays: 35,
		DeletionProtection: true, ItemCount: 100, SizeBytes: 4096,
		CapturedAt: hoursAgo(100), // whatever the adapter says, the step's clock decides
	}
	db.setSettings("orders", settings)
	h := &CaptureSettings{Clients: clients[SettingsReader](cloud), Now: fixedClock(t0)}

	got, err := h.Handle(context.Background(), CaptureSettingsInput{Region: src, Table: "orders"})
	if err != nil {
		t.Fatal(err)
	}

	want := settings
	want.SourceRegion, want.SourceTable, want.CapturedAt = src, "orders", t0
	want.Tags = map[string]string{"team": "payments"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("manifest = %+v\nwant %+v", got, want)
	}
	if writes := cloud.writeCalls(); len(writes) != 0 {
		t.Errorf("capturing settings wrote %v", writes)
	}
}

func TestCaptureSettingsErrors(t *testing.T) {
	for _, in := range []CaptureSettingsInput{
		{Region: "", Table: "orders"},
		{Region: "us-east", Table: "orders"},
		{Region: src, Table: ""},
		{Region: src, Table: "a b c"},
	} {
		cloud := newCloud()
		_, err := (&CaptureSettings{Clients: clients[SettingsReader](cloud), Now: fixedClock(t0)}).Handle(context.Background(), in)
		var bad *core.InvalidInput
		if !errors.As(err, &bad) || len(cloud.allCalls()) != 0 {
			t.Errorf("%+v: err = %v, calls %v; want InvalidInput before any call", in, err, cloud.allCalls())
		}
	}
	cloud := newCloud()
	_, err := (&CaptureSettings{Clients: clients[SettingsReader](cloud), Now: fixedClock(t0)}).Handle(context.Background(), CaptureSettingsInput{Region: src, Table: "gone"})
	var notFound *core.TableNotFound
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "gone") {
		t.Errorf("missing table: err = %v, want TableNotFound", err)
	}
}
