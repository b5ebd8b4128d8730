package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

const (
	seedTenant = "7e4a0000-0000-4000-8000-00000000de00"
	seedAlice  = "a11ce000-0000-4000-8000-000000000001"
	seedMod    = "30d00000-0000-4000-8000-000000000002"
	seedAdmin  = "ad000000-0000-4000-8000-000000000003"
	seedBob    = "b0b00000-0000-4000-8000-000000000005"
	seedGen    = "cm0roomgeneral00000000002"
)

func ns(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestCreateMessage(t *testing.T) { storetest.EachDialect(t, testCreateMessage) }

func testCreateMessage(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC)
	m := store.Message{ID: "c1e00000-0000-4000-8000-000000000001", Text: "ciao", ImageURL: ns("/api/uploads/chat/x.jpg"),
		CreatedAt: at, SenderID: seedAlice, SenderAlias: "Alice", SenderGender: "female",
		RoomID: ns(seedGen), UserID: ns(seedAlice), TenantID: seedTenant}
	if err := db.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := db.MessageByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("createdAt %v, want %v", got.CreatedAt, at.Truncate(time.Millisecond))
	}
	got.CreatedAt = m.CreatedAt
	if got != m {
		t.Fatalf("read back %+v, want %+v", got, m)
	}
	dup := m
	dup.Text = "changed"
	if err := db.CreateMessage(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v, want ErrConflict", err)
	}
	if got, _ := db.MessageByID(ctx, m.ID); got.Text != "ciao" {
		t.Fatal("a duplicate overwrote the message")
	}
	bad := m
	bad.ID, bad.RoomID = "c1e00000-0000-4000-8000-000000000002", ns("no-such-room")
	if err := db.CreateMessage(ctx, bad); err == nil || errors.Is(err, store.ErrConflict) {
		t.Fatalf("unknown room: %v, want a write error", err)
	}
	if _, err := db.MessageByID(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing message: %v", err)
	}
}

func TestCreatePrivateMessageUnhides(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, testCreatePrivateMessageUnhides)
}

func testCreatePrivateMessageUnhides(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	for _, pair := range [][2]string{{seedAlice, seedMod}, {seedMod, seedAlice}, {seedAlice, seedBob}} {
		if err := db.HideConversation(ctx, pair[0], pair[1], seedTenant); err != nil {
			t.Fatal(err)
		}
	}
	m := store.Message{ID: "p1", Text: "psst", CreatedAt: time.Now(), SenderID: seedMod, SenderAlias: "Mod",
		SenderGender: "male", RecipientID: ns(seedAlice), UserID: ns(seedMod), TenantID: seedTenant}
	if err := db.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	peers, err := db.HiddenPeerIDs(ctx, seedAlice, seedTenant)
	if err != nil || len(peers) != 1 || peers[0] != seedBob {
		t.Fatalf("alice's hidden peers %v, %v; want only bob", peers, err)
	}
	if peers, _ := db.HiddenPeerIDs(ctx, seedMod, seedTenant); len(peers) != 0 {
		t.Fatalf("mod's hidden peers %v", peers)
	}
	// A failed insert leaves the hidden rows alone (one transaction).
	if err := db.HideConversation(ctx, seedMod, seedAlice, seedTenant); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateMessage(ctx, m); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	if peers, _ := db.HiddenPeerIDs(ctx, seedMod, seedTenant); len(peers) != 1 {
		t.Fatal("a refused message un-hid the conversation")
	}
}

func TestDeleteMessage(t *testing.T) { storetest.EachDialect(t, testDeleteMessage) }

func testDeleteMessage(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	tests := []struct {
		id, tenant string
		want       bool
	}{
		{"11110000-0000-4000-8000-000000000003", "other-tenant", false},
		{"11110000-0000-4000-8000-000000000003", seedTenant, true},
		{"11110000-0000-4000-8000-000000000003", seedTenant, false},
		{"no-such-message", seedTenant, false},
	}
	for _, tt := range tests {
		got, err := db.DeleteMessage(ctx, tt.tenant, tt.id)
		if err != nil || got != tt.want {
			t.Fatalf("DeleteMessage(%s, %s) = %v, %v; want %v", tt.tenant, tt.id, got, err, tt.want)
		}
	}
}

func TestHideConversationRefreshes(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, testHideConversationRefreshes)
}

func testHideConversationRefreshes(t *testing.T, d storetest.Dialect) {
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	db, _ := storetest.OpenSeededIn(t, d, func() time.Time { return now })
	ctx := context.Background()
	if err := db.HideConversation(ctx, seedAlice, seedMod, seedTenant); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if err := db.HideConversation(ctx, seedAlice, seedMod, seedTenant); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM "HiddenConversation" WHERE "hiddenAt" = $1`, now); n != 1 {
		t.Fatalf("%d rows with the refreshed hiddenAt, want 1 (and no second row)", n)
	}
	if err := db.HideConversation(ctx, "no-such-user", seedMod, seedTenant); err == nil {
		t.Fatal("hiding for an unknown user succeeded")
	}
}
