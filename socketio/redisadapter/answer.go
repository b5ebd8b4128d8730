package redisadapter

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"chatd/socketio/sio"
)

// dispatch handles one message of the subscription, on the receiving
// goroutine: broadcasts and requests are applied to the local namespace,
// responses complete this adapter's queries.
func (a *Adapter) dispatch(m *goredis.Message) {
	switch {
	case m.Pattern != "":
		a.onBroadcast(m.Channel, m.Payload)
	case m.Channel == a.requestChannel:
		a.onRequest(m.Payload)
	case m.Channel == a.responseChannel || m.Channel == a.specificResponseChannel:
		a.onResponse(m.Payload)
	}
}

func (a *Adapter) onBroadcast(channel, payload string) {
	if !strings.HasPrefix(channel, a.channel) {
		return
	}
	in, err := decodeBroadcast(payload, a.uid)
	if err != nil {
		a.malformed("broadcast", channel, err)
		return
	}
	if in.uid == a.uid || in.pkt.Nsp != a.cfg.Nsp {
		return
	}
	a.metrics.received.Inc()
	a.local.DeliverLocal(in.pkt, in.opts)
}

func (a *Adapter) malformed(kind, channel string, err error) {
	a.metrics.dropped("malformed").Inc()
	a.log.Warn("redis adapter ignored a malformed message", slog.String("kind", kind),
		slog.String("channel", channel), slog.Any("error", err))
}

// onRequest answers another server, as Node's adapter does; a request of
// this adapter's own was already applied here by the namespace.
func (a *Adapter) onRequest(payload string) {
	req, err := decodeRequest(payload)
	if err != nil {
		a.malformed("request", a.requestChannel, err)
		return
	}
	if req.UID == a.uid {
		return
	}
	switch req.Type {
	case requestSockets:
		a.answerSockets(req)
	case requestAllRooms:
		a.respond(req, struct {
			RequestID string `json:"requestId"`
			Rooms     rooms  `json:"rooms"`
		}{req.RequestID, nonNilRooms(a.local.RoomsLocal())})
	case requestRemoteJoin, requestRemoteLeave, requestRemoteDisconnect:
		a.applyRemote(req)
	case requestRemoteFetch:
		a.answerFetch(req)
	case requestServerSideEmit:
		a.answerServerSideEmit(req)
	case requestBroadcast:
		a.answerBroadcast(req)
	default:
		a.log.Debug("redis adapter ignored a request of unknown type", slog.Int("type", req.Type))
	}
}

func (a *Adapter) answerSockets(req request) {
	ids := []string{}
	for _, s := range a.local.FetchSocketsLocal(sio.BroadcastOptions{Rooms: req.Rooms}) {
		ids = append(ids, s.ID)
	}
	a.respond(req, struct {
		RequestID string   `json:"requestId"`
		Sockets   []string `json:"sockets"`
	}{req.RequestID, ids})
}

func (a *Adapter) answerFetch(req request) {
	sockets := []socketDetails{}
	for _, s := range a.local.FetchSocketsLocal(req.Opts.broadcastOptions()) {
		sockets = append(sockets, toSocketDetails(s))
	}
	a.respond(req, struct {
		RequestID string          `json:"requestId"`
		Sockets   []socketDetails `json:"sockets"`
	}{req.RequestID, sockets})
}

// applyRemote applies socketsJoin/socketsLeave/disconnectSockets. The
// legacy form names one socket (sid) and wants an answer from the process
// that has it.
func (a *Adapter) applyRemote(req request) {
	opts := req.Opts.broadcastOptions()
	roomsArg := []string(req.Rooms)
	if req.Opts == nil {
		if req.Sid == "" || len(a.local.FetchSocketsLocal(sio.BroadcastOptions{Rooms: []string{req.Sid}})) == 0 {
			return
		}
		opts = sio.BroadcastOptions{Rooms: []string{req.Sid}}
		if room, err := roomName(req.Room); err == nil {
			roomsArg = []string{room}
		}
		defer a.respond(req, struct {
			RequestID string `json:"requestId"`
		}{req.RequestID})
	}
	switch req.Type {
	case requestRemoteJoin:
		a.local.AddSocketsLocal(opts, roomsArg)
	case requestRemoteLeave:
		a.local.DelSocketsLocal(opts, roomsArg)
	default:
		a.local.DisconnectSocketsLocal(opts, req.Close != nil && *req.Close)
	}
}

func (a *Adapter) answerServerSideEmit(req request) {
	handler := a.cfg.OnServerSideEmit
	if handler == nil {
		return // like a Node server with no listener: the emitter times out on us
	}
	if req.RequestID == "" {
		handler(req.Data, nil)
		return
	}
	var once sync.Once
	handler(req.Data, func(arg json.RawMessage) {
		once.Do(func() {
			// Node publishes this answer on the shared channel whatever its options.
			a.publishJSON(a.responseChannel, struct {
				Type      int             `json:"type"`
				RequestID string          `json:"requestId"`
				Data      json.RawMessage `json:"data"`
			}{requestServerSideEmit, req.RequestID, jsonOr(arg, "null")})
		})
	})
}

// answerBroadcast delivers an acknowledged broadcast and reports the number
// of recipients, then each acknowledgement.
func (a *Adapter) answerBroadcast(req request) {
	opts := req.Opts.broadcastOptions()
	onCount := func(n int) {
		a.respond(req, struct {
			Type        int    `json:"type"`
			RequestID   string `json:"requestId"`
			ClientCount int    `json:"clientCount"`
		}{requestBroadcastClientCount, req.RequestID, n})
	}
	a.metrics.received.Inc()
	acking, ok := a.local.(AckLocal)
	if !ok {
		a.local.DeliverLocal(req.packet, opts)
		onCount(0)
		return
	}
	acking.DeliverLocalWithAck(req.packet, opts, onCount, func(ack Ack) {
		payload, err := encodeAckResponse(req.RequestID, ack)
		if err != nil {
			a.log.Warn("redis adapter could not encode an acknowledgement", slog.Any("error", err))
			return
		}
		a.publish(a.responseChannelFor(req), payload)
	})
}

// responseChannelFor is where Node's publishResponse would answer req.
func (a *Adapter) responseChannelFor(req request) string {
	if a.cfg.PublishOnSpecificResponseChannel && req.UID != "" {
		return a.responseChannel + req.UID + "#"
	}
	return a.responseChannel
}

func (a *Adapter) respond(req request, v any) { a.publishJSON(a.responseChannelFor(req), v) }

func (a *Adapter) publishJSON(channel string, v any) {
	payload, err := json.Marshal(v)
	if err != nil {
		a.log.Warn("redis adapter could not encode an answer", slog.Any("error", err))
		return
	}
	a.publish(channel, payload)
}

// publish queues an answer; one refused is only logged, as the asking
// server's own timeout covers it.
func (a *Adapter) publish(channel string, payload []byte) {
	if err := a.out.push(channel, payload); err != nil {
		a.log.Debug("redis adapter dropped an answer", slog.Any("error", err))
	}
}
