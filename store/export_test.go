package store

// LazyTrue exposes the dialect's lazy-commit expression to the external
// tests (user_guest_commit_test.go).
func LazyTrue(db *DB) string { return db.dialect.lazyTrue }
