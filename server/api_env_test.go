package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store"
	"chatd/store/storetest"
)

// Seed ids (testdata/seed.sql, the recordings' seed).
const (
	seedTenantID = "7e4a0000-0000-4000-8000-00000000de00"
	seedAlice    = "a11ce000-0000-4000-8000-000000000001"
	seedMod      = "30d00000-0000-4000-8000-000000000002"
	seedAdmin    = "ad000000-0000-4000-8000-000000000003"
	seedEve      = "e0e00000-0000-4000-8000-000000000004"
	seedBob      = "b0b00000-0000-4000-8000-000000000005"
	roomGeneral  = "cm0roomgeneral00000000002"
	roomAnnunci  = "cm0roomannunci00000000001"

	aliceToken = "alice-session-token-0001"
	modToken   = "mod-session-token-0002"
	adminToken = "admin-session-token-0003"
	eveToken   = "eve-expired-session-token-0004"

	testSecret = "test-secret-for-the-http-api-tests"
)

// apiEnv is a Server over a fresh seeded database, with its own uploads dir.
type apiEnv struct {
	t       *testing.T
	db      *store.DB
	dbURL   string
	srv     *Server
	h       http.Handler
	uploads string
}

// newAPIEnv builds the environment; edit adjusts the Config before New.
func newAPIEnv(t *testing.T, edit func(*Config, *Deps)) *apiEnv {
	t.Helper()
	db, dbURL := storetest.OpenSeeded(t, nil)
	uploads := t.TempDir()
	cfg := Config{
		CORSOrigins:    []string{"http://localhost:3000", "capacitor://localhost", "http://localhost"},
		TrustedProxies: []string{"127.0.0.0/8", "::1/128"},
		NodeEnv:        "production",
		StaffFallback:  true,
		UploadsDir:     uploads,
	}
	deps := Deps{Store: db, Resolver: auth.NewResolver(auth.NewSigner(testSecret), db, time.Now),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
	if edit != nil {
		edit(&cfg, &deps)
	}
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return &apiEnv{t: t, db: db, dbURL: dbURL, srv: srv, h: srv.Handler(), uploads: uploads}
}

// apiReq is one request of a table.
type apiReq struct {
	method, target string
	body           string // sent as JSON when non-empty
	headers        map[string]string
	remote         string // RemoteAddr; default an untrusted public address
}

func (e *apiEnv) do(r apiReq) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.target, body)
	req.RemoteAddr = "198.51.100.7:40000"
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		if k == "Host" {
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// assertJSON fails unless body is JSON equal to want (key order ignored).
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("body mismatch\n got: %s\nwant: %s", gb, wb)
	}
}

// assertGolden compares body with testdata/golden/http/<name>.json; with
// UPDATE_GOLDEN=1 it rewrites the file instead.
func assertGolden(t *testing.T, got []byte, name string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", "http", name+".json")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		var v any
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatal(err)
		}
		pretty, _ := json.MarshalIndent(v, "", "  ")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(pretty, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with UPDATE_GOLDEN=1 to create it)", name, err)
	}
	assertJSON(t, got, string(want))
}

// decode unmarshals a JSON response into v.
func decode(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", w.Body.String(), err)
	}
}
