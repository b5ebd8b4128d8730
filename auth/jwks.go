package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"chatd"
)

// ID tokens from Google and Apple are verified locally against the
// provider's published keys; the client's profile data is never trusted.

// ErrIDToken is every verification failure, as POST /api/auth/social/native answers them all alike.
var ErrIDToken = errors.New("auth: id token verification failed")

const (
	jwksDefaultTTL    = time.Hour
	jwksRefetchPause  = 60 * time.Second
	idTokenClockSkew  = 60 * time.Second
	maxIDTokenLength  = 16 << 10
	maxJWKSBodyLength = 1 << 20
)

// JWKS is a cached JSON Web Key Set. It honours Cache-Control max-age and
// refetches on an unknown kid, at most once per minute.
type JWKS struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex
	keys      jose.JSONWebKeySet
	expires   time.Time
	lastFetch time.Time
}

// NewJWKS returns a key set fetched lazily from url.
func NewJWKS(url string, client *http.Client, now func() time.Time) *JWKS {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &JWKS{url: url, client: client, now: now}
}

// Key returns the public key with this kid.
func (j *JWKS) Key(ctx context.Context, kid string) (any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	if k := j.keys.Key(kid); len(k) > 0 && now.Before(j.expires) {
		return k[0].Key, nil
	}
	if !j.lastFetch.IsZero() && now.Sub(j.lastFetch) < jwksRefetchPause {
		if k := j.keys.Key(kid); len(k) > 0 {
			return k[0].Key, nil // expired but just refetched failed: keep serving
		}
		return nil, fmt.Errorf("%w: unknown kid %q", ErrIDToken, kid)
	}
	j.lastFetch = now
	if err := j.fetch(ctx, now); err != nil {
		return nil, err
	}
	if k := j.keys.Key(kid); len(k) > 0 {
		return k[0].Key, nil
	}
	return nil, fmt.Errorf("%w: unknown kid %q", ErrIDToken, kid)
}

func (j *JWKS) fetch(ctx context.Context, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fmt.Errorf("%w: jwks request: %v", ErrIDToken, err)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: jwks fetch: %v", ErrIDToken, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBodyLength))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: jwks fetch: status %d", ErrIDToken, resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("%w: jwks decode: %v", ErrIDToken, err)
	}
	j.keys = set
	j.expires = now.Add(maxAge(resp.Header.Get("Cache-Control"), jwksDefaultTTL))
	return nil
}

// maxAge reads max-age from a Cache-Control header, else def.
func maxAge(cacheControl string, def time.Duration) time.Duration {
	for _, part := range strings.Split(cacheControl, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "max-age") {
			if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && n >= 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return def
}

// IDClaims is the identity an ID token proves.
type IDClaims struct {
	Subject       string
	Email         string // as the provider states it, verified or not
	EmailVerified bool
	Name          string
	Picture       string
}

// IDTokenVerifier checks RS256 ID tokens of one provider.
type IDTokenVerifier struct {
	keys      *JWKS
	issuers   []string
	audiences []string
	now       func() time.Time
}

// NewIDTokenVerifier accepts tokens signed by a key of keys, issued by one of
// issuers for one of audiences. An empty audience list rejects everything.
func NewIDTokenVerifier(keys *JWKS, issuers, audiences []string, now func() time.Time) *IDTokenVerifier {
	var aud []string
	for _, a := range audiences {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(aud, a) {
			aud = append(aud, a)
		}
	}
	return &IDTokenVerifier{keys: keys, issuers: issuers, audiences: aud, now: now}
}

// idTokenClaims are the claims read beyond the registered ones. email_verified
// is a boolean at Google and the string "true" at Apple.
type idTokenClaims struct {
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
	Picture       string          `json:"picture"`
}

// Verify checks signature, algorithm, kid, issuer, audience, expiry and
// subject, and returns the identity.
func (v *IDTokenVerifier) Verify(ctx context.Context, raw string) (IDClaims, error) {
	if len(v.audiences) == 0 {
		return IDClaims{}, fmt.Errorf("%w: no audience configured", ErrIDToken)
	}
	if len(raw) > maxIDTokenLength {
		return IDClaims{}, fmt.Errorf("%w: token too long", ErrIDToken)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return IDClaims{}, fmt.Errorf("%w: not an RS256 JWS with a kid", ErrIDToken)
	}
	key, err := v.keys.Key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return IDClaims{}, err
	}
	var std jwt.Claims
	var extra idTokenClaims
	if err := tok.Claims(key, &std, &extra); err != nil {
		return IDClaims{}, fmt.Errorf("%w: signature: %v", ErrIDToken, err)
	}
	if err := v.checkClaims(std); err != nil {
		return IDClaims{}, err
	}
	verified := strings.Trim(string(extra.EmailVerified), `"`) == "true"
	if !chatd.IsAssetURL(extra.Picture) { // the picture becomes the user's image: chatd's URL rule
		extra.Picture = ""
	}
	return IDClaims{Subject: std.Subject, Email: extra.Email, EmailVerified: verified && extra.Email != "",
		Name: extra.Name, Picture: extra.Picture}, nil
}

func (v *IDTokenVerifier) checkClaims(std jwt.Claims) error {
	now := v.now()
	switch {
	case !slices.Contains(v.issuers, std.Issuer):
		return fmt.Errorf("%w: issuer %q", ErrIDToken, std.Issuer)
	case !slices.ContainsFunc(std.Audience, func(a string) bool { return slices.Contains(v.audiences, a) }):
		return fmt.Errorf("%w: audience %v", ErrIDToken, []string(std.Audience))
	case std.Expiry == nil || !std.Expiry.Time().After(now.Add(-idTokenClockSkew)):
		return fmt.Errorf("%w: expired", ErrIDToken)
	case std.IssuedAt != nil && std.IssuedAt.Time().After(now.Add(idTokenClockSkew)):
		return fmt.Errorf("%w: issued in the future", ErrIDToken)
	case std.Subject == "":
		return fmt.Errorf("%w: no subject", ErrIDToken)
	}
	return nil
}
