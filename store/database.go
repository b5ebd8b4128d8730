package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/lib/pq"
)

// IsMissingDatabase reports whether err is PostgreSQL saying the database
// named in the URL does not exist.
func IsMissingDatabase(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "3D000"
}

// CreateDatabase creates the PostgreSQL database databaseURL names, by
// connecting as the same role to the server's "postgres" database. It
// returns the database's name. A role without CREATEDB gets an error that
// says what to do instead.
func CreateDatabase(ctx context.Context, databaseURL string) (string, error) {
	dsn, err := ConnString(databaseURL)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("store: DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", errors.New("store: DATABASE_URL names no database")
	}
	u.Path = "/postgres"
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	maint, err := sql.Open("postgres", u.String())
	if err != nil {
		return "", fmt.Errorf("store: open: %w", err)
	}
	defer maint.Close()
	_, err = maint.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "42P04": // duplicate_database: another process won
		return name, nil
	case errors.As(err, &pqErr) && pqErr.Code == "42501": // insufficient_privilege
		return "", fmt.Errorf("store: database %q does not exist and this role may not create it: create it (createdb %s) or grant the role CREATEDB", name, name)
	case err != nil:
		return "", fmt.Errorf("store: create database %q: %w", name, err)
	}
	return name, nil
}
