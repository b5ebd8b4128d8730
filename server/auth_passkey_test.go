package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"chatd/auth"
	"chatd/store"
)

var b64url = base64.RawURLEncoding

// softAuthenticator is a software WebAuthn authenticator holding one ES256
// credential, with "none" attestation, as a platform passkey would.
type softAuthenticator struct {
	t       *testing.T
	key     *ecdsa.PrivateKey
	credID  []byte
	counter uint32
	handle  []byte
}

func newSoftAuthenticator(t *testing.T) *softAuthenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softAuthenticator{t: t, key: key, credID: id}
}

// coseKey is the credential's public key as a COSE_Key (EC2, ES256, P-256).
func (a *softAuthenticator) coseKey() []byte {
	x, y := make([]byte, 32), make([]byte, 32)
	a.key.PublicKey.X.FillBytes(x)
	a.key.PublicKey.Y.FillBytes(y)
	em, _ := cbor.CanonicalEncOptions().EncMode() // canonical: the same bytes every time
	b, err := em.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		a.t.Fatal(err)
	}
	return b
}

const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

func (a *softAuthenticator) authData(rpID string, flags byte, attested bool) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: zero, as most passkey providers send
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.credID)))
		out = append(out, a.credID...)
		out = append(out, a.coseKey()...)
	}
	return out
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// create answers registration options as navigator.credentials.create would.
func (a *softAuthenticator) create(opts auth.RegistrationOptions, origin, rpID string) string {
	a.handle, _ = b64url.DecodeString(opts.User.ID)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{},
		"authData": a.authData(rpID, flagUP|flagUV|flagBE|flagBS|flagAT, true)})
	if err != nil {
		a.t.Fatal(err)
	}
	resp, _ := json.Marshal(map[string]any{"id": b64url.EncodeToString(a.credID), "rawId": b64url.EncodeToString(a.credID),
		"type": "public-key", "authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"attestationObject": b64url.EncodeToString(att), "transports": []string{"hybrid", "internal"},
			"clientDataJSON": b64url.EncodeToString(clientData("webauthn.create", opts.Challenge, origin))}})
	return string(resp)
}

// get answers authentication options as navigator.credentials.get would.
func (a *softAuthenticator) get(challenge, origin, rpID string) string {
	a.counter++
	ad := a.authData(rpID, flagUP|flagUV|flagBE|flagBS, false)
	cd := clientData("webauthn.get", challenge, origin)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	resp, _ := json.Marshal(map[string]any{"id": b64url.EncodeToString(a.credID), "rawId": b64url.EncodeToString(a.credID),
		"type": "public-key", "authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"authenticatorData": b64url.EncodeToString(ad), "clientDataJSON": b64url.EncodeToString(cd),
			"signature": b64url.EncodeToString(sig), "userHandle": b64url.EncodeToString(a.handle)}})
	return string(resp)
}

// passkeyCookie is the signed challenge cookie a response set.
func passkeyCookie(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	for _, c := range w.Result().Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "better-auth.better-auth-passkey=") {
			if !strings.Contains(c, "; Max-Age=300; Path=/; HttpOnly; SameSite=Lax") {
				t.Fatalf("challenge cookie attributes: %s", c)
			}
			return strings.SplitN(c, ";", 2)[0]
		}
	}
	t.Fatalf("no challenge cookie: %v", w.Result().Header.Values("Set-Cookie"))
	return ""
}

// freshSession is a just-created session of user (registration needs one).
func (e *loginEnv) freshSession(t *testing.T, userID string) string {
	t.Helper()
	s, err := e.srv.deps.Sessions.Create(context.Background(), userID, 0, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return s.Token
}

const localOrigin = "http://localhost:3000"

// registerPasskey runs C12 + C13 for the session's user and returns the row.
func (e *loginEnv) registerPasskey(t *testing.T, a *softAuthenticator, token, origin, rpID string) auth.PasskeyJSON {
	t.Helper()
	w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-register-options",
		headers: map[string]string{"Authorization": "Bearer " + token, "Origin": origin}})
	if w.Code != 200 {
		t.Fatalf("register options: %d %s", w.Code, w.Body)
	}
	var opts auth.RegistrationOptions
	decode(t, w, &opts)
	w = e.do(postJSON("/api/auth/passkey/verify-registration", `{"response":`+a.create(opts, origin, rpID)+`,"name":"Phone"}`,
		map[string]string{"Authorization": "Bearer " + token, "Origin": origin, "Cookie": passkeyCookie(t, w)}))
	if w.Code != 200 {
		t.Fatalf("verify registration: %d %s", w.Code, w.Body)
	}
	var pk auth.PasskeyJSON
	decode(t, w, &pk)
	return pk
}

