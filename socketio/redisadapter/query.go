package redisadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"chatd/socketio/sio"
)

// Cluster queries: a request to every other server and the wait for their
// answers, as Node's adapter does them (the number of servers is the number
// of subscribers of the request channel).

// pending is one query waiting for answers.
type pending struct {
	kind      int
	expected  int
	answered  int
	sockets   []sio.SocketInfo
	rooms     []string
	responses []json.RawMessage
	done      chan struct{}
}

// ackWaiter is one acknowledged broadcast of this adapter.
type ackWaiter struct {
	onClientCount func(int)
	onAck         func(Ack)
	expiry        *time.Timer
}

type pendingTable struct {
	mu       sync.Mutex
	queries  map[string]*pending
	acks     map[string]*ackWaiter
	isClosed bool
}

func (p *pendingTable) init() {
	p.queries = map[string]*pending{}
	p.acks = map[string]*ackWaiter{}
}

func (p *pendingTable) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isClosed = true
	for id, w := range p.acks {
		w.expiry.Stop()
		delete(p.acks, id)
	}
}

// ServerCount is the number of servers of the namespace, this one included
// (Node's serverCount: PUBSUB NUMSUB of the request channel).
func (a *Adapter) ServerCount(ctx context.Context) (int, error) {
	counts, err := a.client.PubSubNumSub(ctx, a.requestChannel).Result()
	if err != nil {
		return 0, fmt.Errorf("redisadapter: server count: %w", err)
	}
	return int(counts[a.requestChannel]), nil
}

// FetchSockets lists the matching sockets of the other servers (the caller
// adds its own). On a timeout it returns what came with ErrTimeout.
func (a *Adapter) FetchSockets(ctx context.Context, opts sio.BroadcastOptions) ([]sio.SocketInfo, error) {
	p, err := a.ask(ctx, requestRemoteFetch, func(id string) request {
		return request{UID: a.uid, RequestID: id, Type: requestRemoteFetch, Opts: toWireOpts(opts)}
	})
	return p.sockets, err
}

// AllRooms lists the rooms of the other servers (the caller adds its own).
func (a *Adapter) AllRooms(ctx context.Context) ([]string, error) {
	p, err := a.ask(ctx, requestAllRooms, func(id string) request {
		return request{UID: a.uid, RequestID: id, Type: requestAllRooms}
	})
	return uniqueCopy(p.rooms), err
}

// ServerSideEmit sends args, the JSON array [event, ...args], to the other
// servers' serverSideEmit listeners.
func (a *Adapter) ServerSideEmit(_ context.Context, args json.RawMessage) error {
	return a.publishRequest(request{UID: a.uid, Type: requestServerSideEmit, Data: args})
}

// ServerSideEmitWithAck is ServerSideEmit waiting for one answer from every
// other server; on a timeout it returns the answers that came with
// ErrTimeout.
func (a *Adapter) ServerSideEmitWithAck(ctx context.Context, args json.RawMessage) ([]json.RawMessage, error) {
	p, err := a.ask(ctx, requestServerSideEmit, func(id string) request {
		return request{UID: a.uid, RequestID: id, Type: requestServerSideEmit, Data: args}
	})
	return p.responses, err
}

// ask publishes the request build makes and waits until every other server
// answered, RequestTimeout passed, ctx ended or the adapter closed. The
// pending it returns is never nil.
func (a *Adapter) ask(ctx context.Context, kind int, build func(requestID string) request) (*pending, error) {
	p := &pending{kind: kind, done: make(chan struct{})}
	servers, err := a.ServerCount(ctx)
	if err != nil || servers <= 1 {
		return p, err
	}
	p.expected = servers - 1
	id := newID()
	if err := a.pending.add(id, p); err != nil {
		return p, err
	}
	defer a.pending.remove(id)
	if err := a.publishRequest(build(id)); err != nil {
		return p, err
	}
	timer := time.NewTimer(a.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p, nil
	case <-timer.C:
		err = fmt.Errorf("%w: %d of %d answered within %s", ErrTimeout, a.pending.answered(p), p.expected, a.cfg.RequestTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	case <-a.closing:
		err = ErrClosed
	}
	a.pending.remove(id) // no answer changes p after this
	return p, err
}

func (p *pendingTable) add(id string, q *pending) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isClosed {
		return ErrClosed
	}
	p.queries[id] = q
	return nil
}

func (p *pendingTable) remove(id string) {
	p.mu.Lock()
	delete(p.queries, id)
	p.mu.Unlock()
}

func (p *pendingTable) answered(q *pending) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return q.answered
}

// BroadcastWithAck sends pkt to the matching sockets of the other servers
// with an acknowledgement id (Node's broadcastWithAck): onClientCount is
// called once per server that answers with how many sockets it reached,
// onAck once per acknowledgement, until timeout. The caller compares them
// with ServerCount, as Node's BroadcastOperator does.
func (a *Adapter) BroadcastWithAck(_ context.Context, pkt sio.Packet, opts sio.BroadcastOptions, timeout time.Duration,
	onClientCount func(int), onAck func(Ack)) error {
	id := newID()
	payload, err := encodeBroadcastRequest(a.uid, id, a.cfg.Nsp, pkt, opts, timeout)
	if err != nil {
		return err
	}
	a.pending.mu.Lock()
	if a.pending.isClosed {
		a.pending.mu.Unlock()
		return ErrClosed
	}
	w := &ackWaiter{onClientCount: onClientCount, onAck: onAck}
	w.expiry = time.AfterFunc(timeout, func() { a.pending.removeAck(id) })
	a.pending.acks[id] = w
	a.pending.mu.Unlock()
	if err := a.out.push(a.requestChannel, payload); err != nil {
		w.expiry.Stop()
		a.pending.removeAck(id)
		return err
	}
	return nil
}

func (p *pendingTable) removeAck(id string) {
	p.mu.Lock()
	delete(p.acks, id)
	p.mu.Unlock()
}

// onResponse completes a query or reports an acknowledgement; answers to
// other servers' queries are ignored.
func (a *Adapter) onResponse(payload string) {
	res, err := decodeResponse(payload)
	if err != nil {
		a.malformed("response", a.responseChannel, err)
		return
	}
	a.pending.mu.Lock()
	w := a.pending.acks[res.RequestID]
	q := a.pending.queries[res.RequestID]
	if q != nil {
		a.record(q, res)
	}
	a.pending.mu.Unlock()
	if w == nil {
		return
	}
	switch {
	case res.Type == requestBroadcastClientCount && res.ClientCount != nil:
		w.onClientCount(*res.ClientCount)
	case res.Type == requestBroadcastAck:
		w.onAck(res.ack)
	}
}

// record adds one server's answer to q (under the table's lock).
func (a *Adapter) record(q *pending, res response) {
	q.answered++
	switch q.kind {
	case requestRemoteFetch:
		var sockets []socketDetails
		if err := json.Unmarshal(jsonOr(res.Sockets, "[]"), &sockets); err != nil {
			a.log.Warn("redis adapter ignored a malformed fetchSockets answer", slog.Any("error", err))
		}
		for _, s := range sockets {
			q.sockets = append(q.sockets, s.info())
		}
	case requestAllRooms:
		q.rooms = append(q.rooms, res.Rooms...)
	case requestServerSideEmit:
		q.responses = append(q.responses, jsonOr(res.Data, "null"))
	}
	if q.answered == q.expected {
		close(q.done)
	}
}
