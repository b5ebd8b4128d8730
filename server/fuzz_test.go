package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"chatd"
)

// FuzzJSONBody drives a request body through what every route does with
// it: the text rule's reader (the HTTP edge), BetterAuth's body decoder,
// then the field readers of update-user, sign-up, the tenant update, OTP,
// feedback and the NAS checks. The reader must refuse exactly the bodies
// whose decoded text holds a NUL or invalid UTF-8 (checked against
// encoding/json and net/url as the reference); nothing may panic; and what
// a field reader accepts obeys chatd's rules.
func FuzzJSONBody(f *testing.F) {
	for _, seed := range [][2]string{
		{"application/json", `{"name":"Anna","gender":"female","status":"In pausa","image":"/api/uploads/avatars/a.png"}`},
		{"application/json", `{"name":"a\u0000b"}`},
		{"application/json", `{"a":"\\u0000","b":["\u0000"],"\u00e8":{"x":null}}`},
		{"application/json", "{\"name\":\"\xff\"}"},
		{"application/json", `{"logoUrl":"data:image/png;base64,AAAA","menuUrl":"data:text/html,<b>","menuEnabled":true}`},
		{"application/json; charset=utf-8", `{"phone":"+393331234567","code":123456,"alias":"Bob","requireExisting":1}`},
		{"", `{"score":7.5,"comment":null,"nas_id":"n","bssid":"b","publicIp":"1.2.3.4"}`},
		{"application/x-www-form-urlencoded", "email=a%40b.c&password=x&name=%C3%A8&image=javascript%3Aalert(1)"},
		{"application/x-www-form-urlencoded", "email=%00&x=%zz&y=%e2%82"},
		{"text/plain", "[1,2,3]"},
	} {
		f.Add(seed[0], []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		form := mediaType(contentType) == "application/x-www-form-urlencoded"
		read, err := io.ReadAll(&textReader{body: io.NopCloser(strings.NewReader(string(body))), form: form})
		if err != nil && !errors.Is(err, chatd.ErrInvalidText) {
			t.Fatalf("reader error %v", err)
		}
		if invalid, known := referenceInvalid(body, form); known && invalid != (err != nil) {
			t.Fatalf("reader refused=%v, reference invalid=%v for %q", err != nil, invalid, body)
		}
		if err != nil {
			return
		}
		if string(read) != string(body) {
			t.Fatalf("reader changed the body: %q", read)
		}
		obj, err := decodeBABody(contentType, body, true)
		if err != nil {
			return
		}
		for k, raw := range obj {
			var v any
			if !chatd.ValidText(k) || (json.Unmarshal(raw, &v) == nil && !chatd.ValidTextIn(v)) {
				t.Fatalf("invalid text got through: %q: %s", k, raw)
			}
		}
		checkFieldReaders(t, obj)
	})
}

// checkFieldReaders runs every pure field reader on obj and checks what
// each one accepts.
func checkFieldReaders(t *testing.T, obj jsonObject) {
	t.Helper()
	if p, err := profileFrom(obj); err == nil {
		if p.Image != nil && p.Image.String != "" && !chatd.IsAssetURL(p.Image.String) {
			t.Fatalf("update-user accepted image %q", p.Image.String)
		}
		if p.Name != nil && utf8.RuneCountInString(*p.Name) > maxNameLength {
			t.Fatalf("update-user accepted a %d-rune name", utf8.RuneCountInString(*p.Name))
		}
	}
	if in, field := signUpFrom(obj); field == "" && in.Image != nil && *in.Image != "" && !chatd.IsAssetURL(*in.Image) {
		t.Fatalf("sign-up accepted image %q", *in.Image)
	}
	if u, ok := tenantUpdateFrom(obj); ok {
		if u.LogoURL != nil && u.LogoURL.String != "" && !tenantAssetURL["logoUrl"](u.LogoURL.String) {
			t.Fatalf("tenant update accepted logo %q", u.LogoURL.String)
		}
		if u.MenuURL != nil && u.MenuURL.String != "" && !tenantAssetURL["menuUrl"](u.MenuURL.String) {
			t.Fatalf("tenant update accepted menu %q", u.MenuURL.String)
		}
	}
	if in, ok := otpVerifyInput(obj); ok && (in.Phone == "" || in.Code == "") {
		t.Fatalf("OTP verify accepted %+v", in)
	}
	if n, ok := feedbackScore(obj); ok && (n < 1 || n > 10) {
		t.Fatalf("feedback score %d", n)
	}
	feedbackComment(obj)
	nasFields(obj, "nasId")
}

// referenceInvalid decides the text rule with the standard decoders: a JSON
// body is invalid when it is not UTF-8 or a decoded string holds a NUL; a
// form when a decoded key or value is invalid text. known is false when
// the reference cannot decide (not JSON, not a parseable form).
func referenceInvalid(body []byte, form bool) (invalid, known bool) {
	if form {
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return false, false
		}
		for k, vs := range values {
			for _, v := range append(vs, k) {
				if !chatd.ValidText(v) {
					return true, true
				}
			}
		}
		return false, true
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false, false
	}
	return !utf8.Valid(body) || !chatd.ValidTextIn(v), true
}
