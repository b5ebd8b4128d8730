package chatd

import "strings"

// Who may do what in a tenant. This file is the one statement of chatd's
// access rules; the HTTP handlers (server) and the chat rules on the socket
// (socketio/chat) both ask it, and the store only loads the facts it reads
// (store.DB.TenantGrant). docs/http-routes.md, "Access rules", says the same
// in prose.
//
// Who may delete a message? A moderator of the message's tenant
// (Grant.Moderator), on the socket (deleteMessage) or over HTTP (DELETE
// /api/messages/:id); a socket bound without a credential never moderates
// (MayModerate).

// Account and membership roles as the database spells them ("GlobalRole"
// and "TenantRole" enums).
const (
	RoleSuperadmin = "SUPERADMIN" // "user"."role"
	RoleOwner      = "OWNER"      // "TenantMember"."role", highest first
	RoleAdmin      = "ADMIN"
	RoleModerator  = "MODERATOR"
	RoleStaff      = "STAFF"
)

// Grant is what one user holds in one tenant: the account's role and, when
// the user is a member, the membership row's role and canModerate flag.
type Grant struct {
	UserRole    string // "user"."role"
	Member      bool   // a "TenantMember" row exists
	Role        string // "TenantMember"."role" ("" when not a member)
	CanModerate bool   // "TenantMember"."canModerate"
}

// IsSuperadmin reports whether an account role is the superadmin's. Only the
// user row counts: the original also believed a cookie admin_session=true,
// which anyone can set (docs/differences.md, "The admin_session cookie is
// ignored"). The comparison ignores case, as the original's did.
func IsSuperadmin(userRole string) bool { return strings.EqualFold(userRole, RoleSuperadmin) }

// IsAdminRole reports whether a membership role manages the tenant: ADMIN
// or OWNER.
func IsAdminRole(memberRole string) bool { return memberRole == RoleAdmin || memberRole == RoleOwner }

// Superadmin reports whether the grant's user is a superadmin.
func (g Grant) Superadmin() bool { return IsSuperadmin(g.UserRole) }

// Admin is the tenant admin: a superadmin, or a member with role ADMIN or
// OWNER. A tenant admin may update the tenant and read its feedback.
func (g Grant) Admin() bool { return g.Superadmin() || (g.Member && IsAdminRole(g.Role)) }

// Moderator is the tenant moderator: a superadmin, a member with role
// OWNER, ADMIN or MODERATOR, or a member with canModerate. A moderator may
// delete the tenant's messages and post in its announcement rooms. (The
// original left out owners and superadmins: docs/differences.md, "Owners and
// superadmins moderate".)
func (g Grant) Moderator() bool {
	return g.Superadmin() || (g.Member && (IsAdminRole(g.Role) || g.Role == RoleModerator || g.CanModerate))
}

// MayModerate is Moderator for a socket: a socket bound to a user without a
// credential (a native resume by user id, memberOnly) has an ordinary
// member's rights only, whatever the user's grant.
func MayModerate(g Grant, memberOnly bool) bool { return !memberOnly && g.Moderator() }

// ErrNotModerator refuses a delete by a user who does not moderate the
// tenant (or names no tenant). Its text is the socket's; the HTTP route
// answers with its own 403.
var ErrNotModerator = Errorf(EFORBIDDEN, "Unauthorized")

// The refusals of ActingUser. Each transport answers them in its route's
// style (server/errors.go).
var (
	ErrNotActingUser   = Errorf(EFORBIDDEN, "Forbidden")       // a session of another user
	ErrActingNoSession = Errorf(EUNAUTHORIZED, "Unauthorized") // STRICT_AUTH and no session
)

// ActingUser is the rule of the routes that act for a user id the request
// names (a userId in the query or body: private history, feedback, avatar
// upload). sessionUserID is the caller's session's user, "" without one.
//
//   - A session must be the user named: another user's is ErrNotActingUser.
//     Named or not, the acting user is then the session's.
//   - Without a session, STRICT_AUTH refuses (ErrActingNoSession); the
//     compatibility mode acts for the user named, which may be "" (the
//     route decides what nobody means).
//
// docs/http-routes.md, "STRICT_AUTH" and "Anyone, for the user they name".
func ActingUser(strict bool, sessionUserID, named string) (string, error) {
	switch {
	case sessionUserID != "" && named != "" && named != sessionUserID:
		return "", ErrNotActingUser
	case sessionUserID != "":
		return sessionUserID, nil
	case strict:
		return "", ErrActingNoSession
	}
	return named, nil
}

// LocationLock is a tenant's "double lock" (GET /api/auth/membership): a
// venue may pin its members to its network, by Wi-Fi BSSID, by public IP,
// or both; an empty column is no lock (JavaScript truthiness, as the
// original).
type LocationLock struct {
	BSSID    string // "Tenant"."bssid"
	StaticIP string // "Tenant"."staticIp"
}

// Admits reports whether a member at bssid (as the app reports it) and
// clientIP passes the lock: with any lock set, one of the set ones must
// match. Tenant admins and superadmins are not asked (remote management).
func (l LocationLock) Admits(bssid, clientIP string) bool {
	if l.BSSID == "" && l.StaticIP == "" {
		return true
	}
	return (l.BSSID != "" && l.BSSID == bssid) || (l.StaticIP != "" && l.StaticIP == clientIP)
}
