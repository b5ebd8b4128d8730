package server

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{7}, 600)...)
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{1}, 300)...)
	gifBytes  = append([]byte("GIF89a"), bytes.Repeat([]byte{2}, 100)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{3}, 100)...)
)

// part is one multipart part; a file when filename is set.
type part struct {
	field, filename, contentType string
	data                         []byte
}

func multipartBody(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.filename))
			h.Set("Content-Type", p.contentType)
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func (e *apiEnv) upload(target string, headers map[string]string, parts ...part) *httptest.ResponseRecorder {
	e.t.Helper()
	ct, body := multipartBody(e.t, parts...)
	req := httptest.NewRequest("POST", target, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func jpegPart(data []byte) part {
	return part{field: "file", filename: "avatar.jpg", contentType: "image/jpeg", data: data}
}

func TestUploadAvatarErrors(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	strict := newAPIEnv(t, func(c *Config, _ *Deps) { c.StrictAuth = true })
	bob := "/api/upload/avatar?userId=" + seedBob
	nest := func(status int, msg string) string {
		return fmt.Sprintf(`{"message":%q,"error":%q,"statusCode":%d}`, msg, nestReason[status], status)
	}
	tests := []struct {
		name    string
		env     *apiEnv
		target  string
		headers map[string]string
		parts   []part
		status  int
		body    string
	}{
		{"another file field", e, bob, nil, []part{{field: "avatar", filename: "a.jpg", contentType: "image/jpeg", data: jpegBytes}}, 400, nest(400, "Unexpected field")},
		{"two files", e, bob, nil, []part{jpegPart(jpegBytes), jpegPart(jpegBytes)}, 400, nest(400, "Unexpected field")},
		{"declared as text", e, bob, nil, []part{{field: "file", filename: "a.txt", contentType: "text/plain", data: jpegBytes}}, 400,
			nest(400, "Only image files are allowed")},
		{"declared image, content is not", e, bob, nil, []part{{field: "file", filename: "a.png", contentType: "image/png", data: []byte("<svg onload=alert(1)>")}}, 400,
			nest(400, "Only image files are allowed")},
		{"svg is not an avatar", e, bob, nil, []part{{field: "file", filename: "a.svg", contentType: "image/svg+xml", data: []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`)}}, 400,
			nest(400, "Only image files are allowed")},
		{"one byte over the limit", e, bob, nil, []part{jpegPart(append(jpegBytes[:12:12], make([]byte, avatarMaxBytes-11)...))}, 413,
			nest(413, "File too large")},
		{"far over the limit", e, bob, nil, []part{jpegPart(append(jpegBytes[:12:12], make([]byte, 3<<20)...))}, 413, nest(413, "File too large")},
		{"too many fields", e, bob, nil, []part{{field: "a"}, {field: "b"}, {field: "c"}, {field: "d"}, {field: "e"}, {field: "f"},
			{field: "g"}, {field: "h"}, {field: "i"}, {field: "j"}, {field: "k"}}, 400, nest(400, "Too many fields")},
		{"huge field", e, bob, nil, []part{{field: "a", data: make([]byte, 70<<10)}}, 400, nest(400, "Too many fields")},
		{"no userId", e, "/api/upload/avatar", nil, []part{jpegPart(jpegBytes)}, 400, nest(400, "userId query parameter is required")},
		{"no file", e, bob, nil, []part{{field: "note", data: []byte("hi")}}, 400, nest(400, "No file uploaded")},
		{"unknown user", e, "/api/upload/avatar?userId=nobody", nil, []part{jpegPart(jpegBytes)}, 400, nest(400, "User not found")},
		{"path traversal in userId", e, "/api/upload/avatar?userId=..%2F..%2Fetc%2Fpasswd", nil, []part{jpegPart(jpegBytes)}, 400, nest(400, "User not found")},
		{"dot userId", e, "/api/upload/avatar?userId=.", nil, []part{jpegPart(jpegBytes)}, 400, nest(400, "User not found")},
		{"session of someone else", e, bob, bearer(aliceToken), []part{jpegPart(jpegBytes)}, 403, `{"message":"Forbidden","error":"Forbidden","statusCode":403}`},
		{"strict: no session", strict, bob, nil, []part{jpegPart(jpegBytes)}, 401, `{"message":"Unauthorized","statusCode":401}`},
		{"strict: someone else", strict, bob, bearer(aliceToken), []part{jpegPart(jpegBytes)}, 403, `{"message":"Forbidden","error":"Forbidden","statusCode":403}`},
		{"foreign origin with a cookie", e, bob, map[string]string{"Cookie": "x=1", "Origin": "https://evil.example"}, []part{jpegPart(jpegBytes)}, 403,
			`{"message":"Invalid origin","error":"Forbidden","statusCode":403}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.env.upload(tc.target, tc.headers, tc.parts...)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.body)
		})
	}
	// Not multipart at all.
	w := e.do(apiReq{method: "POST", target: bob, body: `{"file":"x"}`})
	if w.Code != 400 {
		t.Fatalf("JSON body: %d", w.Code)
	}
	assertJSON(t, w.Body.Bytes(), nest(400, "No file uploaded"))
	// Nothing was written by any refused upload.
	if entries, _ := os.ReadDir(filepath.Join(e.uploads, "avatars")); len(entries) != 0 {
		t.Fatalf("refused uploads left files: %v", entries)
	}
}

func TestUploadAndServeAvatar(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	bob := "/api/upload/avatar?userId=" + seedBob
	dir := filepath.Join(e.uploads, "avatars")
	for _, tc := range []struct {
		name    string
		p       part
		headers map[string]string
		ext     string
	}{
		{"jpeg", jpegPart(jpegBytes), nil, "jpg"},
		{"png replaces the jpeg", part{field: "file", filename: "a.png", contentType: "image/png", data: pngBytes}, nil, "png"},
		{"gif is stored as jpg (the original's rule)", part{field: "file", filename: "a.gif", contentType: "image/gif", data: gifBytes}, nil, "jpg"},
		{"webp declared as jpeg, sniffed as webp", part{field: "file", filename: "a.jpg", contentType: "image/jpeg", data: webpBytes}, nil, "jpg"},
		{"png declared as jpeg is stored as png", part{field: "file", filename: "a.jpg", contentType: "image/jpeg", data: pngBytes}, bearer(seedBobToken), "png"},
		{"exactly at the limit", jpegPart(append(jpegBytes[:12:12], make([]byte, avatarMaxBytes-12)...)), nil, "jpg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.headers != nil {
				e.addSession(seedBob, seedBobToken)
			}
			w := e.upload(bob, tc.headers, tc.p)
			url := "/api/uploads/avatars/" + seedBob + "." + tc.ext
			if w.Code != 201 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), `{"imageUrl":"`+url+`"}`)
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || entries[0].Name() != seedBob+"."+tc.ext {
				t.Fatalf("avatars dir: %v", entries)
			}
			info, _ := os.Stat(filepath.Join(dir, entries[0].Name()))
			if info.Mode().Perm() != 0o644 || info.Size() != int64(len(tc.p.data)) {
				t.Fatalf("file mode %v size %d", info.Mode(), info.Size())
			}
			u, err := e.db.UserByID(t.Context(), seedBob)
			if err != nil || u.Image.String != url || u.UpdatedAt.Year() < 2026 {
				t.Fatalf("user image %q updatedAt %v (%v)", u.Image.String, u.UpdatedAt, err)
			}
			// A16 serves it.
			g := e.do(apiReq{method: "GET", target: url, headers: map[string]string{"Origin": "http://localhost:3000"}})
			if g.Code != 200 || !bytes.Equal(g.Body.Bytes(), tc.p.data) {
				t.Fatalf("serve: %d, %d bytes", g.Code, g.Body.Len())
			}
			for k, v := range map[string]string{"Cache-Control": "public, max-age=0", "X-Content-Type-Options": "nosniff",
				"Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Credentials": "true"} {
				if g.Header().Get(k) != v {
					t.Fatalf("%s = %q, want %q", k, g.Header().Get(k), v)
				}
			}
			if g.Header().Get("ETag") == "" || g.Header().Get("Last-Modified") == "" {
				t.Fatal("no validators")
			}
			wantType := map[string]string{"jpg": "image/jpeg", "png": "image/png"}[tc.ext]
			if g.Header().Get("Content-Type") != wantType {
				t.Fatalf("content-type %q", g.Header().Get("Content-Type"))
			}
		})
	}
}

