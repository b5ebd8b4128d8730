package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"chatd/store/storetest"
)

// TestMembership walks §17's double lock through B6's bodies.
func TestMembership(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	const target = "/api/auth/membership?tenantId=" + seedTenantID
	storetest.Exec(t, e.dbURL, `UPDATE "Tenant" SET "bssid" = 'aa:bb:cc:dd:ee:ff', "staticIp" = '203.0.113.9' WHERE "id" = $1`, seedTenantID)
	tests := []struct {
		name    string
		req     apiReq
		want    map[string]any
		reason  string
		hasRole string
	}{
		{"no tenantId", apiReq{method: "GET", target: "/api/auth/membership"}, map[string]any{"error": "Missing tenantId"}, "", ""},
		{"unknown tenant", apiReq{method: "GET", target: "/api/auth/membership?tenantId=nope", headers: bearer(modToken)},
			map[string]any{"isMember": false, "isAuthorized": false}, "Tenant not found", ""},
		{"not a member", apiReq{method: "GET", target: target, headers: bearer(aliceToken)},
			map[string]any{"isMember": false, "isAuthorized": false}, "User is not a member of this tenant", ""},
		{"moderator, wrong bssid", apiReq{method: "GET", target: target + "&bssid=00:00:00:00:00:00", headers: bearer(modToken)},
			map[string]any{"isMember": true, "isAuthorized": false}, "Unauthorized: Location-based security check failed (BSSID/IP mismatch)", "MODERATOR"},
		{"moderator, venue bssid", apiReq{method: "GET", target: target + "&bssid=aa:bb:cc:dd:ee:ff", headers: bearer(modToken)},
			map[string]any{"isMember": true, "isAuthorized": true, "isSuperadmin": false}, "", "MODERATOR"},
		{"moderator behind the venue's IP (trusted proxy)", apiReq{method: "GET", target: target, remote: "127.0.0.1:5000",
			headers: map[string]string{"Authorization": "Bearer " + modToken, "X-Forwarded-For": "203.0.113.9"}},
			map[string]any{"isMember": true, "isAuthorized": true}, "", "MODERATOR"},
		{"moderator, forged X-Forwarded-For from an untrusted peer", apiReq{method: "GET", target: target,
			headers: map[string]string{"Authorization": "Bearer " + modToken, "X-Forwarded-For": "203.0.113.9"}},
			map[string]any{"isMember": true, "isAuthorized": false}, "Unauthorized: Location-based security check failed (BSSID/IP mismatch)", "MODERATOR"},
		{"admin skips the lock", apiReq{method: "GET", target: target, headers: bearer(adminToken)},
			map[string]any{"isMember": true, "isAuthorized": true}, "", "ADMIN"},
		{"expired session is signed out", apiReq{method: "GET", target: target, headers: map[string]string{"Cookie": "better-auth.session_token=" + eveToken, "Host": "x"}},
			map[string]any{"isMember": false, "isAuthorized": false}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(tt.req)
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("status %d body %s", w.Code, w.Body)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (body %s)", k, got[k], v, w.Body)
				}
			}
			if reason, _ := got["reason"].(string); reason != tt.reason {
				t.Errorf("reason = %q, want %q", reason, tt.reason)
			}
			m, _ := got["membership"].(map[string]any)
			if role, _ := m["role"].(string); role != tt.hasRole {
				t.Errorf("membership role = %q, want %q (body %s)", role, tt.hasRole, w.Body)
			}
		})
	}
	storetest.Exec(t, e.dbURL, `UPDATE "user" SET "role" = 'SUPERADMIN' WHERE "id" = $1`, seedAlice)
	w := e.do(apiReq{method: "GET", target: target, headers: bearer(aliceToken)})
	var got map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != http.StatusOK || got["isSuperadmin"] != true || got["membership"] != nil || got["isAuthorized"] != true {
		t.Fatalf("superadmin: %d %s", w.Code, w.Body)
	}
	w = e.do(apiReq{method: "GET", target: target, headers: map[string]string{"Cookie": "admin_session=true"}})
	if _ = json.Unmarshal(w.Body.Bytes(), &got); got["isAuthorized"] != false {
		t.Fatalf("the admin_session cookie must be ignored: %s", w.Body)
	}
}
