package engineio

import (
	"bufio"
	"errors"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

// wsConn is one websocket connection, the session's transport or a probe
// for an upgrade. While it is idle it has no goroutine and no buffer: the
// server's poller watches it and starts a reader when input comes
// (readBurst); its writes leave from a flusher, or from a writer of its own
// only while the socket does not take them.
type wsConn struct {
	s    *Session
	conn net.Conn
	rc   syscall.RawConn // nil when the connection has no descriptor (tests)

	flusher *flusher
	poller  *poller // nil: the connection reads with a goroutine of its own
	pollKey uint64  // the poller's key for it; 0 until watched
	// readable's call on the descriptor, made once per connection (a
	// closure per call allocated), and its result; only the burst reading
	// the connection uses them.
	peekFn func(fd uintptr)
	peeked bool
	// drained: the burst's last read from the socket took less than it
	// asked for, so the kernel held no more input then (burstInput).
	drained bool
	// readMu is held by the one burst reading the connection: bursts run on
	// different goroutines one after another, ordered by the kernel, which
	// the race detector cannot see; the mutex makes the order explicit.
	readMu sync.Mutex

	// read without s.mu by a GET held during an upgrade (Session.awaitUpgrade)
	parked atomic.Bool // the reader waits for data, holding none
	probed atomic.Bool // the client's probe was answered

	// guarded by s.mu
	scheduled bool // waiting in its flusher's batch
	writing   bool // being written (by the flusher or a writer of its own)
	urgent    bool // flushNow came while it was being written: write again at once
	final     bool // close the connection once the queue is written
	closed    bool
	head      []byte // the 101 response, written before the first frame
}

func newWSConn(s *Session, conn net.Conn) *wsConn {
	c := &wsConn{s: s, conn: conn, flusher: s.srv.nextFlusher()}
	if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
			c.peekFn = c.peek
			c.poller = s.srv.poller
		}
	}
	return c
}

// startReading starts reading c: through the poller when there is one,
// else with a goroutine that lives as long as the connection. first holds
// what the HTTP server had already buffered (nil when nothing).
func (c *wsConn) startReading(first *bufio.Reader) {
	switch {
	case c.poller == nil:
		go c.readLoop(first)
	case first != nil:
		go c.readBurst(first)
	case !c.poller.watch(c):
		c.s.wsGone(c, net.ErrClosed)
	}
}

var (
	errWSProtocol = errors.New("engineio: websocket protocol error")
	errWSTooBig   = errors.New("engineio: websocket message too big")
	errWSClosed   = errors.New("engineio: websocket closed by the client")
)

// kick schedules the connection with its flusher unless it is scheduled
// or a writer of its own is draining it; s.mu is held.
func (c *wsConn) kick() {
	if c.scheduled || c.writing || c.closed {
		return
	}
	if c.flusher == nil || c.rc == nil {
		c.writing = true
		go c.writeBlocking(nil)
		return
	}
	c.scheduled = true
	if !c.flusher.add(c) {
		c.scheduled = false
		c.closeNow() // the server is closing
	}
}

// closeAfterFlush queues the close frame and closes the connection once
// everything before it is written; s.mu is held.
func (c *wsConn) closeAfterFlush(q *outQueue) {
	if c.closed {
		return
	}
	q.push(wsCloseNormal, "", time.Now())
	c.final = true
	c.kick()
}

// closeNow closes the connection; the reader and writer stop on their own.
func (c *wsConn) closeNow() {
	c.closed = true
	if c.poller != nil {
		c.poller.forget(c)
	}
	_ = c.conn.Close()
}

// batchWriter is the scratch space of a flush: a flusher's own, or one
// from batchWriters for flushNow. It also carries one write's arguments and
// results, so the function the descriptor runs (write, made once per
// writer) allocates nothing per write.
type batchWriter struct {
	frames []*Frame
	bufs   [][]byte

	chunk [][]byte // what write writes
	flags int      // sendmsg flags; 0 writes with writev
	n     int
	err   error
	write func(fd uintptr) bool
}

func newBatchWriter() *batchWriter {
	w := &batchWriter{}
	w.write = w.writeFD
	return w
}

