//go:build !linux

package engineio

// poller is Linux's epoll set of idle websockets; elsewhere every
// connection reads with a goroutine of its own.
type poller struct{}

func newPoller() *poller             { return nil }
func (p *poller) watch(*wsConn) bool { return false }
func (p *poller) forget(*wsConn)     {}
func (p *poller) close()             {}
