package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"

	"chatd/auth"
)

// concurrently sends the same request n times at once.
func (e *loginEnv) concurrently(n int, req apiReq) []*httptest.ResponseRecorder {
	out := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = e.do(req)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// TestOTPConcurrentGuesses: parallel wrong guesses cannot share an attempt,
// so five of them destroy the code, and a code logs in only once.
func TestOTPConcurrentGuesses(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{otp: auth.OTPConfig{DisableSendLimit: true}})
	const phone = "+393331230000"
	e.do(postJSON("/api/auth/otp/send", `{"phone":"`+phone+`"}`))
	code := e.sms.code(t, phone)
	wrong := "000000"
	if code == wrong {
		wrong = "999999"
	}
	e.concurrently(5, postJSON("/api/auth/otp/verify", `{"phone":"`+phone+`","code":"`+wrong+`"}`))
	if w := e.do(postJSON("/api/auth/otp/verify", `{"phone":"`+phone+`","code":"`+code+`","alias":"Racer"}`)); w.Code != 400 {
		t.Fatalf("after five parallel wrong guesses the code still works: %d %s", w.Code, w.Body)
	}

	e.do(postJSON("/api/auth/otp/send", `{"phone":"`+phone+`"}`))
	code = e.sms.code(t, phone)
	results := e.concurrently(10, postJSON("/api/auth/otp/verify", `{"phone":"`+phone+`","code":"`+code+`","alias":"Racer"}`))
	wins := 0
	for _, w := range results {
		switch w.Code {
		case 200:
			wins++
		case 400:
			// A loser finds the code used, or, arriving after five others
			// reserved their attempts, is refused before comparing.
			var body struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil ||
				(body.Error != "Codice non valido o scaduto" && body.Error != "Troppi tentativi errati. Richiedi un nuovo codice.") {
				t.Fatalf("a losing guess got %s", w.Body)
			}
		default:
			t.Fatalf("unexpected %d %s", w.Code, w.Body)
		}
	}
	if wins != 1 {
		t.Fatalf("%d logins with one code, want exactly 1", wins)
	}
	var users int
	if err := e.db.SQL().GetContext(context.Background(), &users, `SELECT count(*) FROM "user" WHERE "phoneNumber" = $1`, phone); err != nil || users != 1 {
		t.Fatalf("%d users for the phone (%v), want 1", users, err)
	}
}

// TestOTPSixthGuessNeverCompared: however many guesses arrive at once, at
// most five are compared against one code. The guesses carry the right code
// without an alias, which answers isNewUser and keeps the code, so every
// guess that was compared shows as a 200: exactly five may.
func TestOTPSixthGuessNeverCompared(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{otp: auth.OTPConfig{DisableSendLimit: true}})
	const phone = "+393331230001"
	e.do(postJSON("/api/auth/otp/send", `{"phone":"`+phone+`"}`))
	code := e.sms.code(t, phone)
	compared := 0
	for _, w := range e.concurrently(30, postJSON("/api/auth/otp/verify", `{"phone":"`+phone+`","code":"`+code+`"}`)) {
		switch w.Code {
		case 200:
			assertJSON(t, w.Body.Bytes(), `{"success":false,"isNewUser":true,"message":"Alias richiesto per nuovi utenti"}`)
			compared++
		case 400:
			assertJSON(t, w.Body.Bytes(), `{"error":"Troppi tentativi errati. Richiedi un nuovo codice."}`)
		default:
			t.Fatalf("unexpected %d %s", w.Code, w.Body)
		}
	}
	if compared != 5 {
		t.Fatalf("%d of 30 concurrent guesses were compared, want exactly 5", compared)
	}
	if w := e.do(postJSON("/api/auth/otp/verify", `{"phone":"`+phone+`","code":"`+code+`","alias":"Late"}`)); w.Code != 400 {
		t.Fatalf("a sixth guess was compared: %d %s", w.Code, w.Body)
	}
}

// TestSocialNativeConcurrentFirstLogin: parallel first logins of one Google
// account end in one user, and every request logs in.
func TestSocialNativeConcurrentFirstLogin(t *testing.T) {
	t.Parallel()
	e, idp := newSocialEnv(t)
	token := idp.sign(googleClaims(e.clock.Now(), "g-race", "race@example.com"), nil, idp.kid)
	for _, w := range e.concurrently(8, postJSON("/api/auth/social/native", nativeBody("google", token, ""))) {
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	var users int
	if err := e.db.SQL().GetContext(context.Background(), &users, `SELECT count(*) FROM "user" WHERE "email" = 'race@example.com'`); err != nil || users != 1 {
		t.Fatalf("%d users (%v), want 1", users, err)
	}
}
