// Package storetest gives tests a fresh PostgreSQL database of their own,
// created on the local server, migrated to the reference schema and dropped
// when the test ends.
//
// The server is TEST_DATABASE_URL (default: the local postgres database over
// TCP). Without a reachable server a test skips, unless CI=true or
// CHATD_REQUIRE_SERVICES=1, where it fails: CI must never pass by skipping.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // the driver the tests open their admin connection with

	"chatd/migrations"
	"chatd/store"
)

// DefaultAdminURL is used when TEST_DATABASE_URL is unset: the machine's own
// PostgreSQL, trust authentication on loopback.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the server the tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// ServicesRequired reports whether a missing PostgreSQL or Redis must fail
// the test instead of skipping it.
func ServicesRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("CHATD_REQUIRE_SERVICES") == "1"
}

// Unavailable skips or fails t, as ServicesRequired says, for a missing service.
func Unavailable(t testing.TB, service string, err error) {
	t.Helper()
	if ServicesRequired() {
		t.Fatalf("%s is required but unreachable: %v", service, err)
	}
	t.Skipf("%s unreachable (set CHATD_REQUIRE_SERVICES=1 to fail instead): %v", service, err)
}

// NewDatabase creates an empty database and returns its URL. It is dropped
// when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", AdminURL())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	name := "chatd_test_" + strings.ToLower(store.RandomString(12))
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewMigratedDatabase is NewDatabase with the reference schema applied.
func NewMigratedDatabase(t testing.TB) string {
	t.Helper()
	dbURL := NewDatabase(t)
	raw := MustOpenSQL(t, dbURL)
	if _, err := migrations.Migrate(context.Background(), raw); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dbURL
}

// MustOpenSQL opens a plain database/sql pool on dbURL, closed when t ends.
func MustOpenSQL(t testing.TB, dbURL string) *sql.DB {
	t.Helper()
	dsn, err := store.ConnString(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// Open returns a store on a fresh, migrated database. now may be nil.
func Open(t testing.TB, now func() time.Time) (*store.DB, string) {
	t.Helper()
	dbURL := NewMigratedDatabase(t)
	db, err := store.Open(context.Background(), store.Config{URL: dbURL, MaxOpenConns: 5}, now)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dbURL
}

// LoadSQLFile runs a SQL file (a seed) against dbURL.
func LoadSQLFile(t testing.TB, dbURL, path string) {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MustOpenSQL(t, dbURL).Exec(string(body)); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
}

// Exec runs one statement against dbURL, failing the test on error.
func Exec(t testing.TB, dbURL, query string, args ...any) {
	t.Helper()
	if _, err := MustOpenSQL(t, dbURL).Exec(query, args...); err != nil {
		t.Fatalf("exec %s: %v", fmt.Sprint(query), err)
	}
}

// SeedFile is the absolute path of the recordings' seed
// (testdata/recordings/seed.sql), the data every seeded test starts from.
func SeedFile() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "testdata", "recordings", "seed.sql")
}

// OpenSeeded is Open with the recordings' seed loaded.
func OpenSeeded(t testing.TB, now func() time.Time) (*store.DB, string) {
	t.Helper()
	db, dbURL := Open(t, now)
	LoadSQLFile(t, dbURL, SeedFile())
	return db, dbURL
}
