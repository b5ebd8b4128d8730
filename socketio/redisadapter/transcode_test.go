package redisadapter

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func toMsgpack(t *testing.T, data string, attachments [][]byte) ([]byte, error) {
	t.Helper()
	tr := getTranscoder()
	defer putTranscoder(tr)
	if err := tr.writeData(tr.resetOut(), []byte(data), attachments); err != nil {
		return nil, err
	}
	return bytes.Clone(tr.msgOut.Bytes()), nil
}

func fromMsgpack(t *testing.T, b []byte) (string, [][]byte, error) {
	t.Helper()
	tr := getTranscoder()
	defer putTranscoder(tr)
	tr.resetIn(string(b))
	data, attachments, err := tr.readData(nil)
	return string(data), attachments, err
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The MessagePack column was written by notepack.io 3.0.1 (what
// @socket.io/redis-adapter 8.3 uses) from the JavaScript value of the JSON
// column, Buffers in place of the placeholders.
func TestTranscodeBothWaysMatchesNotepack(t *testing.T) {
	cases := []struct {
		name        string
		json        string
		attachments [][]byte
		msgpack     string
	}{
		{
			name:    "chat message keeps key order and integers",
			json:    `["newMessage",{"id":"x","n":1,"f":1.5,"neg":-3,"big":4294967296,"t":true,"z":null,"arr":[1,"a"]}]`,
			msgpack: "92aa6e65774d65737361676588a26964a178a16e01a166cb3ff8000000000000a36e6567fda3626967cf0000000100000000a174c3a17ac0a36172729201a161",
		},
		{
			name:        "attachments become bin values in place",
			json:        `["bin",{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1}]}]`,
			attachments: [][]byte{{1, 2, 3}, []byte("hi")},
			msgpack:     "93a362696ec40301020381a66e657374656491c4026869",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := toMsgpack(t, c.json, c.attachments)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != c.msgpack {
				t.Errorf("to msgpack:\n got %x\nwant %s", got, c.msgpack)
			}
			back, attachments, err := fromMsgpack(t, mustHex(t, c.msgpack))
			if err != nil {
				t.Fatal(err)
			}
			if back != c.json {
				t.Errorf("to JSON:\n got %s\nwant %s", back, c.json)
			}
			if len(attachments) != len(c.attachments) {
				t.Fatalf("attachments: got %d, want %d", len(attachments), len(c.attachments))
			}
			for i := range attachments {
				if !bytes.Equal(attachments[i], c.attachments[i]) {
					t.Errorf("attachment %d: got %x, want %x", i, attachments[i], c.attachments[i])
				}
			}
		})
	}
}

func TestTranscodeJSONAsNodeWouldEncodeIt(t *testing.T) {
	cases := []struct{ json, msgpack string }{
		{`1.0`, "01"},                                  // JSON.parse makes it the integer 1
		{`1e3`, "cd03e8"},                              // 1000
		{`-0.5`, "cbbfe0000000000000"},                 // a float stays a float64
		{`18446744073709551615`, "cfffffffffffffffff"}, // beyond int64: uint64
		{`{"b":1,"a":2}`, "82a16201a16102"},            // key order kept
		{`"\u00e9\n"`, "a3c3a90a"},                     // escapes decoded to UTF-8
		{"\"a\xff\"", "a461efbfbd"},                    // invalid UTF-8 becomes U+FFFD
		{`{"_placeholder":true,"num":0}`, "82ac5f706c616365686f6c646572c3a36e756d00"}, // not binary: not a placeholder
	}
	for _, c := range cases {
		got, err := toMsgpack(t, c.json, nil)
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		if hex.EncodeToString(got) != c.msgpack {
			t.Errorf("%s: got %x, want %s", c.json, got, c.msgpack)
		}
	}
}

func TestTranscodeMsgpackAsJSONStringifyWouldWriteIt(t *testing.T) {
	cases := []struct{ name, msgpack, json string }{
		{"a Date (timestamp 64) is its ISO string", "92a164d7ff1d535300683c40c0", `["d","2025-06-01T12:00:00.123Z"]`},
		{"legacy undefined is null", "92a175d40000", `["u",null]`},
		{"NaN is null", "91cb7ff8000000000000", `[null]`},
		{"float32", "91ca3fc00000", `[1.5]`},
		{"numeric key", "8101a178", `{"1":"x"}`},
		{"quote and control escaped", "a3220a3c", `"\"\n<"`},
	}
	for _, c := range cases {
		got, _, err := fromMsgpack(t, mustHex(t, c.msgpack))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.json {
			t.Errorf("%s: got %s, want %s", c.name, got, c.json)
		}
	}
}

func TestTranscodeRejectsMalformedInput(t *testing.T) {
	for _, c := range []struct {
		name        string
		json        string
		attachments [][]byte
	}{
		{"placeholder beyond the attachments", `[{"_placeholder":true,"num":1}]`, [][]byte{{1}}},
		{"placeholder without num", `[{"_placeholder":true}]`, [][]byte{{1}}},
		{"truncated JSON", `["a",`, nil},
		{"two values", `1 2`, nil},
		{"empty", ``, nil},
	} {
		if _, err := toMsgpack(t, c.json, c.attachments); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	deep := mustHex(t, strings.Repeat("91", maxDepth+2)+"c0")
	if _, _, err := fromMsgpack(t, deep); !errors.Is(err, errMalformed) {
		t.Errorf("nesting beyond %d: got %v, want errMalformed", maxDepth, err)
	}
	if _, _, err := fromMsgpack(t, mustHex(t, "92a161")); err == nil {
		t.Error("truncated msgpack: no error")
	}
}
