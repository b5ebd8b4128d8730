package engineio

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// TestProbeQuiet: a GET held during an upgrade goes on at once only when
// the probed websocket has nothing from the client waiting (quiet), so an
// upgrade packet sent before the GET is never overtaken.
func TestProbeQuiet(t *testing.T) {
	cases := []struct {
		name         string
		probed       bool
		parked       bool
		clientWrites bool // bytes wait in the kernel, unread
		clientCloses bool // an end waits to be reported
		noDescriptor bool
		want         bool
	}{
		{name: "probed, reader parked, nothing sent", probed: true, parked: true, want: true},
		{name: "probe not answered yet", parked: true},
		{name: "reader busy with what it read", probed: true},
		{name: "an upgrade packet waits in the kernel", probed: true, parked: true, clientWrites: true},
		{name: "the client closed", probed: true, parked: true, clientCloses: true},
		{name: "no descriptor to look at", probed: true, parked: true, noDescriptor: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := tcpPair(t)
			c := &wsConn{conn: server}
			if !tc.noDescriptor {
				rc, err := server.(syscall.Conn).SyscallConn()
				if err != nil {
					t.Fatal(err)
				}
				c.rc = rc
			}
			c.probed.Store(tc.probed)
			c.parked.Store(tc.parked)
			if tc.clientWrites {
				if _, err := client.Write([]byte{0x81, 0x81, 0, 0, 0, 0, '5'}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.clientCloses {
				client.Close()
			}
			if tc.clientWrites || tc.clientCloses {
				waitReadable(t, c)
			}
			if got := c.quiet(); got != tc.want {
				t.Fatalf("quiet() = %v, want %v", got, tc.want)
			}
		})
	}
}

// tcpPair is a connected loopback TCP pair.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// waitReadable waits until what the client did reached the server's kernel
// (loopback delivery may lag the write).
func waitReadable(t *testing.T, c *wsConn) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		ready := false
		_ = c.rc.Control(func(fd uintptr) {
			var b [1]byte
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			ready = err != syscall.EAGAIN
		})
		if ready {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("nothing arrived from the client")
}
