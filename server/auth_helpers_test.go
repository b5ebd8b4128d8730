package server

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBACode(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Invalid callbackURL":                              "INVALID_CALLBACKURL",
		"User already exists. Use another email.":          "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
		"role is not allowed to be set":                    "ROLE_IS_NOT_ALLOWED_TO_BE_SET",
		"Anonymous users cannot sign in again anonymously": "ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY",
	}
	for msg, want := range tests {
		if got := baCode(msg); got != want {
			t.Errorf("baCode(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestProfileFrom(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, code string }{
		{`{"name":"Marco","gender":"male"}`, ""},
		{`{"status":"here","image":null}`, ""},
		{`{"name":"x","email":"a@b.c"}`, "EMAIL_CAN_NOT_BE_UPDATED"},
		{`{"name":"x","email":""}`, ""},
		{`{"role":"SUPERADMIN"}`, "ROLE_IS_NOT_ALLOWED_TO_BE_SET"},
		{`{"role":"USER","isAnonymous":true}`, "ROLE_IS_NOT_ALLOWED_TO_BE_SET"},
		{`{"isAnonymous":1}`, "ISANONYMOUS_IS_NOT_ALLOWED_TO_BE_SET"},
		{`{"isAnonymous":false,"name":"x"}`, ""},
		{`{"phoneNumber":"+39333"}`, "PHONENUMBER_IS_NOT_ALLOWED_TO_BE_SET"},
		{`{"phoneNumber":null,"role":0,"name":"x"}`, ""},
		{`{"gender":"robot"}`, "VALIDATION_ERROR"},
		{`{"name":42}`, "VALIDATION_ERROR"},
		{`{"image":["x"]}`, "VALIDATION_ERROR"},
		{`{"name":"` + strings.Repeat("n", 101) + `"}`, "VALIDATION_ERROR"},
		{`{"emailVerified":true,"id":"x","createdAt":"y"}`, "NO_FIELDS_TO_UPDATE"},
		{`{}`, "NO_FIELDS_TO_UPDATE"},
	}
	for _, tt := range tests {
		var body jsonObject
		if err := json.Unmarshal([]byte(tt.body), &body); err != nil {
			t.Fatal(err)
		}
		code := ""
		if _, err := profileFrom(body); err != nil {
			code, _ = baErrorCode(err)
		}
		if code != tt.code {
			t.Errorf("profileFrom(%s) code = %q, want %q", tt.body, code, tt.code)
		}
	}
}

func TestDecodeBABody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType, body string
		formOK            bool
		wantErr           error
		wantName          string
	}{
		{"application/json", `{"name":"a"}`, false, nil, "a"},
		{"application/json; charset=utf-8", `{"name":"a"}`, false, nil, "a"},
		{"", `{"name":"a"}`, false, nil, "a"},
		{"application/json", `[1]`, false, errBANotObject, ""},
		{"application/json", `"x"`, false, errBANotObject, ""},
		{"text/plain", `{"name":"a"}`, false, errBAMediaType, ""},
		{"application/x-www-form-urlencoded", `name=a&email=b`, false, errBAMediaType, ""},
		{"application/x-www-form-urlencoded", `name=a&email=b`, true, nil, "a"},
	}
	for _, tt := range tests {
		obj, err := decodeBABody(tt.contentType, []byte(tt.body), tt.formOK)
		if tt.wantErr != nil {
			if err != tt.wantErr {
				t.Errorf("%s %s: err = %v, want %v", tt.contentType, tt.body, err, tt.wantErr)
			}
			continue
		}
		if name, _, _ := obj.str("name"); err != nil || name != tt.wantName {
			t.Errorf("%s %s: name = %q, err %v", tt.contentType, tt.body, name, err)
		}
	}
}

func TestFixedWindow(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	f := &fixedWindow{max: 3, window: 10 * time.Second, now: func() time.Time { return now }, hits: map[string]*windowHits{}}
	for i := range 3 {
		if _, ok := f.allow("ip|/sign-in/anonymous"); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	now = now.Add(4 * time.Second)
	wait, ok := f.allow("ip|/sign-in/anonymous")
	if ok || wait != 6*time.Second {
		t.Fatalf("4th request: wait %v ok %v; want refused until 10 s after the last counted one", wait, ok)
	}
	if _, ok := f.allow("ip|/sign-up/email"); !ok {
		t.Fatal("another path shares the counter")
	}
	now = now.Add(10*time.Second + time.Millisecond)
	if _, ok := f.allow("ip|/sign-in/anonymous"); !ok {
		t.Fatal("a new window refused")
	}
}

func TestSafeCallback(t *testing.T) {
	t.Parallel()
	o, err := NewOrigins([]string{"capacitor://localhost", "https://app.example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "http://chat.local/api/auth/sign-in/email", nil)
	tests := map[string]bool{
		"/dashboard":                    true,
		"//evil.com/x":                  false,
		`/\evil.com`:                    false,
		"https://app.example.com/x":     true,
		"http://chat.local/after":       true,
		"https://evil.example.com/x":    false,
		"javascript:alert(1)":           false,
		"capacitor://localhost/welcome": true,
	}
	for cb, want := range tests {
		if got := safeCallback(r, cb, o); got != want {
			t.Errorf("safeCallback(%q) = %v, want %v", cb, got, want)
		}
	}
}