// authenticate runs C14 + C15; answer builds the assertion from the challenge.
func (e *loginEnv) authenticate(t *testing.T, origin string, answer func(challenge string) string) (*httptest.ResponseRecorder, func() *httptest.ResponseRecorder) {
	t.Helper()
	w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-authenticate-options",
		headers: map[string]string{"Origin": origin}})
	var opts auth.AuthenticationOptions
	decode(t, w, &opts)
	if w.Code != 200 || opts.RPID == "" || opts.UserVerification != "preferred" || opts.Timeout != 60000 {
		t.Fatalf("authenticate options: %d %s", w.Code, w.Body)
	}
	req := postJSON("/api/auth/passkey/verify-authentication", `{"response":`+answer(opts.Challenge)+`}`,
		map[string]string{"Origin": origin, "Cookie": passkeyCookie(t, w)})
	again := func() *httptest.ResponseRecorder { return e.do(req) }
	return again(), again
}

func TestPasskeyRegisterAndSignIn(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	a := newSoftAuthenticator(t)
	token := e.freshSession(t, seedAlice)
	pk := e.registerPasskey(t, a, token, localOrigin, "localhost")
	// BetterAuth's row format.
	if pk.UserID != seedAlice || pk.CredentialID != b64url.EncodeToString(a.credID) || pk.Counter != 0 ||
		pk.DeviceType != "multiDevice" || !pk.BackedUp || *pk.Transports != "hybrid,internal" || *pk.Name != "Phone" ||
		*pk.AAGUID != "00000000-0000-0000-0000-000000000000" || len(pk.ID) != 32 || pk.CreatedAt == nil {
		t.Fatalf("passkey row: %+v", pk)
	}
	if cose, err := base64.StdEncoding.DecodeString(pk.PublicKey); err != nil || string(cose) != string(a.coseKey()) {
		t.Fatalf("publicKey must be the COSE key in standard base64: %q", pk.PublicKey)
	}
	// Sign in: a 30-day session that get-session sees.
	w, replay := e.authenticate(t, localOrigin, func(ch string) string { return a.get(ch, localOrigin, "localhost") })
	if w.Code != 200 {
		t.Fatalf("verify authentication: %d %s", w.Code, w.Body)
	}
	var out struct {
		Session struct{ Token, UserID string }
	}
	decode(t, w, &out)
	if out.Session.UserID != seedAlice || sessionCookieToken(t, w, "2592000") != out.Session.Token {
		t.Fatalf("session: %s", w.Body)
	}
	if got := e.sessionUser(t, out.Session.Token); got != seedAlice {
		t.Fatalf("get-session sees %q", got)
	}
	if row, _ := e.db.PasskeyByCredentialID(context.Background(), pk.CredentialID); row.Counter != 1 {
		t.Fatalf("counter %d, want 1", row.Counter)
	}
	// The same challenge and assertion again: the challenge is gone.
	w = replay()
	if w.Code != 400 {
		t.Fatalf("replay: %d %s", w.Code, w.Body)
	}
	assertJSON(t, w.Body.Bytes(), `{"code":"CHALLENGE_NOT_FOUND","message":"Challenge not found"}`)
}

