package chat

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store"
	"chatd/store/storetest"
)

// BenchmarkConnectJoinCycle is the chat rules' part of G-perf-connect:
// handshake, CONNECT, join and disconnect of one socket, without the
// engine, against a fresh seeded database of the local PostgreSQL, 50
// cycles in flight (-cpu 50 is not needed: RunParallel's goroutines wait on
// the database). Anonymous clients present a random userId, as the perf
// load generator's do; token clients use the seed's sessions.
//
//	go test -run '^$' -bench ConnectJoinCycle -benchtime 5s ./socketio/chat/
func BenchmarkConnectJoinCycle(b *testing.B) {
	for _, kind := range []string{"anonymous", "token"} {
		b.Run(kind, func(b *testing.B) {
			db, _ := storetest.OpenSeeded(b, time.Now)
			hub := &stormHub{rooms: map[string]map[*stormConn]bool{}}
			svc := NewService(Config{}, Deps{Store: db, Hub: hub,
				Sessions: auth.NewResolver(auth.NewSigner("test-secret"), db, time.Now)})
			defer svc.Close()
			tokens := []string{aliceTok, modTok, adminTok}
			var n atomic.Int64
			b.SetParallelism(25) // 50 in flight on 2 cores
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := n.Add(1)
					h := Handshake{UserID: store.NewUUID(), UserAlias: fmt.Sprint("u", i), TenantSlug: "demo"}
					if kind == "token" {
						h = Handshake{Token: tokens[i%3], TenantSlug: "demo"}
					}
					c := &stormConn{id: store.RandomString(20), hub: hub}
					id, err := svc.Authenticate(ctx, h, c.id)
					if err != nil {
						b.Error(err)
						return
					}
					svc.Connected(ctx, c, id)
					svc.Handle(ctx, c, "join", []any{map[string]any{"tenantSlug": "demo",
						"user": map[string]any{"id": id.UserID, "alias": id.Alias, "gender": "other"}}})
					c.leaveAll()
					svc.Disconnected(ctx, c)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "cycles/s")
		})
	}
}