func (w *batchWriter) writeFD(fd uintptr) bool {
	if w.flags != 0 {
		w.n, w.err = unix.SendmsgBuffers(int(fd), w.chunk, nil, nil, w.flags)
	} else {
		w.n, w.err = unix.Writev(int(fd), w.chunk)
	}
	return true
}

// batchWriters are flushNow's writers: one is needed for every reply.
var batchWriters = sync.Pool{New: func() any { return newBatchWriter() }}

// maxPooledFrames bounds the frames a pooled writer keeps room for.
const maxPooledFrames = 1024

// flush writes what waits on c without blocking: one writev. What the
// socket does not take goes to a writer goroutine of c's own.
func (c *wsConn) flush(w *batchWriter) {
	s := c.s
	s.mu.Lock()
	c.scheduled = false
	if c.writing || c.closed {
		s.mu.Unlock()
		return
	}
	w.frames = s.queue.take(w.frames[:0])
	c.urgent = false
	head := c.head
	c.head = nil
	if len(w.frames) == 0 && head == nil {
		c.finishLocked()
		s.mu.Unlock()
		return
	}
	c.writing = true
	last := c.final // the batch ends with the close frame: the connection closes next
	s.mu.Unlock()
	w.bufs = w.bufs[:0]
	if head != nil {
		w.bufs = append(w.bufs, head)
	}
	for _, f := range w.frames {
		w.bufs = append(w.bufs, f.wire)
	}
	rest, err := c.tryWrite(w, last)
	clear(w.frames)
	switch {
	case err != nil:
		c.writeFailed(err)
	case len(rest) > 0:
		go c.writeBlocking(net.Buffers(slices.Clone(rest)))
	default:
		s.mu.Lock()
		c.writing = false
		again := false
		switch {
		case s.queue.empty():
			c.finishLocked()
		case c.urgent:
			again = true
		default:
			c.kick()
		}
		s.mu.Unlock()
		if again {
			clear(w.bufs)
			c.flush(w)
			return
		}
	}
	clear(w.bufs)
}

// flushNow writes what waits on c from the caller's goroutine, as one
// batch of the flusher would; a connection without a descriptor is kicked
// (its writer of its own writes at once).
func (c *wsConn) flushNow() {
	c.s.mu.Lock()
	if c.flusher == nil || c.rc == nil {
		c.kick()
		c.s.mu.Unlock()
		return
	}
	// If a batch of c is being written, the writer then writes the rest at
	// once instead of handing it back to the flusher.
	c.urgent = true
	c.s.mu.Unlock()
	w := batchWriters.Get().(*batchWriter)
	c.flush(w)
	if cap(w.frames) <= maxPooledFrames && cap(w.bufs) <= maxPooledFrames+1 {
		batchWriters.Put(w)
	}
}

// finishLocked closes a connection whose last frame is written, when its
// session asked for that; s.mu is held.
func (c *wsConn) finishLocked() {
	if c.final && !c.closed {
		c.closeNow()
	}
}

// tryWrite makes one non-blocking writev of w.bufs and returns what the
// socket did not take: a slice of w.bufs, to copy before w.bufs is cleared
// or reused. last says the connection is closed right after: the kernel
// then holds the bytes for the FIN the close adds, so the close frame and
// the end of the connection leave in one TCP segment.
func (c *wsConn) tryWrite(w *batchWriter, last bool) ([][]byte, error) {
	bufs := w.bufs
	for len(bufs) > 0 {
		chunk := bufs[:min(len(bufs), 1024)] // IOV_MAX
		want := total(chunk)
		w.chunk, w.flags = chunk, 0
		if last && len(chunk) == len(bufs) {
			w.flags = msgMore
		}
		err := c.rc.Write(w.write)
		n, werr := w.n, w.err
		w.chunk, w.err = nil, nil
		if err != nil {
			return nil, err
		}
		if werr == unix.EAGAIN || werr == unix.EINTR {
			return bufs, nil
		}
		if werr != nil {
			return nil, werr
		}
		bufs = consume(bufs, n)
		if n == want && len(bufs) > 0 {
			continue
		}
		return bufs, nil
	}
	return nil, nil
}

