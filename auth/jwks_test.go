package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// jwksServer serves the public halves of keys (by kid) and counts fetches.
func jwksServer(t *testing.T, maxAge string, keys map[string]*rsa.PrivateKey) (*httptest.Server, *atomic.Int32, func(map[string]*rsa.PrivateKey)) {
	t.Helper()
	var fetches atomic.Int32
	var current atomic.Value
	current.Store(keys)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		set := jose.JSONWebKeySet{}
		for kid, k := range current.Load().(map[string]*rsa.PrivateKey) {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		}
		if maxAge != "" {
			w.Header().Set("Cache-Control", "public, max-age="+maxAge)
		}
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return srv, &fetches, func(k map[string]*rsa.PrivateKey) { current.Store(k) }
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signToken(t *testing.T, key *rsa.PrivateKey, kid string, alg jose.SignatureAlgorithm, claims any) string {
	t.Helper()
	var sk any = key
	if alg == jose.HS256 {
		sk = []byte("a-shared-secret-of-at-least-32-bytes!")
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: sk}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestJWKSCache(t *testing.T) {
	t.Parallel()
	k1, k2 := rsaKey(t), rsaKey(t)
	srv, fetches, rotate := jwksServer(t, "120", map[string]*rsa.PrivateKey{"k1": k1})
	now := time.Now()
	clock := func() time.Time { return now }
	j := NewJWKS(srv.URL, nil, clock)
	ctx := context.Background()
	for range 3 {
		if _, err := j.Key(ctx, "k1"); err != nil {
			t.Fatal(err)
		}
	}
	if fetches.Load() != 1 {
		t.Fatalf("%d fetches for a cached key, want 1", fetches.Load())
	}
	// An unknown kid refetches, but at most once a minute.
	rotate(map[string]*rsa.PrivateKey{"k1": k1, "k2": k2})
	if _, err := j.Key(ctx, "k2"); err == nil {
		t.Fatal("k2 found within a minute of the last fetch")
	}
	now = now.Add(61 * time.Second)
	if _, err := j.Key(ctx, "k2"); err != nil || fetches.Load() != 2 {
		t.Fatalf("refetch on unknown kid: %v (fetches %d)", err, fetches.Load())
	}
	if _, err := j.Key(ctx, "k3"); err == nil || fetches.Load() != 2 {
		t.Fatalf("a second unknown kid within a minute must not refetch (fetches %d)", fetches.Load())
	}
	// max-age expiry refetches.
	now = now.Add(121 * time.Second)
	if _, err := j.Key(ctx, "k1"); err != nil || fetches.Load() != 3 {
		t.Fatalf("after max-age: %v (fetches %d)", err, fetches.Load())
	}
}

func TestIDTokenVerify(t *testing.T) {
	t.Parallel()
	key, other := rsaKey(t), rsaKey(t)
	srv, _, _ := jwksServer(t, "", map[string]*rsa.PrivateKey{"k1": key})
	now := time.Now()
	v := NewIDTokenVerifier(NewJWKS(srv.URL, nil, func() time.Time { return now }),
		[]string{"https://accounts.google.com", "accounts.google.com"}, []string{"", "aud-1", "aud-2"}, func() time.Time { return now })
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": "accounts.google.com", "aud": "aud-2", "sub": "s1", "email": "a@b.c",
			"email_verified": "true", "picture": "https://lh3.googleusercontent.com/a/p", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	got, err := v.Verify(context.Background(), signToken(t, key, "k1", jose.RS256, claims(nil)))
	if err != nil || got != (IDClaims{Subject: "s1", Email: "a@b.c", EmailVerified: true, Picture: "https://lh3.googleusercontent.com/a/p"}) {
		t.Fatalf("valid token: %+v %v", got, err)
	}
	got, _ = v.Verify(context.Background(), signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["picture"] = "javascript:alert(1)" })))
	if got.Picture != "" {
		t.Fatalf("picture %q kept: chatd's URL rule refuses it as a user image", got.Picture)
	}
	got, _ = v.Verify(context.Background(), signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["email_verified"] = false })))
	if got.EmailVerified {
		t.Fatal("email_verified false read as verified")
	}
	// Within the 60 s skew an expired token still passes; beyond it, not.
	if _, err := v.Verify(context.Background(), signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["exp"] = now.Add(-30 * time.Second).Unix() }))); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	for name, tok := range map[string]string{
		"other key":    signToken(t, other, "k1", jose.RS256, claims(nil)),
		"HS256":        signToken(t, key, "k1", jose.HS256, claims(nil)),
		"RS512":        signToken(t, key, "k1", jose.RS512, claims(nil)),
		"expired":      signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["exp"] = now.Add(-61 * time.Second).Unix() })),
		"no exp":       signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { delete(c, "exp") })),
		"future iat":   signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["iat"] = now.Add(2 * time.Minute).Unix() })),
		"audience":     signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["aud"] = "aud-3" })),
		"empty aud":    signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["aud"] = "" })),
		"issuer":       signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["iss"] = "https://evil.example" })),
		"no subject":   signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["sub"] = "" })),
		"unknown kid":  signToken(t, key, "k9", jose.RS256, claims(nil)),
		"not a token":  "abc.def.ghi",
		"empty string": "",
	} {
		if _, err := v.Verify(context.Background(), tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	none := NewIDTokenVerifier(NewJWKS(srv.URL, nil, time.Now), []string{"accounts.google.com"}, []string{""}, time.Now)
	if _, err := none.Verify(context.Background(), signToken(t, key, "k1", jose.RS256, claims(func(c map[string]any) { c["aud"] = "" }))); err == nil {
		t.Fatal("an empty audience set must reject everything")
	}
}
