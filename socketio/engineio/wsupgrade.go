package engineio

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"time"

	"github.com/gobwas/ws"
)

// upgradeWebsocket checks r's websocket handshake (gobwas/ws does) and
// takes over the connection. The 101 response is not written but returned:
// a new session sends it in one write with its open packet, which saves a
// system call and a TCP segment on every connect. A refused handshake gets
// its error response and the connection is closed here; err is then
// non-nil and the rest is nil.
//
// first holds what the client sent after the handshake, nil when nothing.
func upgradeWebsocket(r *http.Request, w http.ResponseWriter) (conn net.Conn, first *bufio.Reader, head []byte, err error) {
	hj := &heldResponse{ResponseWriter: w}
	conn, rw, _, err := ws.UpgradeHTTP(r, hj)
	if err != nil {
		if conn != nil {
			// gobwas has put its error response where the 101 would go.
			_ = writeHead(conn, hj.head.Bytes(), time.Second)
			_ = conn.Close()
		}
		return nil, nil, nil, err
	}
	return conn, buffered(rw.Reader), hj.head.Bytes(), nil
}

// heldResponse hijacks like the ResponseWriter it wraps, but hands the
// upgrader a writer into head instead of the connection's.
type heldResponse struct {
	http.ResponseWriter
	head bytes.Buffer
}

func (h *heldResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return conn, rw, err
	}
	rw.Writer.Reset(&h.head)
	return conn, rw, nil
}

// writeHead writes a held response on its own: a refusal, or the 101 of a
// probe, which has no frame to go with it yet.
func writeHead(conn net.Conn, head []byte, timeout time.Duration) error {
	_ = conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := conn.Write(head)
	_ = conn.SetWriteDeadline(time.Time{})
	return err
}

// buffered returns r when it holds bytes the client sent right after its
// upgrade request, nil otherwise (the HTTP server's buffer is then dropped).
func buffered(br *bufio.Reader) *bufio.Reader {
	if br != nil && br.Buffered() > 0 {
		return br
	}
	return nil
}
