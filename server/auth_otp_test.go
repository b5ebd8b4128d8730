package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store"
)

// testClock is a settable clock shared by the logins and the sessions, so
// tests can step past expiries.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// smsOutbox is an SMS provider that keeps what it was asked to send (the
// log provider's behaviour, readable by the test).
type smsOutbox struct {
	mu   sync.Mutex
	sent map[string]string
	fail bool
}

func (o *smsOutbox) Send(_ context.Context, phone, text string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail {
		return io.ErrUnexpectedEOF
	}
	o.sent[phone] = text
	return nil
}

var codeInText = regexp.MustCompile(`^Il tuo codice di verifica è: (\d{6})$`)

func (o *smsOutbox) code(t *testing.T, phone string) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	m := codeInText.FindStringSubmatch(o.sent[phone])
	if m == nil {
		t.Fatalf("no code texted to %s (outbox %v)", phone, o.sent)
	}
	return m[1]
}

// loginEnv is an apiEnv with sessions and every login method wired.
type loginEnv struct {
	*apiEnv
	clock  *testClock
	sms    *smsOutbox
	logins Logins
}

type loginOpts struct {
	otp    auth.OTPConfig
	social auth.SocialConfig
	secure bool // __Secure- cookies, as with an https BETTER_AUTH_URL
}

func newLoginEnv(t *testing.T, opts loginOpts) *loginEnv {
	t.Helper()
	clock := &testClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	sms := &smsOutbox{sent: map[string]string{}}
	le := &loginEnv{clock: clock, sms: sms}
	le.apiEnv = newAPIEnv(t, func(cfg *Config, deps *Deps) {
		cfg.NodeEnv = "test"
		cfg.CORSOrigins = append(cfg.CORSOrigins, "http://192.168.1.110:3000", "https://chat.example.com")
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		signer := auth.NewSigner(testSecret)
		deps.Now = clock.Now
		deps.Resolver = auth.NewResolver(signer, deps.Store, clock.Now)
		deps.Sessions = auth.NewSessions(deps.Store, signer, clock.Now, auth.Config{CacheMaxAge: 300 * time.Second, SecureCookies: opts.secure})
		o := opts.otp
		o.Secret = testSecret
		if o.PhoneCooldown == 0 {
			o.PhoneCooldown, o.PhoneMaxPerHour, o.IPMaxPerHour = time.Minute, 5, 30
		}
		deps.Logins = Logins{
			OTP:       auth.NewOTP(o, deps.Store, sms, log, clock.Now),
			Biometric: auth.NewBiometric(deps.Store, log, clock.Now),
			Passkeys:  auth.NewPasskeys(deps.Store, log, clock.Now),
			Social:    auth.NewSocial(opts.social, deps.Store, log, clock.Now, nil),
			BaseURL:   opts.social.BaseURL,
		}
		le.logins = deps.Logins
	})
	return le
}

func postJSON(target, body string, headers ...map[string]string) apiReq {
	r := apiReq{method: http.MethodPost, target: target, body: body, headers: map[string]string{}}
	for _, h := range headers {
		for k, v := range h {
			r.headers[k] = v
		}
	}
	return r
}

// sessionUser asks get-session with the token as Bearer and returns the
// user id it reports ("" for null).
func (e *loginEnv) sessionUser(t *testing.T, token string) string {
	t.Helper()
	w := e.do(apiReq{method: http.MethodGet, target: "/api/auth/get-session", headers: bearer(token)})
	if w.Code != http.StatusOK {
		t.Fatalf("get-session: %d %s", w.Code, w.Body)
	}
	var out struct {
		User struct{ ID string } `json:"user"`
	}
	if strings.TrimSpace(w.Body.String()) == "null" {
		return ""
	}
	decode(t, w, &out)
	return out.User.ID
}

// sessionCookieToken checks the response's signed session cookie and
// returns its token.
func sessionCookieToken(t *testing.T, w *httptest.ResponseRecorder, wantMaxAge string) string {
	t.Helper()
	for _, c := range w.Result().Header.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(c, "better-auth.session_token="); ok {
			if !strings.Contains(c, "; Max-Age="+wantMaxAge+";") || !strings.Contains(c, "HttpOnly") {
				t.Fatalf("session cookie attributes: %s", c)
			}
			tok, ok := auth.NewSigner(testSecret).TokenFromCandidate(strings.SplitN(v, ";", 2)[0])
			if !ok {
				t.Fatalf("session cookie not validly signed: %s", c)
			}
			return tok
		}
	}
	t.Fatalf("no session cookie in %v", w.Result().Header.Values("Set-Cookie"))
	return ""
}

const testPhone = "+393331234567"

