package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// counters are what every client adds to; the sampler reads them.
type counters struct {
	connected  atomic.Int64 // websocket open now
	joined     atomic.Int64 // joined now (blockedUsers received, not yet dropped)
	sent       atomic.Int64 // sendMessage packets written
	received   atomic.Int64 // newMessage events read
	reconnects atomic.Int64 // drops the soak made
	failures   atomic.Int64 // connects or joins that failed
}

// client is one anonymous chat user: it connects over websocket as the
// apps do (query tenantSlug, userId, userAlias; CONNECT with no token),
// joins its tenant once the server bound its id, answers pings, and
// reconnects as the same guest after a drop.
type client struct {
	cfg    *config
	stats  *counters
	slug   string
	alias  string
	userID string // the bound id, kept across reconnects (userConfirmed)

	mu       sync.Mutex
	conn     net.Conn // nil while disconnected
	joined   bool
	tenantID string
}

// run keeps the client connected until ctx ends.
func (c *client) run(ctx context.Context, ready chan<- bool) {
	first := true
	for ctx.Err() == nil {
		err := c.session(ctx, func() {
			if first {
				first = false
				ready <- true
			}
		})
		if first {
			first = false
			ready <- false
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, errDropped) {
			if n := c.stats.failures.Add(1); n <= 20 { // the first few say why
				fmt.Fprintf(os.Stderr, "# %s %s: %v\n", time.Now().Format("15:04:05"), c.alias, err)
			}
		}
		// As socket.io-client: the first retry after 0.5–1.5 s.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(500+rand.IntN(1000)) * time.Millisecond):
		}
	}
}

var errDropped = errors.New("dropped by the soak")

// session is one connection: connect, join, then read until it ends.
func (c *client) session(ctx context.Context, onJoined func()) error {
	q := url.Values{"EIO": {"4"}, "transport": {"websocket"}, "tenantSlug": {c.slug}, "userAlias": {c.alias}}
	if c.userID != "" {
		q.Set("userId", c.userID)
	} else {
		q.Set("userId", newUUID())
	}
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Origin": {c.cfg.origin}}), Timeout: 20 * time.Second}
	conn, br, _, err := d.Dial(ctx, c.cfg.wsURL+"/socket.io/?"+q.Encode())
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	rw := struct {
		io.Reader
		io.Writer
	}{r, conn}
	c.stats.connected.Add(1)
	defer c.stats.connected.Add(-1)
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	defer c.leave()
	for {
		// The server pings every 5 s: a silent minute is a dead connection.
		_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
		msg, err := wsutil.ReadServerText(rw)
		if err != nil {
			if c.wasDropped() {
				return errDropped
			}
			return err
		}
		if err := c.handle(msg, onJoined); err != nil {
			return err
		}
	}
}

// handle answers one Engine.IO / Socket.IO packet.
func (c *client) handle(msg []byte, onJoined func()) error {
	switch {
	case len(msg) == 0:
		return nil
	case len(msg) == 1 && msg[0] == '2': // ping
		return c.write("3")
	case msg[0] == '0': // open
		return c.write("40{}")
	case bytes.HasPrefix(msg, []byte("44")):
		return fmt.Errorf("connect refused: %s", msg)
	case bytes.HasPrefix(msg, []byte(`42["userCreated"`)), bytes.HasPrefix(msg, []byte(`42["userConfirmed"`)):
		var ev []json.RawMessage
		var who struct {
			ID       string `json:"id"`
			TenantID string `json:"tenantId"`
		}
		if json.Unmarshal(msg[2:], &ev) != nil || len(ev) < 2 || json.Unmarshal(ev[1], &who) != nil || who.ID == "" {
			return fmt.Errorf("bad %s", msg)
		}
		c.mu.Lock()
		c.userID, c.tenantID = who.ID, who.TenantID
		c.mu.Unlock()
		join, _ := json.Marshal([]any{"join", map[string]any{
			"user":       map[string]string{"id": who.ID, "alias": c.alias, "gender": "other"},
			"tenantSlug": c.slug}})
		return c.write("42" + string(join))
	case bytes.HasPrefix(msg, []byte(`42["blockedUsers"`)):
		c.mu.Lock()
		was := c.joined
		c.joined = true
		c.mu.Unlock()
		if !was {
			c.stats.joined.Add(1)
			onJoined()
		}
	case bytes.HasPrefix(msg, []byte(`42["newMessage"`)):
		c.stats.received.Add(1)
	}
	return nil
}

func (c *client) write(packet string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return net.ErrClosed
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return wsutil.WriteClientText(c.conn, []byte(packet))
}

// send writes one chat message to the tenant, if the client is joined.
func (c *client) send(seq int64) bool {
	c.mu.Lock()
	ok, id, tenant := c.joined, c.userID, c.tenantID
	c.mu.Unlock()
	if !ok {
		return false
	}
	m, _ := json.Marshal([]any{"sendMessage", map[string]any{
		"id": newUUID(), "text": fmt.Sprintf("soak message %d", seq), "senderId": id, "senderAlias": c.alias,
		"senderGender": "other", "tenantId": tenant, "tenantSlug": c.slug,
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}})
	if c.write("42"+string(m)) != nil {
		return false
	}
	c.stats.sent.Add(1)
	return true
}

// drop closes the connection as a phone losing its network would (no
// close packet); run reconnects.
func (c *client) drop() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil || !c.joined {
		return false
	}
	c.joined = false
	c.stats.joined.Add(-1)
	c.stats.reconnects.Add(1)
	_ = c.conn.Close()
	c.conn = nil
	return true
}

func (c *client) wasDropped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn == nil
}

// leave forgets the connection when a session ends on its own.
func (c *client) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joined {
		c.joined = false
		c.stats.joined.Add(-1)
	}
	c.conn = nil
}

func newUUID() string {
	var b [16]byte
	_, _ = cryptoRead(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var cryptoRead = crand.Read
