package chat

import (
	"log/slog"

	"chatd/store"
)

// nativeMember decides a handshake that presents a registered user's id and
// no credential (docs/socket-events.md, "Handshake", refuses it: ids are
// public, so this is impersonation). The unmodified native apps send exactly
// that after a phone code sign-up, which stores its session token nowhere,
// and from iOS or plain http, where the session cookie cannot reach chatd
// either. So, with NATIVE_ID_FALLBACK=member and only from a native app's
// origin, the socket is bound to that user as the original did, but
// MemberOnly: it reads, sends and exchanges private messages like any member
// and has none of the user's moderator, admin or staff rights. The user's
// sockets that carry a session keep their full rights. Web origins and
// handshakes without an Origin are always refused: the web app carries its
// cookie. Every such socket is counted (NativeFallbacks) and logged, so an
// operator sees how much the exposure is used before turning it off.
func (s *Service) nativeMember(u store.User, h Handshake, alias string, tenantID *string, socketID string) (Identity, error) {
	if !s.cfg.NativeIDFallback || !s.native.Contains(h.Origin) {
		return Identity{}, ErrAuthRequired
	}
	s.nativeFallbacks.Add(1)
	s.log.Info("socket bound by native id fallback", slog.String("socket_id", socketID),
		slog.String("user_id", u.ID), slog.String("origin", h.Origin), slog.String("rights", "member"))
	return Identity{UserID: u.ID, Alias: alias, TenantID: tenantID, Resumed: true, MemberOnly: true}, nil
}

// NativeFallbacks is how many sockets NATIVE_ID_FALLBACK has bound since the
// process started (the chatd_socket_native_id_fallback_total metric).
func (s *Service) NativeFallbacks() int64 { return s.nativeFallbacks.Load() }