func TestOTPNewUserFlow(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	if w := e.do(postJSON("/api/auth/otp/send", `{"phone":"+39 333 123 4567"}`)); w.Code != 200 {
		t.Fatalf("send: %d %s", w.Code, w.Body)
	}
	code := e.sms.code(t, testPhone)
	// The code is stored only as an HMAC.
	row, err := e.db.VerificationByIdentifier(context.Background(), testPhone)
	if err != nil || strings.Contains(row.Value, code) || !strings.HasPrefix(row.Value, `{"v":1,"h":"`) {
		t.Fatalf("stored value %q (err %v) must be the hashed form", row.Value, err)
	}
	if got := row.ExpiresAt.Sub(e.clock.Now()); got != 5*time.Minute {
		t.Fatalf("expiry in %v, want 5m", got)
	}
	// A new number without an alias: the probe answer, code kept.
	w := e.do(postJSON("/api/auth/otp/verify", `{"phone":"+393331234567","code":"`+code+`"}`))
	assertJSON(t, w.Body.Bytes(), `{"success":false,"isNewUser":true,"message":"Alias richiesto per nuovi utenti"}`)
	w = e.do(postJSON("/api/auth/otp/verify", `{"phone":"+393331234567","code":`+code+`,"alias":"  Marco  ","gender":"alien"}`))
	if w.Code != 200 {
		t.Fatalf("verify: %d %s", w.Code, w.Body)
	}
	var out struct {
		Success      bool
		SessionToken string
		User         struct{ ID, Name, PhoneNumber, Gender, Role string }
	}
	decode(t, w, &out)
	if !out.Success || len(out.SessionToken) != 32 || out.User.Name != "Marco" || out.User.PhoneNumber != testPhone ||
		out.User.Gender != "other" || out.User.Role != "USER" {
		t.Fatalf("verify body: %s", w.Body)
	}
	if tok := sessionCookieToken(t, w, "31536000"); tok != out.SessionToken {
		t.Fatalf("cookie token %q != sessionToken %q", tok, out.SessionToken)
	}
	if got := e.sessionUser(t, out.SessionToken); got != out.User.ID {
		t.Fatalf("get-session sees %q, want %q", got, out.User.ID)
	}
	// The code was consumed.
	w = e.do(postJSON("/api/auth/otp/verify", `{"phone":"+393331234567","code":"`+code+`"}`))
	assertJSON(t, w.Body.Bytes(), `{"error":"Codice non valido o scaduto"}`)
	// Logging in again finds the same user.
	e.clock.Add(2 * time.Minute)
	e.do(postJSON("/api/auth/otp/send", `{"phone":"+393331234567"}`))
	w = e.do(postJSON("/api/auth/otp/verify", `{"phone":"+393331234567","code":"`+e.sms.code(t, testPhone)+`","requireExisting":true}`))
	var again struct{ User struct{ ID string } }
	decode(t, w, &again)
	if w.Code != 200 || again.User.ID != out.User.ID {
		t.Fatalf("second login: %d %s", w.Code, w.Body)
	}
}

