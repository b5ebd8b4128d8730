package server

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
)

// tenantLog records the tenants the routes report as changed.
type tenantLog struct {
	mu  sync.Mutex
	ids []string
}

func (l *tenantLog) TenantChanged(_ context.Context, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
}

func (l *tenantLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.ids
	l.ids = nil
	return out
}

// TestTenantChangesAreReported: every route that changes a tenant or its
// rooms tells the chat service (whose caches the change would outdate), and
// a refused request tells it nothing.
func TestTenantChangesAreReported(t *testing.T) {
	t.Parallel()
	changes := &tenantLog{}
	e := newAPIEnv(t, func(_ *Config, d *Deps) { d.Tenants = changes })
	w := e.do(apiReq{method: "POST", target: "/api/tenants/demo", body: `{"name":"X"}`, headers: bearer(modToken)})
	if w.Code != 403 || len(changes.take()) != 0 {
		t.Fatalf("a refused update: status %d, reported %v", w.Code, changes.ids)
	}
	w = e.do(apiReq{method: "POST", target: "/api/tenants/demo", body: `{"name":"Renamed"}`, headers: bearer(adminToken)})
	if got := changes.take(); w.Code != 200 || !slices.Equal(got, []string{seedTenantID}) {
		t.Fatalf("update: status %d, reported %v", w.Code, got)
	}
	w = e.do(apiReq{method: "GET", target: "/api/tenants/setup-review?name=Review", remote: "127.0.0.1:9"})
	var review struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &review); err != nil || w.Code != 200 {
		t.Fatalf("setup-review: %d %s", w.Code, w.Body)
	}
	if got := changes.take(); !slices.Equal(got, []string{review.ID}) {
		t.Fatalf("setup-review reported %v, want %s", got, review.ID)
	}
}