// addSession gives userID a live session with token.
func (e *apiEnv) addSession(userID, token string) {
	e.t.Helper()
	if _, err := e.db.SessionByToken(e.t.Context(), token); err == nil {
		return
	}
	if _, err := e.db.SQL().Exec(`INSERT INTO "session" ("id","userId","token","expiresAt","createdAt","updatedAt")
		VALUES ($1, $2, $3, '2099-01-01', now(), now())`, "s-"+token, userID, token); err != nil {
		e.t.Fatal(err)
	}
}

func TestServeUploads(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	avatars := filepath.Join(e.uploads, "avatars")
	os.MkdirAll(avatars, 0o755)
	os.WriteFile(filepath.Join(avatars, "a.png"), pngBytes, 0o644)
	os.WriteFile(filepath.Join(e.uploads, ".env"), []byte("SECRET=1"), 0o644)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644)
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(avatars, "link.png")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(avatars, "page.unknownext"), []byte("<html><script>alert(1)</script>"), 0o644)
	if w := e.do(apiReq{method: "GET", target: "/api/uploads/avatars/page.unknownext"}); w.Code != 200 ||
		w.Header().Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("unknown extension: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	ok := e.do(apiReq{method: "GET", target: "/api/uploads/avatars/a.png"})
	if ok.Code != 200 || ok.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("GET: %d %v", ok.Code, ok.Header())
	}
	head := e.do(apiReq{method: "HEAD", target: "/api/uploads/avatars/a.png"})
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != fmt.Sprint(len(pngBytes)) {
		t.Fatalf("HEAD: %d %d %v", head.Code, head.Body.Len(), head.Header())
	}
	cached := e.do(apiReq{method: "GET", target: "/api/uploads/avatars/a.png", headers: map[string]string{"If-None-Match": ok.Header().Get("ETag")}})
	if cached.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", cached.Code)
	}
	for _, target := range []string{
		"/api/uploads/avatars/missing.png",
		"/api/uploads/avatars",
		"/api/uploads/avatars/",
		"/api/uploads/",
		"/api/uploads/../../etc/passwd",
		"/api/uploads/%2e%2e/%2e%2e/etc/passwd",
		"/api/uploads/avatars/..%2F..%2Fsecret.txt",
		"/api/uploads//etc/passwd",
		"/api/uploads/.env",
		"/api/uploads/avatars/link.png",
		"/api/uploads/avatars\\..\\..\\x",
	} {
		t.Run(target, func(t *testing.T) {
			w := e.do(apiReq{method: "GET", target: target})
			if w.Code != 404 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), `{"message":"Cannot GET `+strings.ReplaceAll(target, `\`, `\\`)+`","error":"Not Found","statusCode":404}`)
		})
	}
}

