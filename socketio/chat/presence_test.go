package chat

import (
	"encoding/json"
	"reflect"
	"testing"
)

func entry(socket, user string, joinedAt int64, rooms ...string) PresenceEntry {
	raw, _ := json.Marshal(map[string]any{"id": user, "alias": "A" + user})
	return PresenceEntry{SocketID: socket, UserID: user, User: raw, Rooms: rooms, JoinedAt: joinedAt}
}

func TestPresenceState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []PresenceEntry
		rooms   []string
		want    string
	}{
		{"empty tenant lists every room at 0", nil, []string{"r1", "r2"},
			`{"onlineIds":[],"roomCounts":{"r1":0,"r2":0},"users":[]}`},
		{"join order, one entry per user, newest socket wins",
			[]PresenceEntry{entry("s3", "u2", 3, "r1"), entry("s1", "u1", 1, "r1"), entry("s2", "u1", 5, "r1", "r2")},
			[]string{"r1", "r2"},
			`{"onlineIds":["u2","u1"],"roomCounts":{"r1":2,"r2":1},"users":[{"alias":"Au2","id":"u2","socketId":"s3"},{"alias":"Au1","id":"u1","socketId":"s2"}]}`},
		{"rooms of other tenants are not counted",
			[]PresenceEntry{entry("s1", "u1", 1, "elsewhere")}, []string{"r1"},
			`{"onlineIds":["u1"],"roomCounts":{"r1":0},"users":[{"alias":"Au1","id":"u1","socketId":"s1"}]}`},
	}
	for _, tt := range tests {
		got := presencePayload(tt.entries, tt.rooms)
		if !json.Valid(got) {
			t.Fatalf("%s: not JSON: %s", tt.name, got)
		}
		if string(got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestMemoryPresence(t *testing.T) {
	t.Parallel()
	m := NewMemoryPresence()
	ctx := t.Context()
	_ = m.Put(ctx, "t1", entry("s1", "u1", 1))
	_ = m.Put(ctx, "t1", entry("s1", "u1", 2))
	_ = m.Put(ctx, "t2", entry("s2", "u2", 1))
	got, _ := m.Entries(ctx, "t1")
	if len(got) != 1 || got[0].JoinedAt != 2 {
		t.Fatalf("entries %+v", got)
	}
	_ = m.Remove(ctx, "t1", "s1")
	_ = m.Remove(ctx, "t1", "missing")
	if got, _ := m.Entries(ctx, "t1"); len(got) != 0 {
		t.Fatalf("after remove %+v", got)
	}
	if got, _ := m.Entries(ctx, "t2"); !reflect.DeepEqual(got, []PresenceEntry{entry("s2", "u2", 1)}) {
		t.Fatalf("t2 %+v", got)
	}
}