func TestPasskeyRejects(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	a := newSoftAuthenticator(t)
	e.registerPasskey(t, a, e.freshSession(t, seedAlice), localOrigin, "localhost")
	if w, _ := e.authenticate(t, localOrigin, func(ch string) string { return a.get(ch, localOrigin, "localhost") }); w.Code != 200 {
		t.Fatalf("first sign-in: %d %s", w.Code, w.Body) // the stored counter is now 1
	}
	failed := `{"code":"AUTHENTICATION_FAILED","message":"Authentication failed"}`
	cases := []struct {
		name   string
		origin string
		answer func(ch string) string
		status int
		want   string
	}{
		{"assertion made for another origin", localOrigin, func(ch string) string { return a.get(ch, "http://evil.example", "localhost") }, 400, failed},
		{"assertion for another RP id", localOrigin, func(ch string) string { return a.get(ch, localOrigin, "evil.example") }, 400, failed},
		{"another challenge", localOrigin, func(ch string) string {
			return a.get(b64url.EncodeToString([]byte("not-the-challenge")), localOrigin, "localhost")
		}, 400, failed},
		{"counter went back", localOrigin, func(ch string) string { a.counter = 0; return a.get(ch, localOrigin, "localhost") }, 400, failed},
		{"unknown credential", localOrigin, func(ch string) string { return newSoftAuthenticator(t).get(ch, localOrigin, "localhost") }, 401,
			`{"code":"PASSKEY_NOT_FOUND","message":"Passkey not found"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := e.authenticate(t, tc.origin, tc.answer)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.want)
		})
	}
	t.Run("no challenge cookie", func(t *testing.T) {
		w := e.do(postJSON("/api/auth/passkey/verify-authentication", `{"response":`+a.get("x", localOrigin, "localhost")+`}`,
			map[string]string{"Origin": localOrigin}))
		if w.Code != 400 {
			t.Fatalf("status %d", w.Code)
		}
		assertJSON(t, w.Body.Bytes(), `{"code":"CHALLENGE_NOT_FOUND","message":"Challenge not found"}`)
	})
	t.Run("forged challenge cookie", func(t *testing.T) {
		w := e.do(postJSON("/api/auth/passkey/verify-authentication", `{"response":`+a.get("x", localOrigin, "localhost")+`}`,
			map[string]string{"Origin": localOrigin, "Cookie": "better-auth.better-auth-passkey=abc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"}))
		assertJSON(t, w.Body.Bytes(), `{"code":"CHALLENGE_NOT_FOUND","message":"Challenge not found"}`)
	})
	t.Run("registration needs a fresh session", func(t *testing.T) {
		w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-register-options",
			headers: map[string]string{"Authorization": "Bearer " + aliceToken, "Origin": localOrigin}})
		if w.Code != 403 {
			t.Fatalf("stale session: %d %s", w.Code, w.Body)
		}
		w = e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-register-options"})
		if w.Code != 401 || w.Body.Len() != 0 {
			t.Fatalf("no session: %d %q", w.Code, w.Body)
		}
	})
	t.Run("registration answered for another origin", func(t *testing.T) {
		token := e.freshSession(t, seedMod)
		w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-register-options",
			headers: map[string]string{"Authorization": "Bearer " + token, "Origin": localOrigin}})
		var opts auth.RegistrationOptions
		decode(t, w, &opts)
		w = e.do(postJSON("/api/auth/passkey/verify-registration", `{"response":`+newSoftAuthenticator(t).create(opts, "http://evil.example", "localhost")+`}`,
			map[string]string{"Authorization": "Bearer " + token, "Origin": localOrigin, "Cookie": passkeyCookie(t, w)}))
		if w.Code != 500 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		assertJSON(t, w.Body.Bytes(), `{"code":"FAILED_TO_VERIFY_REGISTRATION","message":"Failed to verify registration"}`)
	})
}

// TestPasskeyRelyingParty checks the RP id derived per request.
func TestPasskeyRelyingParty(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	for _, tc := range []struct{ origin, rpID string }{
		{"http://localhost:3000", "localhost"},
		{"http://192.168.1.110:3000", "192.168.1.110"},
		{"capacitor://localhost", "localhost"},
		{"http://localhost", "localhost"},
		{"https://chat.example.com", "chat.example.com"},
	} {
		w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/generate-authenticate-options",
			headers: map[string]string{"Origin": tc.origin}})
		var opts auth.AuthenticationOptions
		decode(t, w, &opts)
		if opts.RPID != tc.rpID || len(opts.Challenge) != 43 {
			t.Fatalf("%s: rpId %q challenge %q", tc.origin, opts.RPID, opts.Challenge)
		}
	}
	// A LAN-IP relying party and the Capacitor origin register and sign in.
	for _, tc := range []struct{ origin, rpID string }{{"http://192.168.1.110:3000", "192.168.1.110"}, {"capacitor://localhost", "localhost"}} {
		a := newSoftAuthenticator(t)
		e.registerPasskey(t, a, e.freshSession(t, seedMod), tc.origin, tc.rpID)
		w, _ := e.authenticate(t, tc.origin, func(ch string) string { return a.get(ch, tc.origin, tc.rpID) })
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", tc.origin, w.Code, w.Body)
		}
	}
}

// TestPasskeyFromBetterAuth signs in with a row written in BetterAuth's
// format (as the old server stored it), then manages passkeys.
func TestPasskeyFromBetterAuth(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	a := newSoftAuthenticator(t)
	a.handle = []byte("qxat34efoc0ldmp8r6yvmkkunsrgu0ev")
	a.counter = 7
	row := store.Passkey{ID: "HzfEHICs4brjZ9OLlIhW4mc3u7V7uwGh", PublicKey: base64.StdEncoding.EncodeToString(a.coseKey()),
		UserID: seedBob, CredentialID: b64url.EncodeToString(a.credID), Counter: 7, DeviceType: "multiDevice", BackedUp: true,
		Transports: sql.NullString{String: "hybrid,internal", Valid: true}, AAGUID: sql.NullString{String: "00000000-0000-0000-0000-000000000000", Valid: true}}
	if err := e.db.CreatePasskey(context.Background(), row); err != nil {
		t.Fatal(err)
	}
	w, _ := e.authenticate(t, localOrigin, func(ch string) string { return a.get(ch, localOrigin, "localhost") })
	if w.Code != 200 {
		t.Fatalf("BetterAuth row: %d %s", w.Code, w.Body)
	}
	var out struct{ Session struct{ Token string } }
	decode(t, w, &out)
	bob := map[string]string{"Authorization": "Bearer " + out.Session.Token, "Origin": localOrigin}
	w = e.do(apiReq{method: http.MethodGet, target: "/api/auth/passkey/list-user-passkeys", headers: bob})
	var list []auth.PasskeyJSON
	decode(t, w, &list)
	if len(list) != 1 || list[0].ID != row.ID || list[0].Counter != 8 || list[0].Name != nil {
		t.Fatalf("list: %s", w.Body)
	}
	w = e.do(postJSON("/api/auth/passkey/update-passkey", `{"id":"`+row.ID+`","name":"Laptop"}`, bob))
	var upd struct{ Passkey auth.PasskeyJSON }
	decode(t, w, &upd)
	if w.Code != 200 || upd.Passkey.Name == nil || *upd.Passkey.Name != "Laptop" {
		t.Fatalf("rename: %d %s", w.Code, w.Body)
	}
	// Another user may neither rename nor delete it.
	alice := map[string]string{"Authorization": "Bearer " + aliceToken}
	if w := e.do(postJSON("/api/auth/passkey/update-passkey", `{"id":"`+row.ID+`","name":"Mine"}`, alice)); w.Code != 401 {
		t.Fatalf("foreign rename: %d %s", w.Code, w.Body)
	}
	if w := e.do(postJSON("/api/auth/passkey/delete-passkey", `{"id":"`+row.ID+`"}`, alice)); w.Code != 401 || w.Body.Len() != 0 {
		t.Fatalf("foreign delete: %d %s", w.Code, w.Body)
	}
	if w := e.do(postJSON("/api/auth/passkey/delete-passkey", `{"id":"nope"}`, bob)); w.Code != 404 {
		t.Fatalf("unknown delete: %d %s", w.Code, w.Body)
	}
	w = e.do(postJSON("/api/auth/passkey/delete-passkey", `{"id":"`+row.ID+`"}`, bob))
	assertJSON(t, w.Body.Bytes(), `{"status":true}`)
	if _, err := e.db.PasskeyByID(context.Background(), row.ID); err == nil {
		t.Fatal("passkey not deleted")
	}
}
