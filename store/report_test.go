package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"chatd/store"
	"chatd/store/storetest"
)

func TestReports(t *testing.T) { storetest.EachDialect(t, testReports) }

func testReports(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	r, err := db.CreateReport(ctx, store.Report{ReporterID: seedAlice, AccusedID: seedMod, Reason: "spam",
		Details: ns("Messaggi ripetuti"), Context: store.NullJSON{JSON: json.RawMessage(`[{"id":"m1"}]`), Valid: true},
		TenantID: seedTenant})
	if err != nil || r.ID == "" || r.CreatedAt.IsZero() {
		t.Fatalf("created %+v, %v", r, err)
	}
	if _, err := db.CreateReport(ctx, store.Report{ReporterID: seedAlice, AccusedID: seedBob, Reason: "x", TenantID: seedTenant}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateReport(ctx, store.Report{ReporterID: seedAlice, AccusedID: "nope", Reason: "x", TenantID: seedTenant}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown accused: %v, want ErrNotFound", err)
	}
	list, err := db.ReportsByTenant(ctx, seedTenant)
	if err != nil || len(list) != 2 {
		t.Fatalf("reports %+v, %v", list, err)
	}
	var first store.Report
	for _, x := range list {
		if x.ID == r.ID {
			first = x
		}
	}
	// PostgreSQL's jsonb re-spaces the text, SQLite keeps it: compare values.
	var ctxValue any
	if err := json.Unmarshal(first.Context.JSON, &ctxValue); err != nil {
		t.Fatalf("context %s: %v", first.Context.JSON, err)
	}
	if first.Reason != "spam" || first.Details.String != "Messaggi ripetuti" ||
		!reflect.DeepEqual(ctxValue, []any{map[string]any{"id": "m1"}}) {
		t.Fatalf("read back %+v (context %s)", first, first.Context.JSON)
	}
	if other, _ := db.ReportsByTenant(ctx, "other"); len(other) != 0 {
		t.Fatalf("other tenant's reports %v", other)
	}
}
