package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

func TestSaveGuest(t *testing.T) { storetest.EachDialect(t, testSaveGuest) }

func testSaveGuest(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, time.Now)
	ctx := context.Background()
	created := time.Date(2026, 11, 26, 1, 0, 0, 123456789, time.UTC)
	joined := created.Add(2 * time.Second)
	id := store.NewUUID()
	img := sql.NullString{String: "https://x/a.png", Valid: true}
	g := store.Guest{ID: id, Name: "Zoë", Status: ns("qui"), Image: &img, CreatedAt: created, UpdatedAt: joined}
	if err := db.SaveGuest(ctx, g); err != nil {
		t.Fatal(err)
	}
	got, err := db.UserByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsAnonymous || got.Name.String != "Zoë" || got.Status.String != "qui" || got.Image != img ||
		got.Role != "USER" || !got.CreatedAt.Equal(created.Truncate(time.Millisecond)) || !got.UpdatedAt.Equal(joined.Truncate(time.Millisecond)) {
		t.Fatalf("created %+v", got)
	}
	// Unchanged: nothing written, updatedAt stays.
	g.UpdatedAt = joined.Add(time.Minute)
	g.Image = nil
	if err := db.SaveGuest(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, id); !got.UpdatedAt.Equal(joined.Truncate(time.Millisecond)) || got.Image != img {
		t.Fatalf("an unchanged profile was written: %+v", got)
	}
	// Touch writes it anyway; a change writes it; OnlyCreate never does.
	g.Touch = true
	if err := db.SaveGuest(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, id); !got.UpdatedAt.Equal(g.UpdatedAt.Truncate(time.Millisecond)) {
		t.Fatalf("Touch did not write: %+v", got)
	}
	g.Touch, g.Name, g.Status = false, "Zed", sql.NullString{}
	if err := db.SaveGuest(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, id); got.Name.String != "Zed" || got.Status.Valid || got.Image != img {
		t.Fatalf("after a change %+v", got)
	}
	if err := db.SaveGuest(ctx, store.Guest{ID: id, Name: "Other", CreatedAt: created, UpdatedAt: joined, OnlyCreate: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, id); got.Name.String != "Zed" {
		t.Fatalf("OnlyCreate changed an existing guest: %+v", got)
	}
	// A registered user's row is never touched through the guest path.
	if err := db.SaveGuest(ctx, store.Guest{ID: seedAlice, Name: "Mallory", UpdatedAt: joined}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, seedAlice); got.Name.String != "Alice" || got.IsAnonymous {
		t.Fatalf("registered user changed: %+v", got)
	}
}

func TestUserWithBlocked(t *testing.T) { storetest.EachDialect(t, testUserWithBlocked) }

