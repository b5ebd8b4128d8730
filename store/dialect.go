package store

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// chatd runs on two databases with one set of queries. PostgreSQL is the
// production database (the one Prisma manages); SQLite is the embedded store
// for a chatd started with nothing configured. The queries are written in the
// SQL both understand ($N placeholders, ON CONFLICT, RETURNING, CAST); the
// fragments that cannot be shared live in dialect, and nowhere else.
//
// How SQLite holds PostgreSQL's types (migrations/sqlite/0001_schema.sql):
// TIMESTAMP(3) is TEXT written by the driver as "2006-01-02 15:04:05.999-07:00"
// in UTC, which sorts as time does; BOOLEAN is 0/1; enums are TEXT with a
// CHECK; JSONB is TEXT. lower() folds ASCII only.
type dialect struct {
	name string
	// forUpdate locks the rows a SELECT inside a transaction read.
	// SQLite needs none: its transactions begin immediate, holding the
	// database's one write lock until they end.
	forUpdate string
	// lazyTrue is a boolean expression that is true and, evaluated in a
	// statement, makes that statement's transaction commit without waiting
	// for its WAL to reach the disk (PostgreSQL's synchronous_commit = off,
	// for this transaction only; see Guest for why guest rows may). SQLite
	// has nothing to relax: plain true.
	lazyTrue string
}

var (
	postgresDialect = dialect{name: "postgres", forUpdate: " FOR UPDATE",
		lazyTrue: `(set_config('synchronous_commit', 'off', true) = 'off')`}
	sqliteDialect = dialect{name: "sqlite", lazyTrue: "true"}
)

// SQLiteScheme starts a DATABASE_URL that names an SQLite file
// ("sqlite:./data/chatd.db"): the embedded store.
const SQLiteScheme = "sqlite:"

// IsSQLite reports whether databaseURL names the embedded SQLite store.
func IsSQLite(databaseURL string) bool { return strings.HasPrefix(databaseURL, SQLiteScheme) }

// openPool opens the pool databaseURL names, in its dialect.
func openPool(databaseURL string, maxOpen int) (*sqlx.DB, dialect, error) {
	if !IsSQLite(databaseURL) {
		dsn, err := ConnString(databaseURL)
		if err != nil {
			return nil, dialect{}, err
		}
		sqldb, err := sqlx.Open("postgres", dsn)
		if err != nil {
			return nil, dialect{}, fmt.Errorf("store: open: %w", err)
		}
		sqldb.SetMaxOpenConns(maxOpen)
		sqldb.SetMaxIdleConns(maxOpen)
		return sqldb, postgresDialect, nil
	}
	dsn, err := SQLiteDSN(databaseURL)
	if err != nil {
		return nil, dialect{}, err
	}
	sqldb, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		return nil, dialect{}, fmt.Errorf("store: open: %w", err)
	}
	// SQLite serialises writers on one lock. Readers run beside the writer
	// (WAL); a writer waits its turn for up to the busy timeout.
	sqldb.SetMaxOpenConns(maxOpen)
	sqldb.SetMaxIdleConns(maxOpen)
	return sqldb, sqliteDialect, nil
}

// SQLiteDSN turns "sqlite:PATH" into the driver's DSN: WAL, foreign keys on,
// a 10 s busy timeout, transactions that take the write lock when they begin
// (so two read-then-write transactions never deadlock), and times written in
// UTC in a format that sorts as time does.
func SQLiteDSN(databaseURL string) (string, error) {
	path := strings.TrimPrefix(databaseURL, SQLiteScheme)
	path = strings.TrimPrefix(path, "//")
	if path == "" || strings.ContainsAny(path, "?#") {
		return "", fmt.Errorf("store: DATABASE_URL %q must be sqlite:PATH, with no ? or # in the path", databaseURL)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	q.Set("_timezone", "UTC")
	return filepath.Clean(path) + "?" + q.Encode(), nil
}

// isUniqueViolation reports whether err is a unique (or primary key)
// violation in either database.
func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23505"
	}
	code := sqliteCode(err)
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isForeignKeyViolation reports whether err is a foreign key violation: a
// row naming a user (or tenant, room) that does not exist.
func isForeignKeyViolation(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23503"
	}
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func sqliteCode(err error) int {
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code()
	}
	return 0
}

// Dialect names the database the store runs on: "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect.name }

// isRowError reports whether err is the database's complaint about a row's
// data rather than about the connection or the server, so that retrying the
// other rows of a batch without that one can succeed: PostgreSQL's classes
// 22 (data exception) and 23 (integrity constraint); SQLite's constraint,
// type mismatch and too-big errors.
func isRowError(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code.Class() == "22" || pqErr.Code.Class() == "23"
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG:
		return true
	}
	return false
}
