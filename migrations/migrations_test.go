package migrations_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"chatd/migrations"
	"chatd/store/storetest"
)

func TestMigrateFreshDatabaseThenCheck(t *testing.T) {
	t.Parallel()
	raw := storetest.MustOpenSQL(t, storetest.NewDatabase(t))
	ctx := context.Background()
	res, err := migrations.Migrate(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.PrismaManaged || len(res.Applied) == 0 || res.Applied[0] != 1 {
		t.Fatalf("fresh database: got %+v", res)
	}
	again, err := migrations.Migrate(ctx, raw)
	if err != nil || len(again.Applied) != 0 || again.PrismaManaged {
		t.Fatalf("second run should apply nothing: %+v, %v", again, err)
	}
	// The seed of the recordings must load into what chatd created.
	storetest.LoadSQLFile(t, storetest.NewMigratedDatabase(t), storetest.SeedFile())
}

func TestPrismaManagedDatabaseIsOnlyChecked(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	raw := storetest.MustOpenSQL(t, dbURL)
	storetest.LoadSQLFile(t, dbURL, "0001_prisma_schema.sql")
	storetest.Exec(t, dbURL, `CREATE TABLE "_prisma_migrations" (id TEXT PRIMARY KEY)`)
	res, err := migrations.Migrate(context.Background(), raw)
	if err != nil || !res.PrismaManaged {
		t.Fatalf("got %+v, %v", res, err)
	}
	var n int
	raw.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'chatd_schema_migrations'`).Scan(&n)
	if n != 0 {
		t.Fatal("chatd created its version table on a Prisma-managed database")
	}
}

func TestCheckNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	raw := storetest.MustOpenSQL(t, dbURL)
	storetest.LoadSQLFile(t, dbURL, "0001_prisma_schema.sql")
	storetest.Exec(t, dbURL, `ALTER TABLE "Message" DROP COLUMN "imageUrl"`)
	storetest.Exec(t, dbURL, `DROP TABLE "HiddenConversation"`)
	_, err := migrations.Migrate(context.Background(), raw)
	if err == nil {
		t.Fatal("Migrate accepted a schema with a missing table and column")
	}
	for _, want := range []string{`missing column "Message"."imageUrl"`, `missing table "HiddenConversation"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	var n int
	raw.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'HiddenConversation'`).Scan(&n)
	if n != 0 {
		t.Fatal("Migrate re-created a table Prisma owns")
	}
}

func TestSQLiteMigrateFreshFileThenCheck(t *testing.T) {
	t.Parallel()
	raw := storetest.MustOpenSQL(t, "sqlite:"+filepath.Join(t.TempDir(), "chatd.db"))
	ctx := context.Background()
	res, err := migrations.Migrate(ctx, raw)
	if err != nil || res.PrismaManaged || len(res.Applied) == 0 {
		t.Fatalf("fresh file: got %+v, %v", res, err)
	}
	if again, err := migrations.Migrate(ctx, raw); err != nil || len(again.Applied) != 0 {
		t.Fatalf("second run should apply nothing: %+v, %v", again, err)
	}
	if _, err := raw.Exec(`ALTER TABLE "Message" DROP COLUMN "imageUrl"`); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Check(ctx, raw); err == nil || !strings.Contains(err.Error(), `missing column "Message"."imageUrl"`) {
		t.Fatalf("check after dropping a column: %v", err)
	}
}

// The embedded store's schema is the production schema in SQLite's types:
// the same tables, the same columns, each of the type SQLiteType maps it to.
func TestSQLiteSchemaMatchesPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg, err := migrations.Columns(ctx, storetest.MustOpenSQL(t, storetest.NewMigratedDatabase(t)))
	if err != nil {
		t.Fatal(err)
	}
	lite, err := migrations.Columns(ctx, storetest.MustOpenSQL(t, storetest.NewMigratedDatabaseIn(t, storetest.SQLite)))
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) < 16 {
		t.Fatalf("PostgreSQL schema has only %d tables", len(pg))
	}
	for table, columns := range pg {
		if len(lite[table]) != len(columns) {
			t.Errorf("table %q: %d columns on PostgreSQL, %d on SQLite", table, len(columns), len(lite[table]))
		}
		for column, pgType := range columns {
			if got, want := lite[table][column], migrations.SQLiteType(pgType); got != want {
				t.Errorf("%q.%q: SQLite declares %q, want %q (PostgreSQL %s)", table, column, got, want, pgType)
			}
		}
	}
	for table := range lite {
		if pg[table] == nil {
			t.Errorf("table %q exists only on SQLite", table)
		}
	}
}
