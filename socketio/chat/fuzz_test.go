package chat

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"chatd"
)

// FuzzSanitizeAlias: whatever a client sends as an alias, the stored name
// is valid text of at most 30 allowed characters, trimmed, and sanitising
// it again changes nothing; an alias with nothing left is the socket's
// Guest- name. Socket ids are the engine's (base64url), so only ASCII ids
// are tried.
func FuzzSanitizeAlias(f *testing.F) {
	for _, seed := range []string{"Anna", "  <b>Ànna</b> ", "", "\x00\xff", "😀😀", strings.Repeat("é", 40), "\u00a0 x \ufeff", "a\u2028b"} {
		f.Add(seed, "AbCdEfGhIjKl")
	}
	f.Fuzz(func(t *testing.T, alias, socketID string) {
		if strings.ContainsFunc(socketID, func(r rune) bool { return r >= utf8.RuneSelf }) {
			return
		}
		out := SanitizeAlias(alias, socketID)
		guest := "Guest-" + socketID[:min(6, len(socketID))]
		if out == guest {
			return
		}
		if !chatd.ValidText(out) || out == "" || utf8.RuneCountInString(out) > 30 || trimJS(out) != out {
			t.Fatalf("SanitizeAlias(%q) = %q", alias, out)
		}
		for _, r := range out {
			if !aliasRune(r) {
				t.Fatalf("SanitizeAlias(%q) kept %q", alias, r)
			}
		}
		if again := SanitizeAlias(out, socketID); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", alias, out, again)
		}
	})
}

// FuzzMessageChecks: any sendMessage payload (as the socket library decodes
// JSON) either fails the checks or yields a message within every limit,
// with an image chatd's URL rule accepts, whose sanitised text holds no
// tag, and whose echo encodes.
func FuzzMessageChecks(f *testing.F) {
	for _, seed := range []string{
		`{"id":"c1e00000-0000-4000-8000-000000000001","text":"<b>Ciao</b>","senderId":"u1","senderAlias":"Al","roomId":"r1"}`,
		`{"id":"C1E00000-0000-4000-8000-00000000000A","text":"","imageUrl":"data:image/png;base64,AAAA","senderId":"u1"}`,
		`{"id":"c1e00000-0000-4000-8000-000000000001","text":"<<a>b>c<","senderId":"u1","imageUrl":"javascript:x"}`,
		`{"id":"c1e00000-0000-4000-8000-000000000001","text":" \u00a0<x","senderId":"u1","recipientId":"u2","extra":[1,{"a":null}]}`,
		`{"id":7,"text":null}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	tenant := &joinedTenant{ID: "t1", Slug: "demo"}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var p map[string]any
		if json.Unmarshal(payload, &p) != nil {
			return
		}
		m, ok := checkOutgoing(p)
		if !ok {
			return
		}
		switch {
		case !messageIDPattern.MatchString(m.id), m.senderID == "", len(m.senderID) > maxIDLen,
			len(m.roomID) > maxIDLen, len(m.recipientID) > maxIDLen, len(m.text) > maxRawText,
			utf8.RuneCountInString(m.senderAlias) > maxAliasLen, len(m.gender) > maxGenderLen, len(p) > maxEchoFields:
			t.Fatalf("accepted past a limit: %+v", m)
		case m.imageURL != "" && !chatd.IsInlineImage(m.imageURL) && !chatd.IsAssetURL(m.imageURL):
			t.Fatalf("accepted image %q", m.imageURL)
		}
		m.text = trimJS(tagPattern.ReplaceAllString(m.text, ""))
		if tagPattern.MatchString(m.text) {
			t.Fatalf("a tag survived sanitising: %q", m.text)
		}
		if _, err := json.Marshal(echo(m, tenant, time.Unix(0, 0))); err != nil {
			t.Fatalf("echo does not encode: %v", err)
		}
	})
}
