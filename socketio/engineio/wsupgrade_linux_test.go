package engineio

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWebsocketOpensInOneSegment: the 101 response and the open packet
// leave in one write, so the client's kernel counts one segment with data
// for both (tcpi_data_segs_in).
func TestWebsocketOpensInOneSegment(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval = time.Minute // nothing else is sent meanwhile
	srv := NewServer(cfg, &echoHandler{})
	base := serve(t, srv)
	conn, br := rawUpgrade(t, base, "/engine.io/?EIO=4&transport=websocket", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-Websocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("status %d, accept %q", resp.StatusCode, resp.Header.Get("Sec-Websocket-Accept"))
	}
	hdr, err := br.Peek(2)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 2+int(hdr[1]&0x7f))
	if _, err := io.ReadFull(br, frame); err != nil {
		t.Fatal(err)
	}
	if p := string(frame[2:]); frame[0] != 0x81 || !strings.HasPrefix(p, `0{"sid":"`) {
		t.Fatalf("first frame %x %q, want the open packet", frame[0], p)
	}
	if n := tcpInfo(t, conn).Data_segs_in; n != 1 {
		t.Fatalf("the 101 and the open packet came in %d segments, want 1", n)
	}
}

// tcpInfo is the kernel's TCP_INFO of a client connection.
func tcpInfo(t *testing.T, conn net.Conn) *unix.TCPInfo {
	t.Helper()
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || ierr != nil {
		t.Fatal(err, ierr)
	}
	return info
}

// TestCloseFrameCarriesTheFIN: the server's close frame and the end of the
// connection leave in one TCP segment. Only the FIN can ride on the frame's
// segment; a pure ACK of the client's close frame may come apart, so one
// attempt of five with a single segment shows it (written apart, the frame
// and the FIN always take two).
func TestCloseFrameCarriesTheFIN(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval = time.Minute // nothing else is sent meanwhile
	srv := NewServer(cfg, &echoHandler{})
	base := serve(t, srv)
	var counts []uint32
	for range 5 {
		conn, br := rawUpgrade(t, base, "/engine.io/?EIO=4&transport=websocket", "dGhlIHNhbXBsZSBub25jZQ==")
		if _, err := http.ReadResponse(br, nil); err != nil {
			t.Fatal(err)
		}
		hdr, err := br.Peek(2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := br.Discard(2 + int(hdr[1]&0x7f)); err != nil { // the open packet
			t.Fatal(err)
		}
		before := tcpInfo(t, conn).Segs_in
		if _, err := conn.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}); err != nil { // close 1000, zero mask
			t.Fatal(err)
		}
		rest, err := io.ReadAll(br)
		if err != nil || len(rest) < 2 || rest[0] != 0x88 {
			t.Fatalf("after the client's close: %x, %v; want a close frame, then EOF", rest, err)
		}
		n := tcpInfo(t, conn).Segs_in - before
		if n == 1 {
			return
		}
		counts = append(counts, n)
	}
	t.Fatalf("the close frame and the FIN came in %v segments, want 1", counts)
}
