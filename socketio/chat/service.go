package chat

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"chatd"
	"chatd/auth"
	"chatd/store"
)

// Defaults of Config.
const (
	DefaultPresenceWindow     = 100 * time.Millisecond
	DefaultMessageInterval    = 500 * time.Millisecond
	DefaultHeartbeatInterval  = 5 * time.Second
	DefaultGuestSweepInterval = time.Hour

	// eventTimeout bounds the work of one client event.
	eventTimeout = 15 * time.Second
)

// Config tunes the rules. Zero values take the defaults above.
type Config struct {
	PresenceWindow time.Duration // coalescing window of presenceUpdate per tenant
	// LargeTenant is the number of online users above which a tenant's
	// presence follows the storm-proof schedule (presence_schedule.go).
	LargeTenant     int
	MessageInterval time.Duration // per-socket rate limit of sendMessage
	// HeartbeatInterval is how often the presence store is told this process
	// is alive (and sweeps entries of processes that died).
	HeartbeatInterval time.Duration
	// RedisURL and RedisPrefix (REDIS_URL, REDIS_PREFIX), when set and
	// Deps.SessionBus is nil, carry ended sessions between processes over
	// a pub/sub channel of the rules' own (sessions.go).
	RedisURL    string
	RedisPrefix string
	// SessionRecheck is the longest a socket goes without its session being
	// looked up again, so a session deleted outside chatd's routes ends its
	// sockets too; 0 looks a session up only at its expiry (sessions.go).
	SessionRecheck time.Duration
	// NativeIDFallback is NATIVE_ID_FALLBACK=member: a handshake from a
	// native app's origin that presents a registered user's id and no
	// credential is bound to that user with an ordinary member's rights.
	// False refuses it ("authentication required"), as for any other origin.
	NativeIDFallback bool
	// NativeOrigins are NATIVE_ORIGINS, the native apps' origins beyond
	// auth.DefaultNativeOrigins.
	NativeOrigins []string
	// TenantCacheTTL bounds how long a cached tenant or room list is used
	// without an invalidation (tenants.go).
	TenantCacheTTL time.Duration
	// GuestIDKey signs the ids of new guests, so that a guest is recognised
	// before its user row exists (guests.go). Every process of a deployment
	// needs the same key; empty means a random key of this process.
	GuestIDKey []byte
	// GuestSweepAge is the age past which guests that never joined nor
	// wrote anything are deleted; 0 turns the sweep off.
	GuestSweepAge      time.Duration
	GuestSweepInterval time.Duration
	Messages           WriterConfig // group commit of sendMessage (message_writer.go)
}