// consume drops the first n bytes of bufs.
func consume(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 && n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

func total(bufs [][]byte) int {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	return n
}

// writeBlocking drains c with blocking writes under the write deadline,
// starting with rest: the path of a connection that is not keeping up (or
// has no descriptor to write to without blocking).
func (c *wsConn) writeBlocking(rest net.Buffers) {
	s := c.s
	var frames []*Frame
	for {
		if len(rest) > 0 {
			_ = c.conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
			if _, err := rest.WriteTo(c.conn); err != nil {
				c.writeFailed(err)
				return
			}
		}
		s.mu.Lock()
		frames = s.queue.take(frames[:0])
		head := c.head
		c.head = nil
		if (len(frames) == 0 && head == nil) || c.closed {
			c.writing = false
			c.finishLocked()
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		rest = rest[:0]
		if head != nil && len(frames) > 0 {
			// One write, not net.Buffers' one per buffer: the 101 and the
			// open packet go together here too.
			head = slices.Concat(head, frames[0].wire)
			frames = frames[1:]
		}
		if head != nil {
			rest = append(rest, head)
		}
		for _, f := range frames {
			rest = append(rest, f.wire)
		}
	}
}

func (c *wsConn) writeFailed(err error) {
	s := c.s
	s.mu.Lock()
	c.writing = false
	current := s.ws == c && s.state == stateOpen
	s.mu.Unlock()
	if !current {
		s.mu.Lock()
		c.closeNow()
		s.mu.Unlock()
		return
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.slowConsumer()
		return
	}
	s.close("transport error", closeAbort)
}

// writeDirect writes one frame outside the queue: only for a probe, which
// has no writer.
func (c *wsConn) writeDirect(f *Frame) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.srv.cfg.WriteTimeout))
	_, err := c.conn.Write(f.wire)
	return err
}

// readerPool holds the read buffers of connections that are reading now.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// readLoop reads messages until the connection ends. first holds what the
// HTTP server had already buffered (nil when nothing).
func (c *wsConn) readLoop(first *bufio.Reader) {
	br := first
	pooled := false
	release := func() {
		if pooled {
			br.Reset(nil)
			readerPool.Put(br)
		}
		br, pooled = nil, false
	}
	for {
		if br == nil {
			c.parked.Store(true)
			err := c.waitReadable()
			c.parked.Store(false)
			if err != nil {
				c.s.wsGone(c, err)
				return
			}
			br, pooled = readerPool.Get().(*bufio.Reader), true
			br.Reset(c.conn)
		}
		op, data, err := c.readMessage(br)
		if err != nil {
			release()
			c.s.wsGone(c, err)
			return
		}
		c.s.onWSMessage(c, op, data)
		if br.Buffered() == 0 {
			release()
		}
	}
}

// readNextBurst is readBurst of input the poller saw.
func (c *wsConn) readNextBurst() { c.readBurst(nil) }

// readBurst reads the messages that came on a watched connection, then
// hands it back to the poller and ends: it runs only while there is input.
// A message that arrives in parts is waited for here, as in readLoop.
func (c *wsConn) readBurst(first *bufio.Reader) {
	c.readMu.Lock()
	br, pooled := first, false
	if br == nil {
		br, pooled = readerPool.Get().(*bufio.Reader), true
		br.Reset((*burstInput)(c))
		c.drained = false
	}
	for {
		op, data, err := c.readMessage(br)
		if err != nil {
			c.endBurst(br, pooled)
			c.poller.forget(c)
			c.s.wsGone(c, err)
			return
		}
		c.s.onWSMessage(c, op, data)
		// Input that comes after the burst ends is not lost: re-arming
		// (watch) reports a connection that is readable already.
		if br.Buffered() == 0 && ((pooled && c.drained) || !c.readable()) {
			break
		}
	}
	c.endBurst(br, pooled)
	if !c.poller.watch(c) {
		c.s.wsGone(c, net.ErrClosed)
	}
}

// burstInput is a connection as its burst reads it: each read notes whether
// it drained the socket (a short read), which spares the burst the system
// call that would ask (readable) before it ends; it was two of the twenty a
// socket's connect, join and leave cost.
type burstInput wsConn

func (in *burstInput) Read(p []byte) (int, error) {
	n, err := in.conn.Read(p)
	in.drained = n < len(p)
	return n, err
}

func (c *wsConn) endBurst(br *bufio.Reader, pooled bool) {
	if pooled {
		br.Reset(nil)
		readerPool.Put(br)
	}
	c.readMu.Unlock()
}

