package storetest

import (
	"context"
	"testing"

	"chatd/migrations"
)

// The two ways a test can get a migrated PostgreSQL database; compare with
// go test -run - -bench . ./store/storetest/
func BenchmarkDatabaseMigratedEachTime(b *testing.B) {
	for b.Loop() {
		if _, err := migrations.Migrate(context.Background(), MustOpenSQL(b, NewDatabase(b))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDatabaseFromTemplate(b *testing.B) {
	for b.Loop() {
		NewMigratedDatabase(b)
	}
}

func BenchmarkSQLiteFileFromTemplate(b *testing.B) {
	for b.Loop() {
		NewMigratedDatabaseIn(b, SQLite)
	}
}

func TestSQLiteSQLTranslatesTheSeed(t *testing.T) {
	got := SQLiteSQL(`BEGIN;
TRUNCATE "Tenant", "user" CASCADE;
INSERT INTO "x" VALUES ('2025-01-01 10:00:00.000', '2025-01-01 10:00:01', date_trunc('second', now() AT TIME ZONE 'UTC') - interval '72 hours');
COMMIT;`)
	want := `BEGIN;

INSERT INTO "x" VALUES ('2025-01-01 10:00:00+00:00', '2025-01-01 10:00:01+00:00', strftime('%Y-%m-%d %H:%M:%S+00:00', 'now', '-72 hours'));
COMMIT;`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
