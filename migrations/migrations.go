// Package migrations owns chatd's schema. On an empty database it creates
// exactly the reference schema Prisma would have made, from embedded, numbered
// SQL files applied one transaction each. On a database Prisma already
// manages it never creates, alters or drops anything: it only checks that
// every table and column chatd uses is there.
//
// PostgreSQL's files are *.sql here; the embedded SQLite store has its own,
// equivalent files in sqlite/ (the same numbers, the same tables and columns).
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"modernc.org/sqlite"
)

//go:embed *.sql sqlite/*.sql
var files embed.FS

// kind is the database a handle talks to, told by its driver.
type kind struct {
	glob string // its numbered files
	// versionTable creates the bookkeeping table.
	versionTable string
}

var (
	postgresKind = kind{glob: "*.sql", versionTable: `CREATE TABLE IF NOT EXISTS ` + versionTable + ` (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))`}
	sqliteKind = kind{glob: "sqlite/*.sql", versionTable: `CREATE TABLE IF NOT EXISTS ` + versionTable + ` (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`}
)

func kindOf(db *sql.DB) kind {
	if _, ok := db.Driver().(*sqlite.Driver); ok {
		return sqliteKind
	}
	return postgresKind
}

// IsSQLite reports whether db is the embedded SQLite store.
func IsSQLite(db *sql.DB) bool { return kindOf(db) == sqliteKind }

// Fingerprint identifies the schema the migrations create on PostgreSQL
// (sqlite false) or SQLite: a hash of their files. Tests name their template
// databases with it, so a changed migration never reuses an old template.
func Fingerprint(sqlite bool) string {
	k := postgresKind
	if sqlite {
		k = sqliteKind
	}
	h := sha256.New()
	all, _ := list(k)
	for _, m := range all {
		body, _ := files.ReadFile(m.path)
		fmt.Fprintf(h, "%s\n%d\n", m.path, len(body))
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// versionTable records which numbered files chatd applied. It exists only on
// databases chatd created; a Prisma-managed database never gets it.
const versionTable = "chatd_schema_migrations"

// Result says what Migrate found and did.
type Result struct {
	PrismaManaged bool  // the schema belongs to Prisma: checked, not touched
	Applied       []int // versions applied by this call
}

// Migrate brings a fresh database to the reference schema, or only checks a
// Prisma-managed one. Either way it ends with Check.
func Migrate(ctx context.Context, db *sql.DB) (Result, error) {
	k := kindOf(db)
	if k == sqliteKind {
		applied, err := applyAll(ctx, db, k)
		if err != nil {
			return Result{Applied: applied}, err
		}
		return Result{Applied: applied}, Check(ctx, db)
	}
	managed, err := prismaManaged(ctx, db)
	if err != nil {
		return Result{}, err
	}
	if managed {
		return Result{PrismaManaged: true}, Check(ctx, db)
	}
	applied, err := applyAll(ctx, db, k)
	if err != nil {
		return Result{Applied: applied}, err
	}
	return Result{Applied: applied}, Check(ctx, db)
}

// prismaManaged reports whether the schema was made by someone else: it has
// Prisma's bookkeeping table, or the product's tables without chatd's.
func prismaManaged(ctx context.Context, db *sql.DB) (bool, error) {
	var prisma, ours, tenant bool
	err := db.QueryRowContext(ctx, `
		SELECT to_regclass('"_prisma_migrations"') IS NOT NULL,
		       to_regclass('`+versionTable+`') IS NOT NULL,
		       to_regclass('"Tenant"') IS NOT NULL`).Scan(&prisma, &ours, &tenant)
	if err != nil {
		return false, fmt.Errorf("migrations: detect schema: %w", err)
	}
	return prisma || (tenant && !ours), nil
}

type migration struct {
	version int
	name    string
	path    string // inside files
}

// list returns the embedded files in order and refuses gaps, so a missing
// file is caught at build time in tests rather than in production.
func list(k kind) ([]migration, error) {
	paths, err := fs.Glob(files, k.glob)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, path := range paths {
		name := path[strings.LastIndex(path, "/")+1:]
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migrations: %s: name must start with a number", name)
		}
		out = append(out, migration{v, name, path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations: gap before %s", m.name)
		}
	}
	return out, nil
}

func applyAll(ctx context.Context, db *sql.DB, k kind) ([]int, error) {
	all, err := list(k)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, k.versionTable); err != nil {
		return nil, fmt.Errorf("migrations: version table: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+versionTable).Scan(&current); err != nil {
		return nil, fmt.Errorf("migrations: read version: %w", err)
	}
	if current > len(all) {
		return nil, fmt.Errorf("migrations: database is at version %d, this chatd knows only %d: refusing to downgrade", current, len(all))
	}
	var applied []int
	for _, m := range all[current:] {
		if err := apply(ctx, db, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

func apply(ctx context.Context, db *sql.DB, m migration) error {
	body, err := files.ReadFile(m.path)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrations: %s: %w", m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migrations: %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+versionTable+` (version) VALUES ($1)`, m.version); err != nil {
		return fmt.Errorf("migrations: %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrations: %s: commit: %w", m.name, err)
	}
	return nil
}
