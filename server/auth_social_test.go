package server

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"chatd/auth"
)

// testIDP is a local identity provider: a JWKS with one RS256 key and an
// OAuth token endpoint that answers with an ID token made by idToken.
type testIDP struct {
	t       *testing.T
	srv     *httptest.Server
	key     *rsa.PrivateKey
	kid     string
	mu      sync.Mutex
	forms   []url.Values
	idToken func(code string) string
}

func newTestIDP(t *testing.T) *testIDP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testIDP{t: t, key: key, kid: "test-kid-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		p.forms = append(p.forms, r.PostForm)
		p.mu.Unlock()
		if r.PostForm.Get("code") == "bad-code" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600,
			"id_token": p.idToken(r.PostForm.Get("code"))})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// sign makes a JWS of claims with key (the provider's by default) and kid.
func (p *testIDP) sign(claims map[string]any, key *rsa.PrivateKey, kid string) string {
	p.t.Helper()
	if key == nil {
		key = p.key
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		p.t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return tok
}

func (p *testIDP) provider(clientID string, audiences ...string) auth.ProviderConfig {
	return auth.ProviderConfig{ClientID: clientID, ClientSecret: "secret-" + clientID, Audiences: audiences,
		JWKSURL: p.srv.URL + "/jwks", AuthURL: p.srv.URL + "/authorize", TokenURL: p.srv.URL + "/token"}
}

func googleClaims(now time.Time, sub, email string) map[string]any {
	return map[string]any{"iss": "https://accounts.google.com", "aud": "google-ios-client", "sub": sub,
		"email": email, "email_verified": true, "name": "Giulia Rossi", "picture": "https://img.example/g.png",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func newSocialEnv(t *testing.T) (*loginEnv, *testIDP) {
	t.Helper()
	idp := newTestIDP(t)
	e := newLoginEnv(t, loginOpts{social: auth.SocialConfig{BaseURL: "http://localhost:3000",
		Google: idp.provider("google-web-client", "google-web-client", "google-ios-client"),
		Apple:  idp.provider("", "io.local.app")}})
	return e, idp
}

func nativeBody(provider, token string, extra string) string {
	return `{"provider":"` + provider + `","idToken":"` + token + `"` + extra + `}`
}

func TestSocialNative(t *testing.T) {
	t.Parallel()
	e, idp := newSocialEnv(t)
	now := e.clock.Now()
	login := func(body string) *httptest.ResponseRecorder { return e.do(postJSON("/api/auth/social/native", body)) }
	type result struct {
		Success, IsNewUser bool
		SessionToken       string
		User               map[string]any
	}
	// A new Google user: identity from the claims only, never from profile.
	w := login(nativeBody("google", idp.sign(googleClaims(now, "g-100", "Giulia.Rossi@Example.com"), nil, idp.kid),
		`,"profile":{"email":"alice@example.com","id":"x","name":"Ignored"}`))
	var first result
	decode(t, w, &first)
	if w.Code != 200 || !first.IsNewUser || first.User["email"] != "giulia.rossi@example.com" ||
		first.User["name"] != "Giulia Rossi" || first.User["alias"] != "Giulia Rossi" || first.User["gender"] != "other" ||
		first.User["image"] != "https://img.example/g.png" || len(first.SessionToken) != 32 {
		t.Fatalf("new user: %d %s", w.Code, w.Body)
	}
	if tok := sessionCookieToken(t, w, "31536000"); tok != first.SessionToken {
		t.Fatal("cookie and sessionToken differ")
	}
	if got := e.sessionUser(t, first.SessionToken); got != first.User["id"] {
		t.Fatalf("get-session sees %q", got)
	}
	acct, err := e.db.AccountByProviderAccount(context.Background(), "google", "g-100")
	if err != nil || acct.UserID != first.User["id"] || acct.IDToken.Valid || acct.AccessToken.Valid {
		t.Fatalf("account %+v %v (the ID token must not be stored)", acct, err)
	}
	// Same subject again (even with another email): the same user.
	w = login(nativeBody("google", idp.sign(googleClaims(now, "g-100", "other@example.com"), nil, idp.kid), ""))
	var again result
	decode(t, w, &again)
	if w.Code != 200 || again.IsNewUser || again.User["id"] != first.User["id"] {
		t.Fatalf("returning user: %d %s", w.Code, w.Body)
	}
	// An existing user found by verified email (case-insensitive) is linked.
	w = login(nativeBody("google", idp.sign(googleClaims(now, "g-alice", "ALICE@example.com"), nil, idp.kid), ""))
	decode(t, w, &again)
	if w.Code != 200 || again.IsNewUser || again.User["id"] != seedAlice {
		t.Fatalf("link by email: %d %s", w.Code, w.Body)
	}
	if _, err := e.db.AccountByProviderAccount(context.Background(), "google", "g-alice"); err != nil {
		t.Fatalf("no account link: %v", err)
	}
	// Apple: email_verified is the string "true"; the audience is the bundle id.
	apple := map[string]any{"iss": "https://appleid.apple.com", "aud": "io.local.app", "sub": "a-1",
		"email": "apple@privaterelay.appleid.com", "email_verified": "true", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	w = login(nativeBody("apple", idp.sign(apple, nil, idp.kid), `,"profile":{"name":"Mario"}`))
	decode(t, w, &again)
	if w.Code != 200 || !again.IsNewUser || again.User["name"] != "Mario" || again.User["email"] != "apple@privaterelay.appleid.com" {
		t.Fatalf("apple: %d %s", w.Code, w.Body)
	}
}

func TestSocialNativeRejects(t *testing.T) {
	t.Parallel()
	e, idp := newSocialEnv(t)
	now := e.clock.Now()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	with := func(edit func(map[string]any)) map[string]any {
		c := googleClaims(now, "g-200", "new@example.com")
		edit(c)
		return c
	}
	failed := `{"error":"Token verification failed"}`
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"missing idToken", `{"provider":"google"}`, 400, `{"error":"Missing provider or idToken"}`},
		{"missing provider", `{"idToken":"x"}`, 400, `{"error":"Missing provider or idToken"}`},
		{"unsupported provider", nativeBody("facebook", "x", ""), 400, `{"error":"Unsupported provider"}`},
		{"not a JWT", nativeBody("google", "not.a.jwt", ""), 401, failed},
		{"forged signature", nativeBody("google", idp.sign(googleClaims(now, "g-200", "new@example.com"), other, idp.kid), ""), 401, failed},
		{"unknown kid", nativeBody("google", idp.sign(googleClaims(now, "g-200", "new@example.com"), other, "other-kid"), ""), 401, failed},
		{"no kid", nativeBody("google", idp.sign(googleClaims(now, "g-200", "new@example.com"), nil, ""), ""), 401, failed},
		{"expired", nativeBody("google", idp.sign(with(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), nil, idp.kid), ""), 401, failed},
		{"issued in the future", nativeBody("google", idp.sign(with(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }), nil, idp.kid), ""), 401, failed},
		{"wrong audience", nativeBody("google", idp.sign(with(func(c map[string]any) { c["aud"] = "someone-else" }), nil, idp.kid), ""), 401, failed},
		{"wrong issuer", nativeBody("google", idp.sign(with(func(c map[string]any) { c["iss"] = "https://appleid.apple.com" }), nil, idp.kid), ""), 401, failed},
		{"google token as apple", nativeBody("apple", idp.sign(googleClaims(now, "g-200", "new@example.com"), nil, idp.kid), ""), 401, failed},
		{"no subject", nativeBody("google", idp.sign(with(func(c map[string]any) { delete(c, "sub") }), nil, idp.kid), ""), 401, failed},
		{"unverified email, new user", nativeBody("google", idp.sign(with(func(c map[string]any) { c["email_verified"] = false }), nil, idp.kid), ""),
			401, `{"error":"No email provided and no existing account found"}`},
		{"unverified email does not match alice", nativeBody("google", idp.sign(with(func(c map[string]any) {
			c["email_verified"], c["email"] = "false", "alice@example.com"
		}), nil, idp.kid), ""), 401, `{"error":"No email provided and no existing account found"}`},
		{"requireExisting, unknown", nativeBody("google", idp.sign(googleClaims(now, "g-201", "nobody@example.com"), nil, idp.kid), `,"requireExisting":true`),
			404, `{"error":"Account non trovato. Questa pagina consente solo l'accesso ad account esistenti."}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(postJSON("/api/auth/social/native", tc.body))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.want)
		})
	}
}

func TestSocialWebFlow(t *testing.T) {
	t.Parallel()
	e, idp := newSocialEnv(t)
	now := e.clock.Now()
	idp.idToken = func(code string) string {
		c := googleClaims(now, "g-web-"+code, "web-"+code+"@example.com")
		c["aud"] = "google-web-client"
		return idp.sign(c, nil, idp.kid)
	}
	origin := map[string]string{"Origin": "http://localhost:3000"}
	start := func(body string) (string, string) {
		w := e.do(postJSON("/api/auth/sign-in/social", body, origin))
		var out struct {
			URL      string
			Redirect bool
		}
		decode(t, w, &out)
		if w.Code != 200 || !out.Redirect || w.Header().Get("Location") != out.URL {
			t.Fatalf("sign-in/social: %d %s", w.Code, w.Body)
		}
		var stateCookie string
		for _, c := range w.Result().Header.Values("Set-Cookie") {
			if v, ok := strings.CutPrefix(c, "better-auth.state="); ok {
				stateCookie = strings.SplitN(v, ";", 2)[0]
				if !strings.Contains(c, "Max-Age=300; Path=/; HttpOnly; SameSite=Lax") {
					t.Fatalf("state cookie: %s", c)
				}
			}
		}
		return out.URL, stateCookie
	}
	authURL, stateCookie := start(`{"provider":"google","callbackURL":"http://localhost:3000/account"}`)
	u, _ := url.Parse(authURL)
	q := u.Query()
	if !strings.HasPrefix(authURL, idp.srv.URL+"/authorize?") || q.Get("client_id") != "google-web-client" ||
		q.Get("response_type") != "code" || q.Get("scope") != "email profile openid" || q.Get("code_challenge_method") != "S256" ||
		q.Get("redirect_uri") != "http://localhost:3000/api/auth/callback/google" || len(q.Get("state")) != 32 ||
		q.Get("include_granted_scopes") != "true" {
		t.Fatalf("provider URL: %s", authURL)
	}
	state := q.Get("state")
	if got, ok := auth.NewSigner(testSecret).Unsign(stateCookie); !ok || got != state {
		t.Fatalf("state cookie %q does not carry the signed state", stateCookie)
	}
	callback := func(query, cookie string) *httptest.ResponseRecorder {
		r := apiReq{method: http.MethodGet, target: "/api/auth/callback/google?" + query, headers: map[string]string{}}
		if cookie != "" {
			r.headers["Cookie"] = cookie
		}
		return e.do(r)
	}
	// A missing state cookie is a mismatch, even with the right state.
	w := callback("code=c1&state="+state, "")
	if w.Code != 302 || w.Header().Get("Location") != "http://localhost:3000/api/auth/error?error=state_mismatch" {
		t.Fatalf("state mismatch: %d %s", w.Code, w.Header().Get("Location"))
	}
	// The state was consumed by that attempt? No: a mismatch must not burn it
	// for the real browser, so start again only if the row is gone.
	authURL, stateCookie = start(`{"provider":"google","callbackURL":"http://localhost:3000/account"}`)
	u, _ = url.Parse(authURL)
	state = u.Query().Get("state")
	w = callback("code=c1&state="+state, "better-auth.state="+stateCookie)
	if w.Code != 302 || w.Header().Get("Location") != "http://localhost:3000/account" {
		t.Fatalf("callback: %d %s %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	token := sessionCookieToken(t, w, "2592000")
	user, err := e.db.UserByEmailFold(context.Background(), "web-c1@example.com")
	if err != nil || e.sessionUser(t, token) != user.ID {
		t.Fatalf("web login did not create a working session: %v", err)
	}
	// PKCE: the token request carried the verifier of the challenge.
	idp.mu.Lock()
	form := idp.forms[len(idp.forms)-1]
	idp.mu.Unlock()
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != u.Query().Get("code_challenge") || form.Get("client_secret") != "secret-google-web-client" {
		t.Fatalf("token request %v does not match the challenge", form)
	}
	// Replaying the callback: the state is single-use.
	w = callback("code=c1&state="+state, "better-auth.state="+stateCookie)
	if w.Code != 302 || !strings.Contains(w.Header().Get("Location"), "error=please_restart_the_process") {
		t.Fatalf("replay: %d %s", w.Code, w.Header().Get("Location"))
	}
	// No state at all, a provider error, a bad code.
	if w := callback("code=c2", ""); !strings.HasSuffix(w.Header().Get("Location"), "/api/auth/error?state=state_not_found") {
		t.Fatalf("no state: %s", w.Header().Get("Location"))
	}
	_, sc := start(`{"provider":"google","callbackURL":"/account","errorCallbackURL":"/login-error"}`)
	st, _ := auth.NewSigner(testSecret).Unsign(sc)
	if w := callback("code=bad-code&state="+st, "better-auth.state="+sc); w.Header().Get("Location") != "/login-error?error=invalid_code" {
		t.Fatalf("bad code: %s", w.Header().Get("Location"))
	}
	// A guest who signs in with a provider leaves the anonymous user behind:
	// it is deleted, as BetterAuth's anonymous plugin does.
	guest := e.freshSession(t, seedBob)
	_, sc = start(`{"provider":"google","callbackURL":"/account"}`)
	st, _ = auth.NewSigner(testSecret).Unsign(sc)
	w = callback("code=guest&state="+st, "better-auth.state="+sc+"; better-auth.session_token="+guest)
	if w.Code != 302 || w.Header().Get("Location") != "/account" {
		t.Fatalf("guest callback: %d %s", w.Code, w.Header().Get("Location"))
	}
	if _, err := e.db.UserByID(context.Background(), seedBob); err == nil {
		t.Fatal("the anonymous user survived the social sign-in")
	}
	if u, err := e.db.UserByEmailFold(context.Background(), "web-guest@example.com"); err != nil || u.Gender.Valid {
		t.Fatalf("web user %+v %v (no gender, as BetterAuth)", u, err)
	}
	// Apple's form_post is bounced to the GET callback.
	req := httptest.NewRequest(http.MethodPost, "/api/auth/callback/apple", strings.NewReader("code=abc&state=xyz&user=%7B%7D"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 302 || rec.Header().Get("Location") != "http://localhost:3000/api/auth/callback/apple?code=abc&state=xyz&user=%7B%7D" {
		t.Fatalf("form_post: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}

func TestSocialSignInErrors(t *testing.T) {
	t.Parallel()
	e, _ := newSocialEnv(t)
	origin := map[string]string{"Origin": "http://localhost:3000", "Cookie": "x=1"}
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"unconfigured provider", `{"provider":"apple"}`, 404, `{"code":"PROVIDER_NOT_FOUND","message":"Provider not found"}`},
		{"unknown provider", `{"provider":"github"}`, 404, `{"code":"PROVIDER_NOT_FOUND","message":"Provider not found"}`},
		{"foreign callbackURL", `{"provider":"google","callbackURL":"https://evil.example/x"}`, 403, `{"code":"INVALID_CALLBACKURL","message":"Invalid callbackURL"}`},
		{"protocol-relative callbackURL", `{"provider":"google","callbackURL":"//evil.example/x"}`, 403, `{"code":"INVALID_CALLBACKURL","message":"Invalid callbackURL"}`},
		{"foreign errorCallbackURL", `{"provider":"google","errorCallbackURL":"https://evil.example/x"}`, 403, `{"code":"INVALID_ERRORCALLBACKURL","message":"Invalid errorCallbackURL"}`},
		{"idToken", `{"provider":"google","idToken":{"token":"x"}}`, 404, `{"code":"ID_TOKEN_NOT_SUPPORTED","message":"id_token not supported"}`},
	} {
		w := e.do(postJSON("/api/auth/sign-in/social", tc.body, origin))
		if w.Code != tc.status {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		assertJSON(t, w.Body.Bytes(), tc.want)
	}
	// With cookies, a foreign origin is refused before anything else.
	w := e.do(postJSON("/api/auth/sign-in/social", `{"provider":"google"}`, map[string]string{"Origin": "https://evil.example", "Cookie": "x=1"}))
	if w.Code != 403 {
		t.Fatalf("foreign origin: %d", w.Code)
	}
	// disableRedirect: no Location.
	w = e.do(postJSON("/api/auth/sign-in/social", `{"provider":"google","disableRedirect":true}`))
	if w.Code != 200 || w.Header().Get("Location") != "" || !strings.Contains(w.Body.String(), `"redirect":false`) {
		t.Fatalf("disableRedirect: %d %s", w.Code, w.Body)
	}
}
