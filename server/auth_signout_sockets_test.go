package server

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// endedSessions records the sessions the routes asked the sockets layer to
// end.
type endedSessions struct {
	mu  sync.Mutex
	ids []string
}

func (e *endedSessions) EndSession(_ context.Context, sessionID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ids = append(e.ids, sessionID)
	return 0
}

// TestSignOutEndsSessionSockets: sign-out and logout end the sockets of
// every session they delete, named by the session's id (issue #10 item 4).
func TestSignOutEndsSessionSockets(t *testing.T) {
	t.Parallel()
	ended := &endedSessions{}
	e := newAPIEnv(t, func(cfg *Config, deps *Deps) {
		authEnvDeps(cfg, deps)
		deps.SessionSockets = ended
	})
	sessionID := func(token string) string {
		var id string
		if err := e.db.SQL().Get(&id, `SELECT "id" FROM "session" WHERE "token" = $1`, token); err != nil {
			t.Fatal(err)
		}
		return id
	}
	alice, mod := sessionID(aliceToken), sessionID(modToken)
	w := e.do(apiReq{method: "POST", target: "/api/auth/sign-out", body: "{}", headers: map[string]string{
		"Authorization": "Bearer " + aliceToken, "Cookie": "better-auth.session_token=nobody-has-this-token",
		"Origin": "capacitor://localhost"}})
	if w.Code != 200 {
		t.Fatalf("sign-out: %d %s", w.Code, w.Body)
	}
	w = e.do(apiReq{method: "POST", target: "/api/auth/logout", headers: map[string]string{"Cookie": "better-auth.session_token=" + modToken}})
	if w.Code != 200 {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	if !slices.Equal(ended.ids, []string{alice, mod}) {
		t.Fatalf("ended sessions %v, want [%s %s]", ended.ids, alice, mod)
	}
}