func TestOTPErrors(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{otp: auth.OTPConfig{DisableSendLimit: true}})
	verify := func(body string) *httptest.ResponseRecorder { return e.do(postJSON("/api/auth/otp/verify", body)) }
	cases := []struct {
		name, target, body string
		status             int
		want               string
	}{
		{"send without phone", "/api/auth/otp/send", `{}`, 400, `{"error":"Numero di telefono mancante"}`},
		{"send non-Italian", "/api/auth/otp/send", `{"phone":"+441234567890"}`, 400, `{"error":"Formato numero non valido. Usa +39..."}`},
		{"send too short", "/api/auth/otp/send", `{"phone":"+3933312345"}`, 400, `{"error":"Formato numero non valido. Usa +39..."}`},
		{"send bad JSON", "/api/auth/otp/send", `{"phone":`, 400, `{"error":"Invalid JSON body"}`},
		{"verify without code", "/api/auth/otp/verify", `{"phone":"+393331234567"}`, 400, `{"error":"Telefono o codice mancante"}`},
		{"verify nothing sent", "/api/auth/otp/verify", `{"phone":"+393331234567","code":"123456"}`, 400, `{"error":"Codice non valido o scaduto"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(postJSON(tc.target, tc.body))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.want)
		})
	}

	t.Run("requireExisting unknown number keeps the code", func(t *testing.T) {
		e.do(postJSON("/api/auth/otp/send", `{"phone":"+393330000001"}`))
		code := e.sms.code(t, "+393330000001")
		w := verify(`{"phone":"+393330000001","code":"` + code + `","requireExisting":true}`)
		if w.Code != 404 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		assertJSON(t, w.Body.Bytes(), `{"error":"Account non trovato. Questa pagina consente solo l'accesso ad account esistenti.","code":"USER_NOT_FOUND"}`)
		if w := verify(`{"phone":"+393330000001","code":"` + code + `","alias":"Anna"}`); w.Code != 200 {
			t.Fatalf("code should still work: %d %s", w.Code, w.Body)
		}
	})

	t.Run("expired code", func(t *testing.T) {
		e.do(postJSON("/api/auth/otp/send", `{"phone":"+393330000002"}`))
		code := e.sms.code(t, "+393330000002")
		e.clock.Add(5*time.Minute + time.Millisecond)
		w := verify(`{"phone":"+393330000002","code":"` + code + `","alias":"Late"}`)
		assertJSON(t, w.Body.Bytes(), `{"error":"Codice non valido o scaduto"}`)
	})

	t.Run("five wrong attempts destroy the code", func(t *testing.T) {
		e.do(postJSON("/api/auth/otp/send", `{"phone":"+393330000003"}`))
		code := e.sms.code(t, "+393330000003")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for i := 1; i <= 4; i++ {
			w := verify(`{"phone":"+393330000003","code":"` + wrong + `"}`)
			assertJSON(t, w.Body.Bytes(), `{"error":"Codice non valido o scaduto"}`)
		}
		w := verify(`{"phone":"+393330000003","code":"` + wrong + `"}`)
		if w.Code != 400 {
			t.Fatalf("status %d", w.Code)
		}
		assertJSON(t, w.Body.Bytes(), `{"error":"Troppi tentativi errati. Richiedi un nuovo codice."}`)
		w = verify(`{"phone":"+393330000003","code":"` + code + `","alias":"Brute"}`)
		assertJSON(t, w.Body.Bytes(), `{"error":"Codice non valido o scaduto"}`)
	})

	t.Run("legacy clear-text row", func(t *testing.T) {
		now := e.clock.Now()
		_, err := e.db.CreateVerification(context.Background(), store.Verification{ID: "legacy-otp-row", Identifier: "+393330000004",
			Value: "654321", ExpiresAt: now.Add(3 * time.Minute), CreatedAt: now, UpdatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		w := verify(`{"phone":"+393330000004","code":"123456","alias":"Old"}`)
		assertJSON(t, w.Body.Bytes(), `{"error":"Codice non valido o scaduto"}`)
		if w := verify(`{"phone":"+393330000004","code":"654321","alias":"Old"}`); w.Code != 200 {
			t.Fatalf("legacy code: %d %s", w.Code, w.Body)
		}
	})

	t.Run("SMS failure removes the code", func(t *testing.T) {
		e.sms.mu.Lock()
		e.sms.fail = true
		e.sms.mu.Unlock()
		defer func() { e.sms.mu.Lock(); e.sms.fail = false; e.sms.mu.Unlock() }()
		w := e.do(postJSON("/api/auth/otp/send", `{"phone":"+393330000005"}`))
		if w.Code != 500 {
			t.Fatalf("status %d", w.Code)
		}
		assertJSON(t, w.Body.Bytes(), `{"error":"Errore nell'invio dell'SMS"}`)
		if _, err := e.db.VerificationByIdentifier(context.Background(), "+393330000005"); err == nil {
			t.Fatal("row of an unsent code left behind")
		}
	})
}

func TestOTPSendLimits(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{otp: auth.OTPConfig{PhoneCooldown: time.Minute, PhoneMaxPerHour: 3, IPMaxPerHour: 5}})
	send := func(phone string) *httptest.ResponseRecorder {
		return e.do(postJSON("/api/auth/otp/send", `{"phone":"`+phone+`"}`))
	}
	if w := send(testPhone); w.Code != 200 {
		t.Fatalf("first send: %d", w.Code)
	}
	first := e.sms.code(t, testPhone)
	e.clock.Add(20 * time.Second)
	w := send(testPhone)
	if w.Code != 429 || w.Header().Get("Retry-After") != "40" {
		t.Fatalf("cooldown: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	assertJSON(t, w.Body.Bytes(), `{"error":"Troppe richieste. Riprova tra 40 secondi.","retryAfter":40}`)
	for i := 0; i < 2; i++ {
		e.clock.Add(time.Minute)
		if w := send(testPhone); w.Code != 200 {
			t.Fatalf("send %d: %d", i+2, w.Code)
		}
	}
	// A new send replaces the earlier code: one live code per phone.
	if w := e.do(postJSON("/api/auth/otp/verify", `{"phone":"`+testPhone+`","code":"`+first+`","alias":"X"}`)); w.Code != 400 && e.sms.code(t, testPhone) != first {
		t.Fatalf("an earlier code still works: %d", w.Code)
	}
	e.clock.Add(time.Minute)
	if w := send(testPhone); w.Code != 429 {
		t.Fatalf("hourly per-phone limit: %d", w.Code)
	}
	// Per IP: 5 per hour whatever the phone (3 used so far).
	for i, phone := range []string{"+393330000011", "+393330000012"} {
		if w := send(phone); w.Code != 200 {
			t.Fatalf("ip send %d: %d", i, w.Code)
		}
	}
	if w := send("+393330000013"); w.Code != 429 {
		t.Fatalf("per-IP limit: %d %s", w.Code, w.Body)
	}
	e.clock.Add(time.Hour)
	if w := send("+393330000013"); w.Code != 200 {
		t.Fatalf("after an hour: %d", w.Code)
	}
}

// TestLoginsNotConfigured: a server built without a login method answers
// its paths as unknown routes (404, empty under /api/auth/), never a crash.
func TestLoginsNotConfigured(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	for _, target := range []string{"/api/auth/otp/send", "/api/auth/biometric/login", "/api/auth/social/native",
		"/api/auth/passkey/verify-authentication"} {
		w := e.do(postJSON(target, `{}`))
		if w.Code != http.StatusNotFound || w.Body.Len() != 0 {
			t.Errorf("%s: %d %q", target, w.Code, w.Body)
		}
	}
}
