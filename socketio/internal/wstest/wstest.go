// Package wstest is a raw websocket client for tests of the socket layer:
// it speaks Engine.IO / Socket.IO by hand, so a test sees exactly the
// packets the server writes.
package wstest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Conn is one client websocket.
type Conn struct {
	conn net.Conn
	rw   io.ReadWriter
}

// Dial opens a websocket to url (http:// or ws://) with extra headers. A
// refused upgrade returns the HTTP status as a ws.StatusError.
func Dial(url string, header http.Header) (*Conn, error) {
	url = "ws" + strings.TrimPrefix(strings.TrimPrefix(url, "ws"), "http")
	d := ws.Dialer{Timeout: 5 * time.Second}
	if header != nil {
		d.Header = ws.HandshakeHeaderHTTP(header)
	}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	c := &Conn{conn: conn, rw: conn}
	if br != nil {
		c.rw = struct {
			io.Reader
			io.Writer
		}{br, conn}
	}
	return c, nil
}

// Status is the HTTP status of a refused Dial, 0 for other errors.
func Status(err error) int {
	var se ws.StatusError
	if errors.As(err, &se) {
		return int(se)
	}
	return 0
}

// Read returns the next data message and whether it was binary, within
// timeout.
func (c *Conn) Read(timeout time.Duration) ([]byte, bool, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	data, op, err := wsutil.ReadServerData(c.rw)
	return data, op == ws.OpBinary, err
}

// ReadText returns the next message as a string.
func (c *Conn) ReadText(timeout time.Duration) (string, error) {
	data, _, err := c.Read(timeout)
	return string(data), err
}

// Send writes a text message.
func (c *Conn) Send(text string) error {
	return wsutil.WriteClientMessage(c.conn, ws.OpText, []byte(text))
}

// SendBinary writes a binary message.
func (c *Conn) SendBinary(data []byte) error {
	return wsutil.WriteClientMessage(c.conn, ws.OpBinary, data)
}

// Close closes the connection without a close handshake.
func (c *Conn) Close() error { return c.conn.Close() }

// Raw is the underlying connection (to stop reading it, for instance).
func (c *Conn) Raw() net.Conn { return c.conn }
