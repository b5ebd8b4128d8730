package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"chatd"
	"chatd/store"
)

// ErrNoSession means none of the presented candidates is a live session.
var ErrNoSession = chatd.Errorf(chatd.EUNAUTHORIZED, "invalid session")

// SessionStore is what the resolver needs from the database.
type SessionStore interface {
	SessionByToken(ctx context.Context, token string) (store.SessionUser, error)
}

// Resolver turns presented credentials into a live session. It is the one
// function every HTTP route and the Socket.IO handshake use; it never writes.
type Resolver struct {
	signer   Signer
	sessions SessionStore
	now      func() time.Time
}

// NewResolver returns a Resolver; now is the clock that decides expiry.
func NewResolver(signer Signer, sessions SessionStore, now func() time.Time) *Resolver {
	return &Resolver{signer: signer, sessions: sessions, now: now}
}

// Resolve tries candidates in order (Bearer value, then cookies, …) and
// returns the first live session. Empty candidates are skipped. It returns
// ErrNoSession when none is live, or a wrapped error when the database fails.
func (r *Resolver) Resolve(ctx context.Context, candidates ...string) (store.SessionUser, error) {
	return r.ResolveWith(ctx, r.sessions.SessionByToken, candidates...)
}

// ResolveWith is Resolve with another lookup of a token's session, one
// that reads more in the same query (the socket handshake's
// store.SessionConnect); the rules of candidates and expiry are Resolve's.
func (r *Resolver) ResolveWith(ctx context.Context, lookup func(ctx context.Context, token string) (store.SessionUser, error), candidates ...string) (store.SessionUser, error) {
	for _, c := range candidates {
		token, ok := r.signer.TokenFromCandidate(c)
		if !ok {
			continue
		}
		su, err := lookup(ctx, token)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return store.SessionUser{}, fmt.Errorf("auth: resolve: %w", err)
		}
		if su.Session.ExpiresAt.After(r.now()) {
			return su, nil
		}
	}
	return store.SessionUser{}, ErrNoSession
}