func (c Config) withDefaults() Config {
	if c.PresenceWindow <= 0 {
		c.PresenceWindow = DefaultPresenceWindow
	}
	if c.LargeTenant <= 0 {
		c.LargeTenant = DefaultLargeTenant
	}
	if c.MessageInterval <= 0 {
		c.MessageInterval = DefaultMessageInterval
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.TenantCacheTTL <= 0 {
		c.TenantCacheTTL = DefaultTenantCacheTTL
	}
	if c.GuestSweepInterval <= 0 {
		c.GuestSweepInterval = DefaultGuestSweepInterval
	}
	c.Messages = c.Messages.withDefaults()
	return c
}

// Store is what the rules read and write. It is declared here, with only the
// methods the rules use, so that tests and the rules agree on a small
// surface; *store.DB satisfies it.
type Store interface {
	TenantBySlug(ctx context.Context, slug string) (store.Tenant, error)
	TenantByID(ctx context.Context, id string) (store.Tenant, error)
	RoomsByTenant(ctx context.Context, tenantID string) ([]store.Room, error)
	UserByID(ctx context.Context, id string) (store.User, error)
	UserWithBlocked(ctx context.Context, id string) (store.User, []string, error)
	SaveGuest(ctx context.Context, g store.Guest) error
	SaveProfile(ctx context.Context, id string, p store.UserProfile) error
	SweepGuests(ctx context.Context, createdBefore time.Time, limit int) (int, error)
	ConnectState(ctx context.Context, userID string) (rooms, blocked []string, err error)
	TenantGrant(ctx context.Context, userID, tenantID string) (chatd.Grant, error)
	SessionConnect(ctx context.Context, token string) (store.SessionUser, store.ConnectInfo, error)
	CreateMessages(ctx context.Context, msgs []store.Message) []error
	DeleteMessage(ctx context.Context, tenantID, id string) (bool, error)
	BlockUser(ctx context.Context, userID, blockedID string) error
	UnblockUser(ctx context.Context, userID, blockedID string) error
	BlockedIDs(ctx context.Context, userID string) ([]string, error)
	BlockedEitherWay(ctx context.Context, a, b string) (bool, error)
	CreateReport(ctx context.Context, r store.Report) (store.Report, error)
	HideConversation(ctx context.Context, userID, peerID, tenantID string) error
}

// SessionResolver turns a handshake token into a live session;
// *auth.Resolver satisfies it. It returns an error whose chatd code is
// EUNAUTHORIZED when no live session matches.
type SessionResolver interface {
	Resolve(ctx context.Context, candidates ...string) (store.SessionUser, error)
}

// connectResolver is a SessionResolver that can look a token up with
// another query (*auth.Resolver): the handshake reads the session, its
// user, staff rooms and blocks in one round trip (Store.SessionConnect).
type connectResolver interface {
	ResolveWith(ctx context.Context, lookup func(ctx context.Context, token string) (store.SessionUser, error),
		candidates ...string) (store.SessionUser, error)
}

// Deps are the rules' collaborators.
type Deps struct {
	Store    Store
	Sessions SessionResolver
	Hub      Hub
	Presence PresenceStore // nil: in-memory, for a single process
	Notices  Notices       // nil: a single process, nobody to tell
	Logger   *slog.Logger
	Clock    Clock // nil: RealClock

	// SessionBus tells the other processes which sessions ended; nil: built
	// from Config.RedisURL, or this process only.
	SessionBus SessionBus
}

// Service is the chat rules for every socket of this process.
type Service struct {
	cfg      Config
	store    Store
	sessions SessionResolver
	hub      Hub
	presence PresenceStore
	notices  Notices
	log      *slog.Logger
	now      func() time.Time
	handlers map[string]func(context.Context, *socketState, any)
	native   auth.NativeOrigins
	// nativeFallbacks counts the sockets NATIVE_ID_FALLBACK bound.
	nativeFallbacks atomic.Int64

	bound *sessionSockets // sockets by the session they authenticated with (sessions.go)

	tenants  *tenantCache
	schedule *presenceSchedule
	guests   guestIDs
	messages *messageWriter

	mu       sync.Mutex
	sockets  map[string]*socketState
	lastJoin int64 // unix nanos of the latest join, kept strictly increasing

	stop    chan struct{}
	stopCtx context.Context // ends when Close begins
	stopped context.CancelFunc
	done    sync.WaitGroup
	closeMu sync.Once
}

// NewService returns the rules, running the presence heartbeat (and, as
// configured, the cluster notices and the guest sweep) until Close.
func NewService(cfg Config, deps Deps) *Service {
	s := &Service{
		cfg: cfg.withDefaults(), store: deps.Store, sessions: deps.Sessions, hub: deps.Hub,
		presence: deps.Presence, log: deps.Logger,
		notices: deps.Notices, native: auth.NewNativeOrigins(cfg.NativeOrigins),
		sockets: map[string]*socketState{}, stop: make(chan struct{}),
	}
	if s.presence == nil {
		s.presence = NewMemoryPresence()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if deps.Clock == nil {
		deps.Clock = RealClock{}
	}
	s.now = deps.Clock.Now
	if s.hub == nil {
		s.hub = noHub{}
	}
	s.bound = newSessionSockets(s, cfg, deps)
	s.handlers = map[string]func(context.Context, *socketState, any){
		"join":             s.join,
		"sendMessage":      s.sendMessage,
		"deleteMessage":    s.deleteMessage,
		"blockUser":        s.blockUser,
		"unblockUser":      s.unblockUser,
		"reportUser":       s.reportUser,
		"hideConversation": s.hideConversation,
	}
	s.tenants = newTenantCache(deps.Store, s.cfg.TenantCacheTTL, s.now)
	s.schedule = newPresenceSchedule(s.cfg.PresenceWindow, s.cfg.LargeTenant, deps.Clock, s.flushPresence)
	s.guests = newGuestIDs(s.cfg.GuestIDKey)
	s.messages = newMessageWriter(s.cfg.Messages, deps.Store, s.log)
	s.stopCtx, s.stopped = context.WithCancel(context.Background())
	s.loop(func() { s.every(s.cfg.HeartbeatInterval, s.heartbeat) })
	if s.notices != nil {
		s.loop(func() { s.notices.Listen(s.stopCtx, s.onNotice, s.resync) })
	}
	if s.cfg.GuestSweepAge > 0 && deps.Store != nil {
		// The first sweep comes one interval after start.
		s.loop(func() { s.every(s.cfg.GuestSweepInterval, s.sweepGuests) })
	}
	return s
}

func (s *Service) loop(f func()) {
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		f()
	}()
}

// Events lists the client → server events the rules handle; the transport
// ignores every other event.
func (s *Service) Events() []string {
	return []string{"join", "sendMessage", "deleteMessage", "blockUser", "unblockUser", "reportUser", "hideConversation"}
}

// Handle runs one client event. Events of one socket run one at a time, in
// arrival order. A panic is logged and swallowed: one bad payload must not
// take the process (and every other user's socket) down.
func (s *Service) Handle(ctx context.Context, c Conn, event string, args []any) {
	h, ok := s.handlers[event]
	if !ok {
		return
	}
	sock := s.socket(c.ID())
	if sock == nil {
		return
	}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	// A hung database must not hold the socket's events forever.
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("chat handler panic", slog.String("event", event), slog.String("socket_id", c.ID()),
				slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(debug.Stack())))
		}
	}()
	if sock.gone {
		return
	}
	if !sock.budget.take(s.now()) {
		s.log.Debug("socket event dropped: too many", slog.String("event", event), slog.String("socket_id", c.ID()))
		return
	}
	if !chatd.ValidTextIn(args) { // chatd's text rule (text.go), for every event at once
		s.log.Debug("socket event refused: invalid text", slog.String("event", event), slog.String("socket_id", c.ID()))
		emitError(c, chatd.ErrInvalidText)
		return
	}
	var payload any
	if len(args) > 0 {
		payload = args[0]
	}
	h(ctx, sock, payload)
}

