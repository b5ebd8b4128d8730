package socketio

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatd/socketio/chat"
	"chatd/socketio/sio"
	"chatd/store/storetest"
)

// The script connects n times with the real socket.io-client and prints how
// each connection ended.
const disconnectScript = `
const { createRequire } = require('node:module');
const { io } = createRequire(process.argv[2])('socket.io-client');
const [url, n, transports] = [process.argv[3], Number(process.argv[4]), JSON.parse(process.argv[5])];
(async () => {
  const reasons = {};
  for (let i = 0; i < n; i++) {
    const s = io(url, { transports, forceNew: true, auth: { token: null }, query: { tenantSlug: 'demo' } });
    const reason = await new Promise((resolve) => {
      s.on('disconnect', resolve);
      s.on('connect_error', (e) => resolve('connect_error ' + e.message));
      setTimeout(() => resolve('timeout'), 5000);
    });
    reasons[reason] = (reasons[reason] || 0) + 1;
    s.close();
  }
  console.log(JSON.stringify(reasons));
})();
`

// TestRealClientSeesServerDisconnect drives socket.io-client (compat/'s
// node_modules) against the gateway: every server-side Disconnect must reach
// the client as "io server disconnect", never "transport close", on both
// transports.
func TestRealClientSeesServerDisconnect(t *testing.T) {
	pkg, err := filepath.Abs("../compat/package.json")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(filepath.Dir(pkg), "node_modules", "socket.io-client")); err != nil || statErr != nil {
		storetest.Unavailable(t, "node and compat/node_modules (npm ci in compat/)", errors.Join(err, statErr))
	}
	_, srv := newTestGatewayWith(t, Config{Chat: chat.Config{HeartbeatInterval: time.Hour}}, func(g *Gateway) {
		g.nsp.OnConnection(func(s *sio.Socket) {
			g.connected(s)
			time.AfterFunc(50*time.Millisecond, func() { conn{s}.Disconnect() })
		})
	})
	script := filepath.Join(t.TempDir(), "disconnect.cjs")
	if err := os.WriteFile(script, []byte(disconnectScript), 0o600); err != nil {
		t.Fatal(err)
	}
	const runs = 30
	for _, transports := range []string{`["websocket","polling"]`, `["polling"]`} {
		out, err := exec.Command(node, script, pkg, srv.URL, strconv.Itoa(runs), transports).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		want := fmt.Sprintf(`{"io server disconnect":%d}`, runs)
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: %s, want %s", transports, got, want)
		}
	}
}
