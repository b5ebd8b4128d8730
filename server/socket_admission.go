package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// SocketLimits bound what one client may open on /socket.io/ (issue #10):
// a token bucket of Engine.IO handshakes and a cap on its sessions open at
// once. The client is the address ClientIP derives (TRUSTED_PROXIES apply
// as for HTTP); an IPv6 client is its /64, the block one subscriber gets.
type SocketLimits struct {
	Rate         float64  // handshakes per second, sustained; 0 = no rate limit
	Burst        int      // handshakes at once from a full bucket
	MaxPerClient int      // sessions open at once; 0 = no cap
	Exempt       []string // IPs or CIDRs of clients never limited (the host itself, a local proxy)
	// MaxClients bounds the clients tracked at once, so a flood of
	// addresses cannot grow the limiter; 0 = DefaultMaxSocketClients.
	MaxClients int
}

// DefaultMaxSocketClients is the default SocketLimits.MaxClients: far more
// distinct clients than one process holds sockets for, at about 150 bytes each.
const DefaultMaxSocketClients = 100_000

// The reasons a handshake is refused, as the metric labels them.
const (
	RefusedRate    = "rate"    // the client's handshake bucket is empty
	RefusedCap     = "cap"     // the client has MaxPerClient sessions open
	RefusedClients = "clients" // MaxClients other clients all have sessions open
)

// The errors Admit refuses with (the engine answers each with HTTP 429).
var (
	ErrSocketRate    = errors.New("server: socket handshake rate exceeded")
	ErrSocketCap     = errors.New("server: too many sockets from one client")
	ErrSocketClients = errors.New("server: too many clients tracked")
)

const (
	// idleSweepEvery is how often clients whose bucket is full again and
	// who hold no session are forgotten: forgetting them changes nothing.
	idleSweepEvery = time.Minute
	// evictSample is how many clients a full table looks at for one to
	// forget: if that many all hold sessions, the table is full of live
	// clients and the new one is refused.
	evictSample = 64
	// warnEvery spaces the log lines about one refused client.
	warnEvery = time.Minute
)

// SocketAdmission applies SocketLimits to Engine.IO sessions: it is the
// engine's Admission hook (socketio/engineio): Admit at every handshake, and
// the release it returns when an admitted session ends, by whatever path.
type SocketAdmission struct {
	limits   SocketLimits
	exempt   []netip.Prefix
	clientIP func(*http.Request) string
	now      func() time.Time
	log      *slog.Logger

	mu        sync.Mutex
	clients   map[netip.Prefix]*socketClient
	idleSwept time.Time
	// tableWarned is when a client refused for a full table was last logged.
	tableWarned time.Time

	open    atomic.Int64 // sessions counted against a client
	refused [3]atomic.Int64
}

// socketClient is one client's bucket and open sessions.
type socketClient struct {
	bucket *rate.Limiter // nil without a rate limit
	open   int
	warned time.Time
}

// NewSocketAdmission returns the limiter; clientIP is Origins.ClientIP, so
// sockets and HTTP agree on who the client is.
func NewSocketAdmission(limits SocketLimits, clientIP func(*http.Request) string, now func() time.Time, logger *slog.Logger) (*SocketAdmission, error) {
	if limits.MaxClients <= 0 {
		limits.MaxClients = DefaultMaxSocketClients
	}
	if limits.Rate > 0 && limits.Burst < 1 {
		return nil, fmt.Errorf("server: socket handshake burst must be at least 1, got %d", limits.Burst)
	}
	a := &SocketAdmission{limits: limits, clientIP: clientIP, now: now, log: logger,
		clients: map[netip.Prefix]*socketClient{}}
	for _, e := range limits.Exempt {
		p, err := parsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("server: socket limit exemption %q: %w", e, err)
		}
		a.exempt = append(a.exempt, p.Masked())
	}
	return a, nil
}