// readable reports, without waiting, whether the connection has input (or
// an end to report): it peeks one byte with MSG_PEEK.
func (c *wsConn) readable() bool {
	c.peeked = true
	_ = c.rc.Control(c.peekFn)
	return c.peeked
}

func (c *wsConn) peek(fd uintptr) {
	c.peeked = peekByte(fd) != syscall.EAGAIN
}

// peekByte looks at the socket's next byte without taking it or waiting:
// EAGAIN when there is no input and no end to report.
func peekByte(fd uintptr) error {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err
}

// waitReadable parks until the connection has data (or an end to report),
// without holding a buffer: it peeks one byte with MSG_PEEK.
func (c *wsConn) waitReadable() error {
	if c.rc == nil {
		return nil
	}
	return c.rc.Read(func(fd uintptr) bool {
		err := peekByte(fd)
		return err != syscall.EAGAIN && err != syscall.EINTR
	})
}

// frameHeader is a client frame's header.
type frameHeader struct {
	fin    bool
	op     byte
	length int64
	mask   [4]byte
}

func readHeader(br *bufio.Reader) (h frameHeader, err error) {
	var b [8]byte
	if _, err = ioReadFull(br, b[:2]); err != nil {
		return h, err
	}
	if b[0]&0x70 != 0 || b[1]&0x80 == 0 {
		return h, errWSProtocol // an extension bit, or an unmasked client frame
	}
	h.fin, h.op = b[0]&0x80 != 0, b[0]&0x0f
	switch l := b[1] & 0x7f; l {
	case 126:
		if _, err = ioReadFull(br, b[:2]); err != nil {
			return h, err
		}
		h.length = int64(b[0])<<8 | int64(b[1])
	case 127:
		if _, err = ioReadFull(br, b[:8]); err != nil {
			return h, err
		}
		for _, x := range b {
			h.length = h.length<<8 | int64(x)
		}
		if h.length < 0 {
			return h, errWSProtocol
		}
	default:
		h.length = int64(l)
	}
	_, err = ioReadFull(br, h.mask[:])
	return h, err
}

// readMessage reads one data message (text or binary, possibly
// fragmented), answering control frames on the way.
func (c *wsConn) readMessage(br *bufio.Reader) (byte, []byte, error) {
	limit := int64(c.s.srv.cfg.MaxPayload)
	var op byte
	var msg []byte
	for {
		h, err := readHeader(br)
		if err != nil {
			return 0, nil, err
		}
		if h.op >= 0x8 {
			if err := c.control(br, h); err != nil {
				return 0, nil, err
			}
			continue
		}
		switch {
		case h.op == 0 && op == 0, h.op != 0 && op != 0, h.op > opBinary:
			return 0, nil, errWSProtocol
		case h.op != 0:
			op = h.op
		}
		if int64(len(msg))+h.length > limit {
			return 0, nil, errWSTooBig
		}
		start := len(msg)
		msg = slices.Grow(msg, int(h.length))[:start+int(h.length)]
		if _, err := ioReadFull(br, msg[start:]); err != nil {
			return 0, nil, err
		}
		ws.Cipher(msg[start:], h.mask, 0)
		if h.fin {
			if op == opText && !utf8.Valid(msg) {
				return 0, nil, errWSProtocol
			}
			return op, msg, nil
		}
	}
}

// control handles a ping, pong or close frame.
func (c *wsConn) control(br *bufio.Reader, h frameHeader) error {
	if !h.fin || h.length > 125 {
		return errWSProtocol
	}
	var buf [125]byte
	p := buf[:h.length]
	if _, err := ioReadFull(br, p); err != nil {
		return err
	}
	ws.Cipher(p, h.mask, 0)
	switch h.op {
	case opClose:
		return errWSClosed
	case opPing:
		c.s.sendControl(c, wsControl(opPong, p))
	case opPong:
	default:
		return errWSProtocol
	}
	return nil
}

// ioReadFull is io.ReadFull without the interface conversion.
func ioReadFull(br *bufio.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := br.Read(p[n:])
		n += m
		if err != nil {
			if n == len(p) {
				return n, nil
			}
			return n, err
		}
	}
	return n, nil
}
