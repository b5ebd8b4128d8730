package socketio

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatd/socketio/chat"
	"chatd/socketio/sio"
)

// TestSlowConsumersAreDropped floods a room with large messages while
// clients that stop reading (websocket) or never poll (while answering
// heartbeats blindly) sit in it: they are dropped and counted, every honest
// client gets every message, and the heap stays under a bound that does not
// grow with the flood: the baseline, plus each slow client's queue bound
// (frames are shared, so this overstates it), plus 32 MB of slack for
// frames in flight and the race detector.
func TestSlowConsumersAreDropped(t *testing.T) {
	const (
		queueBound = 4 << 20
		msgSize    = 100 << 10
		messages   = 300 // 30 MB to every client
		slowWS     = 5
		slowPoll   = 5
		honest     = 3
	)
	g, srv := newTestGatewayWith(t, Config{
		PingInterval: 200 * time.Millisecond, PingTimeout: time.Second,
		MaxQueueBytes: queueBound, WriteTimeout: 2 * time.Second,
		Chat: chat.Config{HeartbeatInterval: time.Hour},
	}, nil)
	var honestClients []*rawClient
	for range honest {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		c.connect(map[string]any{"token": "alice-session-token-0001"})
		honestClients = append(honestClients, c)
	}
	for range slowWS {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		c.connect(map[string]any{"token": "alice-session-token-0001"})
		go blindPongs(t.Context(), func() error { return c.ws.Send("3") })
	}
	for range slowPoll {
		session := openPolling(t, srv)
		go blindPongs(t.Context(), func() error { return post(session, "3") })
	}
	waitFor(t, func() bool { return g.Connections() == honest+slowWS+slowPoll }, "every client connected")
	g.nsp.AddSocketsLocal(sio.BroadcastOptions{}, []string{"flood"})

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stopSampling := sampleHeap(&peak)

	received := make([]int, honest)
	var wg sync.WaitGroup
	for i, c := range honestClients {
		wg.Go(func() {
			for received[i] < messages {
				if strings.HasPrefix(c.read(), `42["flood",`) {
					received[i]++
				}
			}
		})
	}
	start := time.Now()
	payload := strings.Repeat("x", msgSize)
	for i := range messages {
		g.nsp.Emit("flood", "flood", map[string]any{"n": i, "text": payload})
		if i%5 == 4 {
			time.Sleep(20 * time.Millisecond) // 25 MB/s: what an honest client on loopback keeps up with
		}
	}
	wg.Wait()
	t.Logf("delivered after %v", time.Since(start))
	stopSampling()
	for i, n := range received {
		if n != messages {
			t.Errorf("honest client %d got %d of %d messages", i, n, messages)
		}
	}
	waitFor(t, func() bool { return g.SlowConsumers() == slowWS+slowPoll }, "every slow client dropped")
	waitFor(t, func() bool { return g.Connections() == honest }, "only the honest clients left")
	t.Logf("slow clients gone after %v", time.Since(start))
	bound := before.HeapInuse + uint64((slowWS+slowPoll)*queueBound) + 32<<20
	if p := peak.Load(); p > bound {
		t.Errorf("heap peaked at %d MB, bound %d MB", p>>20, bound>>20)
	}
	t.Logf("heap: %d MB before, %d MB peak (bound %d MB); %d MB sent to each client",
		before.HeapInuse>>20, peak.Load()>>20, bound>>20, messages*msgSize>>20)
}

// blindPongs answers pings it never reads, every 100 ms, until ctx ends.
func blindPongs(ctx context.Context, pong func() error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if pong() != nil {
				return
			}
		}
	}
}

// sampleHeap records the peak HeapInuse every 10 ms until stopped.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}

// openPolling connects a Socket.IO client over polling (anonymous, with a
// token) and returns its session URL; it then never polls again.
func openPolling(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	base := srv.URL + "/socket.io/?EIO=4&transport=polling"
	res, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	sid, _, _ := strings.Cut(strings.TrimPrefix(string(body), `0{"sid":"`), `"`)
	session := base + "&sid=" + sid
	if err := post(session, `40{"token":"alice-session-token-0001"}`); err != nil {
		t.Fatal(err)
	}
	res, err = http.Get(session)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(string(body), `40{"sid"`) {
		t.Fatalf("polling connect: %q", body)
	}
	return session
}

func post(url, body string) error {
	res, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST: %d", res.StatusCode)
	}
	return nil
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
