// Package migrations owns chatd's schema. On an empty database it creates
// exactly the reference schema Prisma would have made, from embedded, numbered
// SQL files applied one transaction each. On a database Prisma already
// manages it never creates, alters or drops anything: it only checks that
// every table and column chatd uses is there.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed *.sql
var files embed.FS

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
	managed, err := prismaManaged(ctx, db)
	if err != nil {
		return Result{}, err
	}
	if managed {
		return Result{PrismaManaged: true}, Check(ctx, db)
	}
	applied, err := applyAll(ctx, db)
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
}

// list returns the embedded files in order and refuses gaps, so a missing
// file is caught at build time in tests rather than in production.
func list() ([]migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migrations: %s: name must start with a number", name)
		}
		out = append(out, migration{v, name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations: gap before %s", m.name)
		}
	}
	return out, nil
}

func applyAll(ctx context.Context, db *sql.DB) ([]int, error) {
	all, err := list()
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+versionTable+` (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))`); err != nil {
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
	body, err := files.ReadFile(m.name)
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
