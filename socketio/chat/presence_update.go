package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strconv"
	"time"
)

// presenceKey is the state key of presenceUpdate: a connection holds at
// most one unsent presenceUpdate, the latest.
const presenceKey = "presence"

// flushTimeout bounds the reads of one presenceUpdate.
const flushTimeout = 5 * time.Second

// presencePayload is the presenceUpdate payload (docs/socket-events.md,
// "presenceUpdate"), encoded once: one entry per user, the newest joined
// socket winning, in join order; roomCounts for every room of the tenant. Its
// keys come in the order encoding/json gives a map's, as before.
func presencePayload(entries []PresenceEntry, rooms []string) json.RawMessage {
	newest := make(map[string]int, len(entries))
	for i, e := range entries {
		j, ok := newest[e.UserID]
		if !ok || e.JoinedAt > entries[j].JoinedAt || (e.JoinedAt == entries[j].JoinedAt && e.SocketID > entries[j].SocketID) {
			newest[e.UserID] = i
		}
	}
	chosen := make([]int, 0, len(newest))
	for _, i := range newest {
		chosen = append(chosen, i)
	}
	sort.Slice(chosen, func(a, b int) bool { return entries[chosen[a]].JoinedAt < entries[chosen[b]].JoinedAt })

	size := 64
	for _, i := range chosen {
		size += len(entries[i].User) + len(entries[i].SocketID) + 2*len(entries[i].UserID) + 24
	}
	b := bytes.NewBuffer(make([]byte, 0, size+len(rooms)*40))
	b.WriteString(`{"onlineIds":[`)
	for n, i := range chosen {
		if n > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, entries[i].UserID)
	}
	b.WriteString(`],"roomCounts":`)
	counts, _ := json.Marshal(roomCounts(entries, rooms)) // a map of ints always encodes
	b.Write(counts)
	b.WriteString(`,"users":[`)
	for n, i := range chosen {
		if n > 0 {
			b.WriteByte(',')
		}
		writeShownUser(b, entries[i])
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// roomCounts is, for every room of the tenant, the number of distinct
// users with a socket in it.
func roomCounts(entries []PresenceEntry, rooms []string) map[string]int {
	counts := make(map[string]int, len(rooms))
	users := make(map[string]map[string]bool, len(rooms))
	for _, r := range rooms {
		counts[r] = 0
		users[r] = map[string]bool{}
	}
	for _, e := range entries {
		for _, r := range e.Rooms {
			if seen, ok := users[r]; ok && !seen[e.UserID] {
				seen[e.UserID] = true
				counts[r]++
			}
		}
	}
	return counts
}

// writeShownUser writes the entry's user object (as its join sent it,
// without socketId) with socketId added last; key order means nothing to a
// client. An entry that is not an object shows as {id, socketId}.
func writeShownUser(b *bytes.Buffer, e PresenceEntry) {
	raw := bytes.TrimSpace(e.User)
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		b.WriteString(`{"id":`)
		writeJSONString(b, e.UserID)
		b.WriteString(`,"socketId":`)
		writeJSONString(b, e.SocketID)
		b.WriteByte('}')
		return
	}
	body := bytes.TrimSpace(raw[1 : len(raw)-1])
	b.WriteByte('{')
	b.Write(body)
	if len(body) > 0 {
		b.WriteByte(',')
	}
	b.WriteString(`"socketId":`)
	writeJSONString(b, e.SocketID)
	b.WriteByte('}')
}

// writeJSONString writes s as a JSON string.
func writeJSONString(b *bytes.Buffer, s string) {
	if isPlainJSON(s) {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	raw, _ := json.Marshal(s)
	b.Write(raw)
}

// isPlainJSON reports whether s needs no escaping (ids always).
func isPlainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// flushPresence computes a tenant's presenceUpdate from the whole cluster's
// state and hands it to this process's sockets: the tenant's lobby, or only
// the newcomers. It returns the number of entries, or -1 when it could not.
func (s *Service) flushPresence(job presenceFlush) int {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	slug := job.slug
	if slug == "" {
		t, err := s.tenants.byID(ctx, job.tenantID)
		if err != nil {
			s.log.Error("presence tenant lookup failed", slog.String("tenant_id", job.tenantID), slog.String("error", err.Error()))
			return -1
		}
		slug = t.Slug
	}
	entries, err := s.presence.Entries(ctx, job.tenantID)
	if err != nil {
		s.log.Error("presence read failed", slog.String("tenant_id", job.tenantID), slog.String("error", err.Error()))
		return -1
	}
	rooms, err := s.roomIDs(ctx, job.tenantID)
	if err != nil {
		s.log.Error("presence rooms lookup failed", slog.String("tenant_id", job.tenantID), slog.String("error", err.Error()))
		return -1
	}
	payload := presencePayload(entries, rooms)
	h, multi := s.hub.(multiStateHub)
	switch {
	case job.newcomers != nil:
	case multi && len(job.current) > 0:
		h.EmitLocalStateExcept("tenant:"+slug, job.current, presenceKey, "presenceUpdate", payload)
	default:
		s.hub.EmitLocalState("tenant:"+slug, presenceKey, "presenceUpdate", payload)
	}
	if multi && len(job.newcomers) > 1 {
		h.EmitLocalStateTo(job.newcomers, presenceKey, "presenceUpdate", payload)
	} else {
		for _, socketID := range job.newcomers {
			s.hub.EmitLocalState(socketID, presenceKey, "presenceUpdate", payload)
		}
	}
	s.log.Debug("presence sent", slog.String("tenant_id", job.tenantID), slog.Int("entries", len(entries)),
		slog.Int("bytes", len(payload)), slog.String("to", presenceAudience(job)))
	return len(entries)
}

func presenceAudience(job presenceFlush) string {
	if job.newcomers == nil {
		return "tenant"
	}
	return strconv.Itoa(len(job.newcomers)) + " newcomers"
}
