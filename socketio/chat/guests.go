package chat

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"log/slog"
	"sync"
	"time"

	"chatd"
	"chatd/store"
)

// A guest (an anonymous user) gets its id at connect (userCreated) but its
// "user" row only when it first needs one: its first join, or a block,
// message, report or hidden conversation before that. A client that only
// connects, however often, leaves no row behind.
//
// Until its row exists a guest is recognised by its id alone: the last 48
// bits of a new guest's id are an HMAC of the first 74 random ones under
// Config.GuestIDKey, so a reconnect with that id (on any process sharing
// the key) resumes the same guest (userConfirmed) while an arbitrary
// unknown id still makes a new guest. The id stays a well-formed lower-case
// UUID v4: to anyone without the key its bits are random.

// guestTagBytes is the length of the tag; guessing one takes 2^48 tries.
const guestTagBytes = 6

// sweepBatch bounds one DELETE of the guest sweep.
const sweepBatch = 1000

// guestIDs makes and recognises the ids of new guests. Every anonymous
// connect computes a tag, so the keyed HMACs are reused (Reset keeps the
// key) rather than set up again each time.
type guestIDs struct{ macs *sync.Pool }

func newGuestIDs(secret []byte) guestIDs {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("chatd guest id v1"))
	key := mac.Sum(nil)
	return guestIDs{macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// new returns a fresh guest id.
func (g guestIDs) new() string {
	var u [16]byte
	_, _ = rand.Read(u[:16-guestTagBytes])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	tag := g.tag(u[:16-guestTagBytes])
	copy(u[16-guestTagBytes:], tag[:])
	return formatUUID(u)
}

// issued reports whether id is a guest id this deployment made.
func (g guestIDs) issued(id string) bool {
	u, ok := parseUUID(id)
	if !ok || u[6]>>4 != 4 || u[8]&0xc0 != 0x80 {
		return false
	}
	tag := g.tag(u[:16-guestTagBytes])
	return hmac.Equal(u[16-guestTagBytes:], tag[:])
}

func (g guestIDs) tag(random []byte) (tag [guestTagBytes]byte) {
	mac := g.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(random)
	var sum [sha256.Size]byte
	copy(tag[:], mac.Sum(sum[:0]))
	g.macs.Put(mac)
	return tag
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// parseUUID accepts only the canonical lower-case form formatUUID writes.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	plain := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	for i := 0; i < len(plain); i++ {
		if c := plain[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return u, false
		}
	}
	_, err := hex.Decode(u[:], []byte(plain))
	return u, err == nil
}

// ensureRow creates the socket's guest row when a write needs it (a
// foreign key names the user) and the guest has not joined yet. It reports
// whether the row exists.
func (s *Service) ensureRow(ctx context.Context, sock *socketState) bool {
	if sock.row != nil {
		return true
	}
	name := sock.id.Alias
	err := s.store.SaveGuest(ctx, store.Guest{ID: sock.id.UserID, Name: name, CreatedAt: sock.connectedAt,
		UpdatedAt: s.profileTime(sock), OnlyCreate: true})
	if err != nil {
		s.log.Error("guest row not created", slog.String("user_id", sock.id.UserID), slog.String("error", err.Error()))
		return false
	}
	sock.row = &userRow{name: nullString(name)}
	return true
}

// profileTime is the updatedAt of a guest's profile write. It is after the
// guest's createdAt, so that updatedAt > createdAt tells the sweep that the
// guest joined (or wrote something) once.
func (s *Service) profileTime(sock *socketState) time.Time {
	now := chatd.DBTime(s.now())
	if !now.After(sock.connectedAt) {
		now = sock.connectedAt.Add(time.Millisecond)
	}
	return now
}

// sweepGuests deletes the guests older than GuestSweepAge that never
// joined nor wrote anything (store.SweepGuests says exactly which rows
// those are), a batch at a time; it runs every GuestSweepInterval.
func (s *Service) sweepGuests() {
	ctx := s.stopCtx
	cutoff := s.now().Add(-s.cfg.GuestSweepAge)
	total := 0
	for ctx.Err() == nil {
		n, err := s.store.SweepGuests(ctx, cutoff, sweepBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("guest sweep failed", slog.String("error", err.Error()))
			}
			return
		}
		total += n
		if n < sweepBatch {
			break
		}
	}
	if total > 0 {
		s.log.Info("unused guests deleted", slog.Int("count", total), slog.Time("created_before", cutoff))
	}
}
