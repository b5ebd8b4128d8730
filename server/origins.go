package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"chatd/auth"
)

// Origins is the one CORS allow-list shared by every route and the
// Socket.IO handshake, plus the trusted proxies that decide a request's own
// origin and client IP.
type Origins struct {
	allowed  []string
	proxies  []netip.Prefix
	wildcard bool // a "*" entry was dropped (logged once at start)
}

// NewOrigins validates the allow-list and the proxy list. A "*" entry is
// dropped: a credentialed wildcard is never emitted (docs/http-routes.md, "CORS").
func NewOrigins(allowed, trustedProxies []string) (*Origins, error) {
	o := &Origins{}
	for _, a := range allowed {
		a = strings.TrimRight(strings.TrimSpace(a), "/")
		if a == "*" {
			o.wildcard = true
		}
		if a == "" || a == "*" {
			continue
		}
		if !slices.Contains(o.allowed, a) {
			o.allowed = append(o.allowed, a)
		}
	}
	for _, p := range trustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("server: TRUSTED_PROXIES: %w", err)
		}
		o.proxies = append(o.proxies, prefix)
	}
	return o, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()), nil
}

// Allowed reports whether origin may make credentialed requests: it is on
// the list, or it is the request's own origin.
func (o *Origins) Allowed(r *http.Request, origin string) bool {
	origin = strings.TrimRight(origin, "/")
	return origin != "" && (slices.Contains(o.allowed, origin) || origin == o.OwnOrigin(r))
}

// List returns the allow-list (for logging at start).
func (o *Origins) List() []string { return slices.Clone(o.allowed) }

// OwnOrigin is <scheme>://<Host>: https on TLS or when a trusted proxy says so.
func (o *Origins) OwnOrigin(r *http.Request) string {
	scheme := "http"
	// A chain of proxies may append ("https, http"): the first hop saw the client.
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if r.TLS != nil || (o.trustedPeer(r) && strings.EqualFold(strings.TrimSpace(proto), "https")) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// peer is the TCP remote address, IPv4-mapped addresses made plain.
func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, _ := netip.ParseAddr(host)
	return addr.Unmap()
}

func (o *Origins) trusted(addr netip.Addr) bool {
	for _, p := range o.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func (o *Origins) trustedPeer(r *http.Request) bool { return o.trusted(peer(r)) }

// ClientIP is the address of the real client: X-Forwarded-For walked from the
// right past trusted proxies, or X-Real-IP, but only when the peer itself is
// a trusted proxy; otherwise the peer. Forged headers from others are ignored.
func (o *Origins) ClientIP(r *http.Request) string {
	p := peer(r)
	if !o.trusted(p) {
		return p.String()
	}
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		parts := strings.Split(xff, ",")
		for i := len(parts) - 1; i >= 0; i-- {
			addr, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
			if err == nil && !o.trusted(addr.Unmap()) {
				return addr.Unmap().String()
			}
		}
		if addr, err := netip.ParseAddr(strings.TrimSpace(parts[0])); err == nil {
			return addr.Unmap().String()
		}
	}
	if addr, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
		return addr.Unmap().String()
	}
	return p.String()
}

// DefaultOrigins is the allow-list when CORS_ORIGINS is unset: the origins
// of BETTER_AUTH_URL and NEXT_PUBLIC_SERVER_URL with their 3000/3001 twins,
// the extra ones in trusted (BETTER_AUTH_TRUSTED_ORIGINS, NATIVE_ORIGINS),
// and the native apps' origins (auth.DefaultNativeOrigins: capacitor://,
// http:// and https://localhost).
func DefaultOrigins(betterAuthURL, publicServerURL string, trusted []string) []string {
	var out []string
	for _, u := range []string{betterAuthURL, publicServerURL} {
		origin := originOf(u)
		if origin == "" {
			continue
		}
		out = append(out, origin)
		switch {
		case strings.HasSuffix(origin, ":3000"):
			out = append(out, strings.TrimSuffix(origin, ":3000")+":3001")
		case strings.HasSuffix(origin, ":3001"):
			out = append(out, strings.TrimSuffix(origin, ":3001")+":3000")
		}
	}
	out = append(out, trusted...)
	out = append(out, auth.DefaultNativeOrigins...)
	var dedup []string
	for _, o := range out {
		if o = strings.TrimRight(o, "/"); !slices.Contains(dedup, o) {
			dedup = append(dedup, o)
		}
	}
	return dedup
}

// originOf returns scheme://host[:port] of an absolute URL, or "".
func originOf(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return ""
	}
	rest := raw[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return raw[:i+3] + rest
}
