package chatd

import (
	"errors"
	"testing"
)

func TestGrantRoles(t *testing.T) {
	tests := []struct {
		name             string
		g                Grant
		admin, moderator bool
	}{
		{"no row", Grant{}, false, false},
		{"user, not a member", Grant{UserRole: "USER"}, false, false},
		{"superadmin, not a member", Grant{UserRole: "SUPERADMIN"}, true, true},
		{"superadmin in lower case", Grant{UserRole: "superadmin"}, true, true},
		{"owner", Grant{UserRole: "USER", Member: true, Role: RoleOwner}, true, true},
		{"admin", Grant{UserRole: "USER", Member: true, Role: RoleAdmin}, true, true},
		{"moderator", Grant{UserRole: "USER", Member: true, Role: RoleModerator}, false, true},
		{"staff", Grant{UserRole: "USER", Member: true, Role: RoleStaff}, false, false},
		{"staff with canModerate", Grant{UserRole: "USER", Member: true, Role: RoleStaff, CanModerate: true}, false, true},
		// A role without a row cannot happen from the store; the rule must
		// still not grant on it.
		{"role but no membership", Grant{UserRole: "USER", Role: RoleAdmin}, false, false},
	}
	for _, tt := range tests {
		if got := tt.g.Admin(); got != tt.admin {
			t.Errorf("%s: Admin() = %v, want %v", tt.name, got, tt.admin)
		}
		if got := tt.g.Moderator(); got != tt.moderator {
			t.Errorf("%s: Moderator() = %v, want %v", tt.name, got, tt.moderator)
		}
		if MayModerate(tt.g, true) {
			t.Errorf("%s: a memberOnly socket may moderate", tt.name)
		}
		if got := MayModerate(tt.g, false); got != tt.moderator {
			t.Errorf("%s: MayModerate(false) = %v, want %v", tt.name, got, tt.moderator)
		}
	}
}

func TestActingUser(t *testing.T) {
	tests := []struct {
		strict         bool
		session, named string
		want           string
		wantErr        error
	}{
		{false, "", "", "", nil},       // compatibility: nobody named, nobody acts
		{false, "", "u1", "u1", nil},   // compatibility: the user named
		{false, "u1", "", "u1", nil},   // a session acts for itself
		{false, "u1", "u1", "u1", nil}, // and may name itself
		{false, "u1", "u2", "", ErrNotActingUser},
		{true, "", "u1", "", ErrActingNoSession},
		{true, "", "", "", ErrActingNoSession},
		{true, "u1", "", "u1", nil},
		{true, "u1", "u2", "", ErrNotActingUser},
	}
	for _, tt := range tests {
		got, err := ActingUser(tt.strict, tt.session, tt.named)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ActingUser(%v, %q, %q) = %q, %v; want %q, %v", tt.strict, tt.session, tt.named, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLocationLock(t *testing.T) {
	tests := []struct {
		lock      LocationLock
		bssid, ip string
		want      bool
	}{
		{LocationLock{}, "", "", true},
		{LocationLock{BSSID: "aa"}, "aa", "1.2.3.4", true},
		{LocationLock{BSSID: "aa"}, "bb", "1.2.3.4", false},
		{LocationLock{StaticIP: "1.2.3.4"}, "", "1.2.3.4", true},
		{LocationLock{StaticIP: "1.2.3.4"}, "aa", "5.6.7.8", false},
		{LocationLock{BSSID: "aa", StaticIP: "1.2.3.4"}, "zz", "1.2.3.4", true}, // either lock opens
		{LocationLock{BSSID: "aa", StaticIP: "1.2.3.4"}, "aa", "5.6.7.8", true},
		{LocationLock{BSSID: "aa", StaticIP: "1.2.3.4"}, "", "", false}, // an empty BSSID never matches a lock
	}
	for _, tt := range tests {
		if got := tt.lock.Admits(tt.bssid, tt.ip); got != tt.want {
			t.Errorf("%+v.Admits(%q, %q) = %v, want %v", tt.lock, tt.bssid, tt.ip, got, tt.want)
		}
	}
}
