package engineio

import (
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"chatd/internal/workers"
)

// msgMore asks the kernel to hold a write for what follows: on the last
// write before a close, that is the FIN (websocket.go, tryWrite).
const msgMore = unix.MSG_MORE

// poller watches idle websockets for input without a goroutine per
// connection: every idle connection's descriptor sits in one epoll set,
// registered one-shot, and the epoll descriptor itself sits in Go's
// netpoller, so the one goroutine that waits on it parks like any other
// reader. When a connection becomes readable a goroutine is started to read
// what came (readBurst); when it has read everything it re-arms the
// connection and exits. An idle connection therefore costs no goroutine,
// no stack and no buffer, only its place in the kernel's epoll set.
type poller struct {
	epfd int
	file *os.File
	rc   syscall.RawConn

	mu    sync.Mutex
	conns map[uint64]*wsConn // registered connections by their epoll key
	next  uint64
	done  chan struct{}

	readers *workers.Pool // run the bursts
}

// newPoller returns a running poller, or nil when epoll is not usable (the
// connections then read with a goroutine each).
func newPoller() *poller {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		return nil
	}
	// A non-blocking descriptor given to os.NewFile is registered with the
	// runtime's netpoller: waiting on it parks a goroutine, not a thread.
	f := os.NewFile(uintptr(epfd), "engineio-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil
	}
	p := &poller{epfd: epfd, file: f, rc: rc, conns: map[uint64]*wsConn{}, done: make(chan struct{}),
		readers: workers.New(maxIdleReaders)}
	go p.run()
	return p
}

// maxIdleReaders bounds the goroutines kept between bursts (a new
// goroutine's stack grows, by copying, in every burst).
const maxIdleReaders = 256

// readEvents are what a connection is watched for: input, or its end.
const readEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// watch arms c: the next input (or end) on it starts a burst. The first call
// registers c; later calls re-arm it. It reports false when c's descriptor
// is closed.
func (p *poller) watch(c *wsConn) bool {
	p.mu.Lock()
	op := unix.EPOLL_CTL_MOD
	if c.pollKey == 0 {
		p.next++
		c.pollKey = p.next
		p.conns[c.pollKey] = c
		op = unix.EPOLL_CTL_ADD
	}
	key := c.pollKey
	p.mu.Unlock()
	// A closure of its own: once armed, the next burst may call watch on
	// another goroutine before this one has read its result.
	var cerr error
	err := c.rc.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: readEvents, Fd: int32(uint32(key)), Pad: int32(uint32(key >> 32))}
		cerr = unix.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err != nil || cerr != nil {
		p.forget(c)
		return false
	}
	return true
}

// forget drops c from the poller; its descriptor leaves the epoll set when
// it is closed.
func (p *poller) forget(c *wsConn) {
	p.mu.Lock()
	if c.pollKey != 0 && p.conns[c.pollKey] == c {
		delete(p.conns, c.pollKey)
	}
	p.mu.Unlock()
}

// run waits for readable connections and starts a burst for each.
func (p *poller) run() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	ready := make([]*wsConn, 0, 256)
	var n int
	wait := func(fd uintptr) bool { // made once: the loop allocates nothing
		var werr error
		n, werr = unix.EpollWait(int(fd), events, 0)
		if werr != nil || n < 0 {
			n = 0
		}
		return n > 0 // false: park until the epoll set has events
	}
	for {
		err := p.rc.Read(wait)
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		for i := range events[:n] {
			if c := p.conns[eventKey(&events[i])]; c != nil {
				ready = append(ready, c)
			}
		}
		p.mu.Unlock()
		for _, c := range ready {
			p.readers.Go(c.readNextBurst)
		}
		clear(ready)
		ready = ready[:0]
	}
}

// close stops the poller.
func (p *poller) close() {
	_ = p.file.Close()
	<-p.done
	p.readers.Close()
}

// eventKey is the key watch stored in an event's user data (the Fd and Pad
// fields are that 64-bit union).
func eventKey(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}
