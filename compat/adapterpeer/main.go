// Command adapterpeer is one chatd process's cluster adapter
// (socketio/redisadapter) over a recording namespace of fake sockets
// (adaptertest.Local), driven by the Node interop suite through JSON lines:
//
//	go run ./compat/adapterpeer -redis redis://127.0.0.1:6379/0 -prefix P
//
// Each stdin line is a command {"id", "op", ...}; stdout carries its reply
// {"reply": id, "result" | "error"} and, unasked, one {"event": ...} line
// per call the adapter makes on the namespace. The first line is
// {"event":"ready","uid":...}. Binary attachments are base64.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/socketio/redisadapter"
	"chatd/socketio/redisadapter/adaptertest"
	"chatd/socketio/sio"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("adapterpeer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	redisURL := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	prefix := fs.String("prefix", redisadapter.DefaultPrefix, "channel prefix (Node's key)")
	nsp := fs.String("nsp", "/", "namespace")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts, err := goredis.ParseURL(*redisURL)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	client := goredis.NewClient(opts)
	defer client.Close()

	p := &peer{out: json.NewEncoder(stdout), local: adaptertest.NewLocal()}
	p.local.AckReply = ackReply
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.adapter, err = redisadapter.New(ctx, client, redisadapter.Config{
		Prefix: *prefix, Nsp: *nsp, RequestTimeout: 3 * time.Second, OnServerSideEmit: p.onServerSideEmit,
	}, p.local, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer p.adapter.Close()
	p.emit(map[string]any{"event": "ready", "uid": p.adapter.UID()})
	streaming, stop := context.WithCancel(context.Background())
	defer stop()
	go p.streamEvents(streaming)

	lines := bufio.NewScanner(stdin)
	lines.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var wg sync.WaitGroup
	for lines.Scan() {
		var c command
		if err := json.Unmarshal(lines.Bytes(), &c); err != nil {
			fmt.Fprintln(stderr, "bad command:", err)
			continue
		}
		if c.Op == "close" {
			break
		}
		wg.Add(1)
		go func() { defer wg.Done(); p.handle(c) }() // queries wait; others go on
	}
	wg.Wait()
	return 0
}

// peer writes replies and events, one JSON line each.
type peer struct {
	mu      sync.Mutex
	out     *json.Encoder
	local   *adaptertest.Local
	adapter *redisadapter.Adapter
}

func (p *peer) emit(v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.out.Encode(v)
}

func (p *peer) reply(id int, result any, err error) {
	if err != nil {
		p.emit(map[string]any{"reply": id, "error": err.Error()})
		return
	}
	p.emit(map[string]any{"reply": id, "result": result})
}

// onServerSideEmit reports another server's serverSideEmit and answers one
// that waits with {"from":"go","args":args}.
func (p *peer) onServerSideEmit(args json.RawMessage, ack func(json.RawMessage)) {
	p.emit(map[string]any{"event": "serverSideEmit", "args": args, "withAck": ack != nil})
	if ack != nil {
		ack(json.RawMessage(`{"from":"go","args":` + string(args) + `}`))
	}
}

// ackReply is every fake socket's answer to an acknowledged broadcast: its
// id, and its id as a binary attachment.
func ackReply(socketID string, _ sio.Packet) (redisadapter.Ack, bool) {
	return redisadapter.Ack{
		Data:        json.RawMessage(`{"socket":"` + socketID + `","bin":{"_placeholder":true,"num":0}}`),
		Attachments: [][]byte{[]byte(socketID)},
	}, true
}