// Close stops the presence timers, the loops and the message writer,
// sending the presence updates that were still due. Sockets still connected
// keep their presence entries until they disconnect (in a shared store:
// until the process's heartbeat key is gone, which Close also removes when
// the store supports it).
func (s *Service) Close() {
	s.closeMu.Do(func() {
		s.bound.close()
		close(s.stop)
		s.stopped()
		s.done.Wait()
		due := s.schedule.close()
		for tenantID, slug := range due {
			s.flushPresence(presenceFlush{tenantID: tenantID, slug: slug}) // no window to respect any more
		}
		s.messages.close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// A shared store learns at once that this process's entries are gone.
		if c, ok := s.presence.(interface{ Close(context.Context) error }); ok {
			if err := c.Close(ctx); err != nil {
				s.log.Warn("presence close failed", slog.String("error", err.Error()))
			}
		}
	})
}

func (s *Service) socket(id string) *socketState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sockets[id]
}

// joinStamp orders joins: the newest join of a user is the one presence
// shows. It comes from the injected clock but never repeats, so two joins
// in the same clock tick still have an order.
func (s *Service) joinStamp() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	stamp := s.now().UnixNano()
	if stamp <= s.lastJoin {
		stamp = s.lastJoin + 1
	}
	s.lastJoin = stamp
	return stamp
}

// emitError sends err as the "error" event to one socket, with its
// client-safe message (chatd's errors.go and access.go hold the texts).
func emitError(c Conn, err error) {
	c.Emit("error", map[string]any{"message": chatd.ErrorMessage(err)})
}

// noHub is the Hub of a Service built without one (HTTP-only tests): every
// broadcast goes nowhere.
type noHub struct{}

func (noHub) Emit(string, string, any)                   {}
func (noHub) EmitLocalState(string, string, string, any) {}

// Every socket may send eventBurst events at once and eventRate per second
// after that; the rest are dropped. Honest clients send a few events a
// minute; this only bounds the database work one socket can cause.
const (
	eventBurst = 100
	eventRate  = 20
)

// eventBudget is a token bucket of client events, made at the first one.
// The caller holds the socket's mu.
type eventBudget struct{ lim *rate.Limiter }

func (b *eventBudget) take(now time.Time) bool {
	if b.lim == nil {
		b.lim = rate.NewLimiter(eventRate, eventBurst)
	}
	return b.lim.AllowN(now, 1)
}
