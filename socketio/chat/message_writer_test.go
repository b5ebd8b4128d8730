package chat

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

// failingTrigger makes the test database misbehave on chosen message texts:
// "slow" holds the insert 300 ms (so the messages sent meanwhile queue into
// one batch), "fail" raises an error in the middle of the statement, "kill"
// drops the connection in the middle of it.
const failingTrigger = `
CREATE FUNCTION chatd_test_trouble() RETURNS trigger AS $$
BEGIN
  IF NEW."text" = 'slow' THEN PERFORM pg_sleep(0.3); END IF;
  IF NEW."text" = 'fail' THEN RAISE EXCEPTION 'the disk is on fire'; END IF;
  IF NEW."text" = 'kill' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER chatd_test_trouble BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION chatd_test_trouble();`

// TestSendBatchFailure: a database failure in the middle of a batch fails
// every message of the batch with "message not saved", stores none of them
// and delivers none; the next batch is written as usual.
func TestSendBatchFailure(t *testing.T) {
	// Not parallel: the batch forms within the 300 ms of a slow insert.
	for _, trouble := range []string{"fail", "kill"} {
		t.Run(trouble, func(t *testing.T) {
			e := newEnvWith(t, Config{PresenceWindow: testWindow, Messages: WriterConfig{Writers: 1}}, nil)
			storetest.Exec(t, e.dbURL, failingTrigger)
			watcher, _ := e.joined(aliceTok, "", "Alice")
			senders := make([]*recConn, 8)
			ids := make([]string, len(senders))
			for i := range senders {
				senders[i], _ = e.joined(modTok, "", "Mod")
				ids[i] = fmt.Sprintf("c1e00000-0000-4000-8000-0000000001%02d", i)
			}
			e.settle()
			watcher.take()
			send := func(c *recConn, id, text string) {
				e.emit(c, "sendMessage", msg(id, modID, text, map[string]any{"roomId": roomGen, "senderAlias": "Mod"}))
			}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); send(senders[0], ids[0], "slow") }() // the writer is busy with it…
			time.Sleep(100 * time.Millisecond)
			for i := 1; i < len(senders); i++ { // …while these queue into one batch
				text := "ok"
				if i == 4 {
					text = trouble
				}
				wg.Add(1)
				go func() { defer wg.Done(); send(senders[i], ids[i], text) }()
			}
			wg.Wait()
			for i, c := range senders[1:] {
				var errs []any
				for _, ev := range c.take() {
					if ev.Name == "error" {
						errs = append(errs, ev.Payload)
					}
				}
				if len(errs) != 1 || errs[0].(map[string]any)["message"] != "message not saved" {
					t.Fatalf("sender %d got errors %v, want one message not saved", i+1, errs)
				}
			}
			if n := e.count(`SELECT count(*) FROM "Message" WHERE "id" = ANY($1)`, "{"+strings.Join(ids[1:], ",")+"}"); n != 0 {
				t.Fatalf("%d messages of the failed batch were stored", n)
			}
			e.settle()
			for _, ev := range watcher.take() {
				if m, _ := ev.Payload.(map[string]any); ev.Name == "newMessage" && m["text"] != "slow" {
					t.Fatalf("a message of the failed batch was delivered: %v", ev)
				}
			}
			// The next message goes through.
			e.clock.Advance(time.Second)
			send(senders[1], "c1e00000-0000-4000-8000-000000000199", "again")
			watcher.waitFor(t, "newMessage")
		})
	}
}

// TestMessageWriterGroupsConcurrentSends: messages sent while a batch is
// being written go out together, every one is stored once, and duplicates
// are told apart from the stored ones.
func TestMessageWriterGroupsConcurrentSends(t *testing.T) {
	// Not parallel: the batch forms within the 300 ms of a slow insert.
	db, dbURL := storetest.OpenSeeded(t, time.Now)
	storetest.Exec(t, dbURL, failingTrigger)
	counting := &countingStore{Store: db}
	w := newMessageWriter(WriterConfig{Writers: 1}, counting, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer w.close()
	go func() { _ = w.write(benchMessage("slow")) }()
	time.Sleep(100 * time.Millisecond)
	const n = 200
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.write(benchMessage("hello")); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d writes failed", failed.Load())
	}
	if batches := strings.Count(counting.take(), "CreateMessages"); batches > 3 {
		t.Fatalf("%d messages sent during a slow write took %d batches, want 2 at most after it", n, batches-1)
	}
	var stored int
	if err := storetest.MustOpenSQL(t, dbURL).QueryRow(`SELECT count(*) FROM "Message" WHERE "text" = 'hello'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != n {
		t.Fatalf("%d of %d acknowledged messages stored", stored, n)
	}
}

// benchMessage is a room message from Alice with a new id.
func benchMessage(text string) store.Message {
	return store.Message{ID: store.NewUUID(), Text: text, CreatedAt: time.Now(), SenderID: aliceID, SenderAlias: "Alice",
		SenderGender: "female", RoomID: nullString(roomGen), UserID: nullString(aliceID), TenantID: tenantID}
}

// BenchmarkMessageWrites measures persisted messages per second through the
// group-committing writer: 1,024 concurrent senders (sockets) each sending
// 100-byte room messages as fast as they are acknowledged, on a fresh
// database of the local PostgreSQL (seeded, with its indexes on Message),
// default writer settings (batches of up to 1,000, two in flight). Every
// acknowledged message is counted in the table afterwards.
//
//	go test -run '^$' -bench MessageWrites -benchtime 100000x ./socketio/chat/
func BenchmarkMessageWrites(b *testing.B) {
	db, dbURL := storetest.OpenSeeded(b, time.Now)
	w := newMessageWriter(WriterConfig{}, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	const senders = 1024
	msgs := make([]store.Message, b.N)
	for i := range msgs {
		msgs[i] = benchMessage("message " + strings.Repeat("x", 92)) // 100 bytes
	}
	var next, acked atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				if err := w.write(msgs[i]); err != nil {
					b.Error(err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	w.close()
	var stored int64
	if err := storetest.MustOpenSQL(b, dbURL).QueryRowContext(context.Background(),
		`SELECT count(*) FROM "Message" WHERE "senderAlias" = 'Alice' AND "text" LIKE 'message%'`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != acked.Load() || stored != int64(b.N) {
		b.Fatalf("%d acknowledged, %d stored, %d sent", acked.Load(), stored, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
