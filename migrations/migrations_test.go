package migrations_test

import (
	"context"
	"strings"
	"testing"

	"chatd/migrations"
	"chatd/store/storetest"
)

func TestMigrateFreshDatabaseThenCheck(t *testing.T) {
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
