// Package store reads and writes the product's PostgreSQL database exactly as
// Prisma laid it out, or the embedded SQLite file with the same tables (see
// dialect.go). Every query is plain SQL next to the method that runs it, one
// file per table. Methods take a context first, wrap errors with the
// operation's name, and report missing rows as ErrNotFound, never (nil, nil).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"

	"chatd"
)

// Sentinel errors. Callers compare with errors.Is; the transports map their
// kinds to statuses.
var (
	ErrNotFound = chatd.Errorf(chatd.ENOTFOUND, "not found")
	ErrConflict = chatd.Errorf(chatd.ECONFLICT, "conflict")
)

// DB is chatd's handle on the database.
type DB struct {
	db      *sqlx.DB
	dialect dialect
	now     func() time.Time
	stmts   statements     // prepared.go
	batches connectBatches // connect_batch.go
}

// Config says how to reach the database and how big the pool may grow.
type Config struct {
	URL          string // DATABASE_URL, Prisma's form accepted; sqlite:PATH for the embedded store
	MaxOpenConns int    // 0 means the default of 20
}

// Open connects to PostgreSQL (or opens the SQLite file) and checks the
// connection. now is the clock for every timestamp chatd writes (tests inject
// a fixed one).
func Open(ctx context.Context, cfg Config, now func() time.Time) (*DB, error) {
	maxOpen := cfg.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 20
	}
	sqldb, dialect, err := openPool(cfg.URL, maxOpen)
	if err != nil {
		return nil, err
	}
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	db := &DB{db: sqldb, dialect: dialect, now: now, stmts: statements{off: usesPgBouncer(cfg.URL)}}
	if dialect.name == postgresDialect.name {
		db.batches = newConnectBatches(db)
	}
	return db, nil
}

// Close releases the prepared statements and the pool.
func (db *DB) Close() error {
	_ = db.closeStatements() // the pool's close ends them anyway
	return db.db.Close()
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// SQL exposes the pool to the migrations, which run their own DDL.
func (db *DB) SQL() *sqlx.DB { return db.db }

// Now is the store's clock, truncated to what TIMESTAMP(3) keeps.
func (db *DB) Now() time.Time { return chatd.DBTime(db.now()) }

// InTx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise, so no request ever leaves half a record behind.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// ConnString turns a DATABASE_URL as Prisma reads it into one lib/pq accepts:
// Prisma's "schema" becomes search_path, its pool parameters are dropped, the
// session runs in UTC (columns hold UTC wall-clock time), sslmode defaults
// to "prefer" like libpq rather than lib/pq's "require", and queries go in a
// single round trip (binary_parameters).
func ConnString(databaseURL string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("store: DATABASE_URL must be a postgres:// or postgresql:// URL")
	}
	q := u.Query()
	if schema := q.Get("schema"); schema != "" {
		q.Set("search_path", schema)
	}
	for _, prismaOnly := range []string{"schema", "connection_limit", "pgbouncer", "pool_timeout", "socket_timeout", "statement_cache_size"} {
		q.Del(prismaOnly)
	}
	q.Set("TimeZone", "UTC")
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "prefer")
	}
	// One network round trip per query instead of two: without it lib/pq
	// prepares every query with arguments before running it. ([]byte
	// arguments then go in binary format: NullJSON sends text.)
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// notFound turns sql.ErrNoRows into ErrNotFound and wraps anything else with op.
func notFound(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// writeErr wraps err with op, turning a unique violation into ErrConflict.
func writeErr(op string, err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("%s: %w", op, ErrConflict)
	}
	return fmt.Errorf("%s: %w", op, err)
}
