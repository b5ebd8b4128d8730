package store

// LazyTrue exposes the dialect's lazy-commit expression to the external
// tests (user_guest_commit_test.go).
func LazyTrue(db *DB) string { return db.dialect.lazyTrue }

// ConnectStatements is how many statements the connect batchers have run:
// user reads, session reads, guest writes (all 0 on SQLite, which batches
// nothing).
func ConnectStatements(db *DB) (users, sessions, guests int64) {
	if db.batches.users == nil {
		return 0, 0, 0
	}
	return db.batches.users.statements.Load(), db.batches.sessions.statements.Load(), db.batches.guests.statements.Load()
}
