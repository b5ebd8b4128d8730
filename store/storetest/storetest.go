// Package storetest gives tests a fresh database of their own: a PostgreSQL
// database on the local server, or an SQLite file in the test's temporary
// directory, migrated to the reference schema and removed when the test ends.
//
// Migrating is done once: PostgreSQL databases are created from a template
// database named by a hash of the migrations, SQLite files are copies of a
// migrated template file (template.go).
//
// The server is TEST_DATABASE_URL (default: the local postgres database over
// TCP). Without a reachable server a test skips, unless CI=true or
// CHATD_REQUIRE_SERVICES=1, where it fails: CI must never pass by skipping.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	_ "github.com/lib/pq" // the driver the tests open their admin connection with

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

// Dialect is a database the store runs on.
type Dialect string

// The dialects; every store test runs on both (EachDialect).
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// EachDialect runs test as one subtest per dialect.
func EachDialect(t *testing.T, test func(t *testing.T, d Dialect)) {
	t.Helper()
	for _, d := range []Dialect{Postgres, SQLite} {
		t.Run(string(d), func(t *testing.T) { test(t, d) })
	}
}

// NewDatabase creates an empty PostgreSQL database and returns its URL. It
// is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newPostgresDatabase(t, "")
}

// NewMigratedDatabase is NewDatabase with the reference schema applied.
func NewMigratedDatabase(t testing.TB) string {
	t.Helper()
	return NewMigratedDatabaseIn(t, Postgres)
}

// NewMigratedDatabaseIn returns the URL of a fresh database of dialect d
// holding the reference schema: a PostgreSQL database made from the template,
// or "sqlite:PATH" of a copy of the template file.
func NewMigratedDatabaseIn(t testing.TB, d Dialect) string {
	t.Helper()
	if d == SQLite {
		return newSQLiteFile(t)
	}
	return newPostgresDatabase(t, postgresTemplate(t))
}

// MustOpenSQL opens a plain database/sql pool on dbURL, closed when t ends.
func MustOpenSQL(t testing.TB, dbURL string) *sql.DB {
	t.Helper()
	driver, dsn, err := driverDSN(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func driverDSN(dbURL string) (driver, dsn string, err error) {
	if store.IsSQLite(dbURL) {
		dsn, err = store.SQLiteDSN(dbURL)
		return "sqlite", dsn, err
	}
	dsn, err = store.ConnString(dbURL)
	return "postgres", dsn, err
}

// Open returns a store on a fresh, migrated PostgreSQL database. now may be nil.
func Open(t testing.TB, now func() time.Time) (*store.DB, string) {
	t.Helper()
	return OpenIn(t, Postgres, now)
}

// OpenIn is Open on dialect d.
func OpenIn(t testing.TB, d Dialect, now func() time.Time) (*store.DB, string) {
	t.Helper()
	dbURL := NewMigratedDatabaseIn(t, d)
	db, err := store.Open(context.Background(), store.Config{URL: dbURL, MaxOpenConns: 5}, now)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dbURL
}

// LoadSQLFile runs a SQL file (a seed) against dbURL. On SQLite the file's
// PostgreSQL forms are translated first (SQLiteSQL).
func LoadSQLFile(t testing.TB, dbURL, path string) {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	if store.IsSQLite(dbURL) {
		text = SQLiteSQL(text)
	}
	if _, err := MustOpenSQL(t, dbURL).Exec(text); err != nil {
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
	return OpenSeededIn(t, Postgres, now)
}

// OpenSeededIn is OpenSeeded on dialect d.
func OpenSeededIn(t testing.TB, d Dialect, now func() time.Time) (*store.DB, string) {
	t.Helper()
	db, dbURL := OpenIn(t, d, now)
	LoadSQLFile(t, dbURL, SeedFile())
	return db, dbURL
}
