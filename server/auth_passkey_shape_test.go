package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"chatd/auth"
)

func passkeyKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPasskeyOptionsShape pins the options JSON to what @better-auth/passkey
// 1.4.18 (simplewebauthn 13) sends, as recorded in betterauth.md.
func TestPasskeyOptionsShape(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	a := newSoftAuthenticator(t)
	token := e.freshSession(t, seedAlice)
	e.registerPasskey(t, a, token, localOrigin, "localhost")
	w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-register-options?name=Work&authenticatorAttachment=platform",
		headers: map[string]string{"Authorization": "Bearer " + token, "Origin": localOrigin}})
	var reg map[string]any
	decode(t, w, &reg)
	want := []string{"attestation", "authenticatorSelection", "challenge", "excludeCredentials", "extensions", "hints",
		"pubKeyCredParams", "rp", "timeout", "user"}
	if got := passkeyKeys(reg); !slices.Equal(got, want) {
		t.Fatalf("registration option keys %v, want %v", got, want)
	}
	assertJSON(t, passkeyJSONBytes(t, reg["rp"]), `{"name":"Local","id":"localhost"}`)
	assertJSON(t, passkeyJSONBytes(t, reg["pubKeyCredParams"]), `[{"alg":-8,"type":"public-key"},{"alg":-7,"type":"public-key"},{"alg":-257,"type":"public-key"}]`)
	assertJSON(t, passkeyJSONBytes(t, reg["authenticatorSelection"]),
		`{"residentKey":"preferred","userVerification":"preferred","requireResidentKey":false,"authenticatorAttachment":"platform"}`)
	assertJSON(t, passkeyJSONBytes(t, reg["excludeCredentials"]),
		`[{"id":"`+b64url.EncodeToString(a.credID)+`","transports":["hybrid","internal"],"type":"public-key"}]`)
	user := reg["user"].(map[string]any)
	handle, _ := base64.RawURLEncoding.DecodeString(user["id"].(string))
	if !regexp.MustCompile(`^[a-z0-9]{32}$`).Match(handle) || user["name"] != "Work" || user["displayName"] != "alice@example.com" {
		t.Fatalf("user entity %v (handle %q)", user, handle)
	}
	if reg["timeout"] != float64(60000) || reg["attestation"] != "none" || len(reg["challenge"].(string)) != 43 {
		t.Fatalf("options %v", reg)
	}
	// Authentication options list the caller's passkeys only with a session.
	w = e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-authenticate-options",
		headers: map[string]string{"Authorization": "Bearer " + token, "Origin": localOrigin}})
	var auth map[string]any
	decode(t, w, &auth)
	if got := passkeyKeys(auth); !slices.Equal(got, []string{"allowCredentials", "challenge", "rpId", "timeout", "userVerification"}) {
		t.Fatalf("authentication option keys %v", got)
	}
}

func passkeyJSONBytes(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPasskeyValidation: refused bodies get better-call's VALIDATION_ERROR.
func TestPasskeyValidation(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	token := e.freshSession(t, seedAlice)
	h := map[string]string{"Authorization": "Bearer " + token, "Origin": localOrigin}
	for _, tc := range []struct{ target, body, want string }{
		{"/api/auth/passkey/delete-passkey", `{}`, `[body.id] Invalid input: expected string, received undefined`},
		{"/api/auth/passkey/update-passkey", `{"id":"x","name":5}`, `[body.name] Invalid input: expected string, received number`},
		{"/api/auth/passkey/verify-authentication", `{"response":[]}`, `[body.response] Invalid input: expected record, received array`},
	} {
		w := e.do(postJSON(tc.target, tc.body, h))
		if w.Code != 400 {
			t.Fatalf("%s: %d %s", tc.target, w.Code, w.Body)
		}
		assertJSON(t, w.Body.Bytes(), `{"code":"VALIDATION_ERROR","message":`+strconv.Quote(tc.want)+`}`)
	}
	w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-register-options?authenticatorAttachment=usb", headers: h})
	if w.Code != 400 {
		t.Fatalf("bad attachment: %d %s", w.Code, w.Body)
	}
}

// TestPasskeySecureCookies: with __Secure- cookies the challenge cookie is
// named and flagged like BetterAuth's, and only that name is read back.
func TestPasskeySecureCookies(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{secure: true})
	a := newSoftAuthenticator(t)
	token := e.freshSession(t, seedAlice)
	h := map[string]string{"Authorization": "Bearer " + token, "Origin": localOrigin}
	w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-register-options", headers: h})
	var opts auth.RegistrationOptions
	decode(t, w, &opts)
	var cookie string
	for _, c := range w.Result().Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "__Secure-better-auth.better-auth-passkey=") {
			if !strings.HasSuffix(c, "; Max-Age=300; Path=/; HttpOnly; Secure; SameSite=Lax") {
				t.Fatalf("secure challenge cookie: %s", c)
			}
			cookie = strings.SplitN(c, ";", 2)[0]
		}
	}
	if cookie == "" {
		t.Fatalf("no __Secure- challenge cookie: %v", w.Result().Header.Values("Set-Cookie"))
	}
	body := `{"response":` + a.create(opts, localOrigin, "localhost") + `}`
	unprefixed := "better-auth." + strings.TrimPrefix(cookie, "__Secure-better-auth.")
	if w := e.do(postJSON("/api/auth/passkey/verify-registration", body, h, map[string]string{"Cookie": unprefixed})); w.Code != 400 {
		t.Fatalf("the unprefixed name must not be read: %d %s", w.Code, w.Body)
	}
	if w := e.do(postJSON("/api/auth/passkey/verify-registration", body, h, map[string]string{"Cookie": cookie})); w.Code != 200 {
		t.Fatalf("secure registration: %d %s", w.Code, w.Body)
	}
}