// Admit counts a handshake against its client, or refuses it. release
// gives the count back when the session ends; it is nil when nothing was
// counted (no limits, an exempt client).
func (a *SocketAdmission) Admit(r *http.Request) (release func(), err error) {
	if a.limits.Rate <= 0 && a.limits.MaxPerClient <= 0 {
		return nil, nil
	}
	key, ok := a.key(r)
	if !ok {
		return nil, nil
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.clients[key]
	if c == nil {
		if !a.makeRoom(now) {
			return nil, a.refuse(nil, key, RefusedClients, now)
		}
		c = &socketClient{}
		if a.limits.Rate > 0 {
			c.bucket = rate.NewLimiter(rate.Limit(a.limits.Rate), a.limits.Burst)
		}
		a.clients[key] = c
	}
	// The cap is checked first: a refused handshake spends no token.
	if a.limits.MaxPerClient > 0 && c.open >= a.limits.MaxPerClient {
		return nil, a.refuse(c, key, RefusedCap, now)
	}
	if c.bucket != nil && !c.bucket.AllowN(now, 1) {
		return nil, a.refuse(c, key, RefusedRate, now)
	}
	c.open++
	a.open.Add(1)
	return func() { a.release(key) }, nil
}

// release gives back a session Admit counted for key.
func (a *SocketAdmission) release(key netip.Prefix) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.clients[key]; c != nil && c.open > 0 {
		c.open--
		a.open.Add(-1)
	}
}

// key is the client's limiter key; false for an exempt client, or one
// whose address is not IP (a Unix socket peer is local, as loopback is).
func (a *SocketAdmission) key(r *http.Request) (netip.Prefix, bool) {
	addr, err := netip.ParseAddr(a.clientIP(r))
	if err != nil {
		return netip.Prefix{}, false
	}
	addr = addr.Unmap()
	for _, p := range a.exempt {
		if p.Contains(addr) {
			return netip.Prefix{}, false
		}
	}
	if addr.Is4() {
		return netip.PrefixFrom(addr, 32), true
	}
	return netip.PrefixFrom(addr, 64).Masked(), true
}

// makeRoom reports whether a new client fits. Clients holding no session
// with a full bucket are forgotten every idleSweepEvery; when the table is
// full, one client holding no session is (its bucket starts full again:
// the price of a bounded table), found among a few sampled at random so a
// flood of new addresses costs each handshake little. Clients with open
// sessions stay, so a release always finds its count.
func (a *SocketAdmission) makeRoom(now time.Time) bool {
	if now.Sub(a.idleSwept) >= idleSweepEvery {
		a.idleSwept = now
		for k, c := range a.clients {
			if c.open == 0 && (c.bucket == nil || c.bucket.TokensAt(now) >= float64(a.limits.Burst)) {
				delete(a.clients, k)
			}
		}
	}
	if len(a.clients) < a.limits.MaxClients {
		return true
	}
	sampled := 0
	for k, c := range a.clients { // map iteration starts at a random entry
		if c.open == 0 {
			delete(a.clients, k)
			return true
		}
		if sampled++; sampled == evictSample {
			break
		}
	}
	return false
}

// refuse counts a refusal and logs it at most once per client and minute
// (and once a minute for all the clients a full table refuses).
func (a *SocketAdmission) refuse(c *socketClient, key netip.Prefix, reason string, now time.Time) error {
	i, err := refusal(reason)
	a.refused[i].Add(1)
	warned := &a.tableWarned // a client not in the table shares one
	if c != nil {
		warned = &c.warned
	}
	if now.Sub(*warned) >= warnEvery {
		*warned = now
		a.log.Warn("socket handshakes refused", slog.String("client", clientString(key)), slog.String("reason", reason))
	}
	return err
}

func refusal(reason string) (int, error) {
	switch reason {
	case RefusedRate:
		return 0, ErrSocketRate
	case RefusedCap:
		return 1, ErrSocketCap
	default:
		return 2, ErrSocketClients
	}
}

// clientString is an IPv4 address as itself and an IPv6 client as its /64.
func clientString(key netip.Prefix) string {
	if key.Addr().Is4() {
		return key.Addr().String()
	}
	return key.String()
}

// Refused is how many handshakes were refused for reason since start.
func (a *SocketAdmission) Refused(reason string) int64 {
	i, _ := refusal(reason)
	return a.refused[i].Load()
}

// Open is how many sessions are counted against their clients now (exempt
// clients' sessions are not counted).
func (a *SocketAdmission) Open() int64 { return a.open.Load() }

// Clients is how many clients the limiter remembers now.
func (a *SocketAdmission) Clients() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.clients)
}
