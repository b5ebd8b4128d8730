//go:build !linux

package engineio

// msgMore is Linux's MSG_MORE; elsewhere a last write is sent as it is.
const msgMore = 0

// poller is Linux's epoll set of idle websockets; elsewhere every
// connection reads with a goroutine of its own.
type poller struct{}

func newPoller() *poller             { return nil }
func (p *poller) watch(*wsConn) bool { return false }
func (p *poller) forget(*wsConn)     {}
func (p *poller) close()             {}
