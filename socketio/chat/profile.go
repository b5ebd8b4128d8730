package chat

import (
	"context"
	"database/sql"
	"log/slog"

	"chatd/store"
)

// userRow is what the rules know of a user's row: the profile columns a
// join writes, as last read or written.
type userRow struct {
	name, status, image sql.NullString
	untouched           bool // updatedAt == createdAt: no join ever wrote it
}

func rowOf(u store.User) *userRow {
	return &userRow{name: u.Name, status: u.Status, image: u.Image, untouched: u.UpdatedAt.Equal(u.CreatedAt)}
}

// holds reports whether the row already says what p would write.
func (r *userRow) holds(p store.UserProfile) bool {
	return (p.Name == nil || r.name == sql.NullString{String: *p.Name, Valid: true}) &&
		(p.Status == nil || r.status == *p.Status) &&
		(p.Image == nil || r.image == *p.Image)
}

// with is the row after p was written.
func (r *userRow) with(p store.UserProfile) *userRow {
	out := userRow{}
	if r != nil {
		out = *r
	}
	out.untouched = false
	if p.Name != nil {
		out.name = sql.NullString{String: *p.Name, Valid: true}
	}
	if p.Status != nil {
		out.status = *p.Status
	}
	if p.Image != nil {
		out.image = *p.Image
	}
	return &out
}

// saveProfile is the profile step of "join" (docs/socket-events.md): persist
// the profile the join carries, and only when it changes something. The first
// join compares with the row read at connect and skips the database when
// nothing differs; a later join writes with a condition that leaves an
// unchanged row alone. A guest's first join creates its row.
func (s *Service) saveProfile(ctx context.Context, sock *socketState, p store.UserProfile) {
	fresh := sock.rowFresh
	sock.rowFresh = false
	// A guest row no join ever wrote is marked as joined by its first join,
	// changed or not, so the sweep of unused guests leaves it alone.
	mark := sock.id.Anonymous && sock.row != nil && sock.row.untouched
	if fresh && !mark && sock.row.holds(p) {
		return
	}
	var err error
	if sock.id.Anonymous {
		// A guest made by this connect has no row until now (guests.go).
		g := store.Guest{ID: sock.id.UserID, Name: *p.Name, Status: *p.Status, Image: p.Image,
			CreatedAt: sock.connectedAt, UpdatedAt: s.profileTime(sock), Touch: mark,
			New: sock.id.Created && sock.row == nil}
		err = s.store.SaveGuest(ctx, g)
	} else {
		err = s.store.SaveProfile(ctx, sock.id.UserID, p)
	}
	if err != nil {
		s.log.Error("join profile update failed", slog.String("user_id", sock.id.UserID), slog.String("error", err.Error()))
		return
	}
	sock.row = sock.row.with(p)
}