func TestConcurrentAvatarUploads(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	bob := "/api/upload/avatar?userId=" + seedBob
	var wg sync.WaitGroup
	codes := make([]int, 12)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := jpegPart(jpegBytes)
			if i%2 == 1 {
				p = part{field: "file", filename: "a.png", contentType: "image/png", data: pngBytes}
			}
			ct, body := multipartBody(t, p)
			req := httptest.NewRequest("POST", bob, bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			codes[i] = w.Code
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != 201 {
			t.Fatalf("upload %d: %d", i, code)
		}
	}
	// Exactly one avatar is left, and it is the one user.image names.
	entries, _ := os.ReadDir(filepath.Join(e.uploads, "avatars"))
	u, err := e.db.UserByID(t.Context(), seedBob)
	if err != nil || len(entries) != 1 || u.Image.String != "/api/uploads/avatars/"+entries[0].Name() {
		t.Fatalf("files %v, user.image %q (%v)", entries, u.Image.String, err)
	}
	if len(e.srv.avatars.held) != 0 {
		t.Fatalf("locks left behind: %v", e.srv.avatars.held)
	}
}

func TestKeyedLocks(t *testing.T) {
	t.Parallel()
	var k keyedLocks
	unlockA := k.lock("a")
	unlockB := k.lock("b") // another key does not wait
	acquired, released := make(chan struct{}), make(chan struct{})
	go func() {
		unlock := k.lock("a")
		close(acquired)
		unlock()
		close(released)
	}()
	select {
	case <-acquired:
		t.Fatal("the same key was locked twice")
	case <-time.After(50 * time.Millisecond):
	}
	unlockA()
	<-acquired
	<-released // the entry goes with the last unlock, which may come after acquired
	unlockB()
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.held) != 0 {
		t.Fatalf("entries left: %v", k.held)
	}
}