func testUserWithBlocked(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	u, blocked, err := db.UserWithBlocked(ctx, seedBob)
	if err != nil || u.ID != seedBob || u.Name.String != "Bob" || blocked == nil || len(blocked) != 0 {
		t.Fatalf("bob: %+v %#v %v", u, blocked, err)
	}
	for _, other := range []string{seedMod, seedAlice} {
		if err := db.BlockUser(ctx, seedBob, other); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := db.BlockedIDs(ctx, seedBob)
	if _, blocked, _ := db.UserWithBlocked(ctx, seedBob); !reflect.DeepEqual(blocked, want) || len(want) != 2 {
		t.Fatalf("blocked %v, want %v", blocked, want)
	}
	if _, _, err := db.UserWithBlocked(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestSaveProfileWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, testSaveProfileWritesOnlyChanges)
}

func testSaveProfileWritesOnlyChanges(t *testing.T, d storetest.Dialect) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	db, _ := storetest.OpenSeededIn(t, d, func() time.Time { return now })
	ctx := context.Background()
	before, _ := db.UserByID(ctx, seedAlice)
	name := "Alice"
	if err := db.SaveProfile(ctx, seedAlice, store.UserProfile{Name: &name, Status: &before.Status}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, seedAlice); !got.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("unchanged profile written: updatedAt %v, was %v", got.UpdatedAt, before.UpdatedAt)
	}
	name = "Alicia"
	if err := db.SaveProfile(ctx, seedAlice, store.UserProfile{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, seedAlice); got.Name.String != "Alicia" || !got.UpdatedAt.Equal(now) {
		t.Fatalf("changed profile: %+v", got)
	}
	if err := db.SaveProfile(ctx, "nobody", store.UserProfile{Name: &name}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

// TestSweepGuests: only old guests that never joined and that nothing
// names go; every kind of reference keeps one.
func TestSweepGuests(t *testing.T) { storetest.EachDialect(t, testSweepGuests) }

func testSweepGuests(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	guest := func(joined bool) string {
		t.Helper()
		g := store.Guest{ID: store.NewUUID(), Name: "g", CreatedAt: old, UpdatedAt: old}
		if joined {
			g.UpdatedAt = old.Add(time.Millisecond)
		}
		if err := db.SaveGuest(ctx, g); err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	unused, joined := guest(false), guest(true)
	fresh := store.NewUUID()
	if err := db.SaveGuest(ctx, store.Guest{ID: fresh, Name: "new", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	kept := map[string]string{"joined": joined, "fresh": fresh}
	refs := map[string]string{
		"sender":     `INSERT INTO "Message" ("id","text","senderId","senderAlias","senderGender","tenantId") VALUES ('m-s','x',$1,'g','other','` + seedTenant + `')`,
		"recipient":  `INSERT INTO "Message" ("id","text","senderId","senderAlias","senderGender","recipientId","tenantId") VALUES ('m-r','x','` + seedAlice + `','a','other',$1,'` + seedTenant + `')`,
		"userId":     `INSERT INTO "Message" ("id","text","senderId","senderAlias","senderGender","userId","tenantId") VALUES ('m-u','x','someone','a','other',$1,'` + seedTenant + `')`,
		"blocker":    `INSERT INTO "BlockedUser" ("id","userId","blockedId") VALUES ('b1',$1,'` + seedAlice + `')`,
		"blocked":    `INSERT INTO "BlockedUser" ("id","userId","blockedId") VALUES ('b2','` + seedAlice + `',$1)`,
		"reporter":   `INSERT INTO "Report" ("id","reporterId","accusedId","reason","tenantId") VALUES ('r1',$1,'` + seedAlice + `','x','` + seedTenant + `')`,
		"accused":    `INSERT INTO "Report" ("id","reporterId","accusedId","reason","tenantId") VALUES ('r2','` + seedAlice + `',$1,'x','` + seedTenant + `')`,
		"hider":      `INSERT INTO "HiddenConversation" ("id","userId","peerId","tenantId") VALUES ('h1',$1,'p','` + seedTenant + `')`,
		"hidden":     `INSERT INTO "HiddenConversation" ("id","userId","peerId","tenantId") VALUES ('h2','` + seedAlice + `',$1,'` + seedTenant + `')`,
		"session":    `INSERT INTO "session" ("id","expiresAt","token","createdAt","updatedAt","userId") VALUES ('s1','2099-01-01','tok-sweep',CURRENT_TIMESTAMP,CURRENT_TIMESTAMP,$1)`,
		"member":     `INSERT INTO "TenantMember" ("id","userId","tenantId","role","updatedAt") VALUES ('tm1',$1,'` + seedTenant + `','STAFF',CURRENT_TIMESTAMP)`,
		"feedback":   `INSERT INTO "Feedback" ("id","score","userId","tenantId") VALUES ('f1',5,$1,'` + seedTenant + `')`,
		"biometric":  `INSERT INTO "BiometricToken" ("id","token","userId","deviceId") VALUES ('bt1','bt-sweep',$1,'d')`,
		"account":    `INSERT INTO "account" ("id","accountId","providerId","userId","createdAt","updatedAt") VALUES ('a1','x','anonymous',$1,CURRENT_TIMESTAMP,CURRENT_TIMESTAMP)`,
		"passkeyRef": `INSERT INTO "passkey" ("id","publicKey","userId","credentialID","counter","deviceType","backedUp") VALUES ('pk1','k',$1,'cred-sweep',0,'singleDevice',false)`,
	}
	for name, q := range refs {
		id := guest(false)
		exec(q, id)
		kept[name] = id
	}
	n, err := db.SweepGuests(ctx, old.Add(time.Hour), 1000) // the seed's rows are younger
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("swept %d guests, want 1", n)
	}
	if _, err := db.UserByID(ctx, unused); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the unused guest is still there: %v", err)
	}
	for name, id := range kept {
		if _, err := db.UserByID(ctx, id); err != nil {
			t.Errorf("guest kept for %s is gone: %v", name, err)
		}
	}
	if _, err := db.UserByID(ctx, seedBob); err != nil {
		t.Errorf("the seed's guest is gone: %v", err)
	}
}

// TestSaveNewGuest: a new guest's row is written without a conflict check
// on PostgreSQL; when a row holds the id after all, the write is the upsert
// it would have been without New, for the whole batch it came in, and a
// registered user's row is still never touched.
func TestSaveNewGuest(t *testing.T) { storetest.EachDialect(t, testSaveNewGuest) }

func testSaveNewGuest(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, time.Now)
	ctx := context.Background()
	created := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	joined := created.Add(time.Second)
	taken := store.NewUUID() // a guest whose other socket joined first
	if err := db.SaveGuest(ctx, store.Guest{ID: taken, Name: "Prima", CreatedAt: created, UpdatedAt: joined}); err != nil {
		t.Fatal(err)
	}
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		ids[i] = store.NewUUID()
	}
	ids[7], ids[23] = taken, seedAlice
	errs := atOnce(n, func(i int) error {
		return db.SaveGuest(ctx, store.Guest{ID: ids[i], Name: fmt.Sprintf("nuovo-%d", i),
			CreatedAt: created, UpdatedAt: joined.Add(time.Second), New: true})
	})
	for i, id := range ids {
		if errs[i] != nil {
			t.Fatalf("guest %d: %v", i, errs[i])
		}
		got, err := db.UserByID(ctx, id)
		switch {
		case err != nil:
			t.Fatalf("guest %d: %v", i, err)
		case id == seedAlice:
			if got.Name.String != "Alice" || got.IsAnonymous {
				t.Fatalf("registered user changed: %+v", got)
			}
		case got.Name.String != fmt.Sprintf("nuovo-%d", i) || !got.IsAnonymous || got.Role != "USER" ||
			!got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(joined.Add(time.Second)):
			t.Fatalf("guest %d: %+v", i, got)
		}
	}
	if got, _ := db.UserByID(ctx, taken); !got.CreatedAt.Equal(created) {
		t.Fatalf("the existing guest's createdAt changed: %+v", got)
	}
}
