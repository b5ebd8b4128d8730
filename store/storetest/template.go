package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/migrations"
	"chatd/store"
)

// Each test binary migrates once per dialect; every test then copies.

var (
	pgTemplateOnce sync.Once
	pgTemplateName string
	pgTemplateErr  error

	sqliteTemplateOnce sync.Once
	sqliteTemplatePath string
	sqliteTemplateErr  error
)

// adminDB connects to the test server, or skips/fails t when it is down.
func adminDB(t testing.TB) *sql.DB {
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
	return admin
}

// newPostgresDatabase creates a database (from template, when not "") and
// returns its URL; it is dropped when t ends.
func newPostgresDatabase(t testing.TB, template string) string {
	t.Helper()
	admin := adminDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := "chatd_test_" + strings.ToLower(store.RandomString(12))
	create := `CREATE DATABASE ` + name
	if template != "" {
		create += ` TEMPLATE ` + template
	}
	if _, err := admin.ExecContext(ctx, create); err != nil {
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
	return databaseURL(t, name)
}

func databaseURL(t testing.TB, name string) string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// postgresTemplate returns the name of the migrated template database,
// making it when no test binary has yet. The name carries the hash of the
// migrations, so worktrees with other migrations and templates of older
// migrations never clash; an advisory lock makes concurrently running test
// binaries build it once.
func postgresTemplate(t testing.TB) string {
	t.Helper()
	pgTemplateOnce.Do(func() {
		admin := adminDB(t)
		defer admin.Close()
		pgTemplateName = "chatd_tmpl_" + migrations.Fingerprint(false)
		pgTemplateErr = buildPostgresTemplate(t, admin, pgTemplateName)
	})
	if pgTemplateErr != nil {
		t.Fatalf("template database: %v", pgTemplateErr)
	}
	return pgTemplateName
}

func buildPostgresTemplate(t testing.TB, admin *sql.DB, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := admin.Conn(ctx) // the advisory lock belongs to one session
	if err != nil {
		return err
	}
	defer conn.Close()
	key, _ := strconv.ParseInt(migrations.Fingerprint(false)[:15], 16, 64)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	// Built under another name and renamed when complete: a binary killed
	// half-way never leaves a half-migrated template behind.
	building := name + "_building"
	for _, stmt := range []string{`DROP DATABASE IF EXISTS ` + building + ` WITH (FORCE)`, `CREATE DATABASE ` + building} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	dsn, err := store.ConnString(databaseURL(t, building))
	if err != nil {
		return err
	}
	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	_, err = migrations.Migrate(ctx, raw)
	raw.Close()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	_, err = conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name)
	return err
}

// newSQLiteFile copies the migrated template file into t's temporary
// directory and returns its "sqlite:PATH".
func newSQLiteFile(t testing.TB) string {
	t.Helper()
	sqliteTemplateOnce.Do(func() {
		sqliteTemplatePath, sqliteTemplateErr = buildSQLiteTemplate()
	})
	if sqliteTemplateErr != nil {
		t.Fatalf("template file: %v", sqliteTemplateErr)
	}
	path := filepath.Join(t.TempDir(), "chatd.db")
	if err := copyFile(sqliteTemplatePath, path); err != nil {
		t.Fatal(err)
	}
	return store.SQLiteScheme + path
}

// buildSQLiteTemplate migrates a file once per fingerprint, in the system's
// temporary directory; a rename publishes it whole.
func buildSQLiteTemplate() (string, error) {
	path := filepath.Join(os.TempDir(), "chatd-sqlite-template-"+migrations.Fingerprint(true)+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	dir, err := os.MkdirTemp("", "chatd-sqlite-template-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	building := filepath.Join(dir, "chatd.db")
	dsn, err := store.SQLiteDSN(store.SQLiteScheme + building)
	if err != nil {
		return "", err
	}
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		return "", err
	}
	_, err = migrations.Migrate(context.Background(), raw)
	if err == nil {
		// The whole database in the one file, so a copy of it is complete.
		_, err = raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	raw.Close()
	if err != nil {
		return "", fmt.Errorf("migrate: %w", err)
	}
	return path, os.Rename(building, path)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// The seed is written for PostgreSQL; these are the only forms it uses that
// SQLite spells differently.
var (
	truncateStmt = regexp.MustCompile(`(?s)TRUNCATE [^;]*;`)
	timestampLit = regexp.MustCompile(`'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.0+)?'`)
	relativeNow  = regexp.MustCompile(`date_trunc\('second', now\(\) AT TIME ZONE 'UTC'\) - interval '(\d+) (\w+)'`)
)

// SQLiteSQL translates a PostgreSQL seed for SQLite: no TRUNCATE (the file is
// fresh), timestamps in the form the driver writes (UTC, "+00:00"), and
// times relative to now through strftime.
func SQLiteSQL(pg string) string {
	s := truncateStmt.ReplaceAllString(pg, "")
	s = timestampLit.ReplaceAllString(s, `'$1+00:00'`)
	return relativeNow.ReplaceAllString(s, `strftime('%Y-%m-%d %H:%M:%S+00:00', 'now', '-$1 $2')`)
}
