package sio

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeHeader(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	tests := []struct {
		in      string
		ok      bool
		typ     int
		attach  int
		nsp     string
		id      *int64
		payload string
	}{
		{`0`, true, 0, 0, "/", nil, ""},
		{`0{"token":"123"}`, true, 0, 0, "/", nil, `{"token":"123"}`},
		{`0/custom,`, true, 0, 0, "/custom", nil, ""},
		{`0/custom`, true, 0, 0, "/custom", nil, ""},
		{`0/custom,{"a":1}`, true, 0, 0, "/custom", nil, `{"a":1}`},
		{`1`, true, 1, 0, "/", nil, ""},
		{`1/custom,`, true, 1, 0, "/custom", nil, ""},
		{`2["message",1,"2",{"3":[true]}]`, true, 2, 0, "/", nil, `["message",1,"2",{"3":[true]}]`},
		{`2456["message-with-ack",1]`, true, 2, 0, "/", id(456), `["message-with-ack",1]`},
		{`2/admin,7["x"]`, true, 2, 0, "/admin", id(7), `["x"]`},
		{`2[42,"numeric event"]`, true, 2, 0, "/", nil, `[42,"numeric event"]`},
		{`3456[1,"2"]`, true, 3, 0, "/", id(456), `[1,"2"]`},
		{`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, true, 5, 2, "/", nil,
			`["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
		{`62-789[{"_placeholder":true,"num":0}]`, true, 6, 2, "/", id(789), `[{"_placeholder":true,"num":0}]`},
		{`4{"message":"x"}`, true, 4, 0, "/", nil, `{"message":"x"}`},
		// refused as Node's parser refuses them
		{``, false, 0, 0, "", nil, ""},
		{`7`, false, 0, 0, "", nil, ""},
		{`abc`, false, 0, 0, "", nil, ""},
		{`2{}`, false, 0, 0, "", nil, ""},
		{`2[]`, false, 0, 0, "", nil, ""},
		{`2`, false, 0, 0, "", nil, ""},
		{`2abc["message-with-ack",1]`, false, 0, 0, "", nil, ""},
		{`2["disconnect"]`, false, 0, 0, "", nil, ""},
		{`2[true]`, false, 0, 0, "", nil, ""},
		{`2["x"`, false, 0, 0, "", nil, ""},
		{`0"string"`, false, 0, 0, "", nil, ""},
		{`1{}`, false, 0, 0, "", nil, ""},
		{`3{}`, false, 0, 0, "", nil, ""},
		{`5["x"]`, false, 0, 0, "", nil, ""},
		{`5x-["x"]`, false, 0, 0, "", nil, ""},
		{`511-["x"]`, false, 0, 0, "", nil, ""}, // over MaxAttachments
		{`2999999999999999999999["x"]`, false, 0, 0, "", nil, ""},
	}
	for _, tc := range tests {
		h, err := decodeHeader([]byte(tc.in), DefaultMaxAttachments)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if h.typ != tc.typ || h.attachments != tc.attach || h.nsp != tc.nsp || string(h.data) != tc.payload ||
			(h.id == nil) != (tc.id == nil) || (h.id != nil && *h.id != *tc.id) {
			t.Errorf("%q: got %+v", tc.in, h)
		}
	}
}

func TestAppendPacket(t *testing.T) {
	id := int64(12)
	tests := []struct {
		p    Packet
		want string
	}{
		{Packet{Type: PacketConnect, Nsp: "/", Data: json.RawMessage(`{"sid":"x"}`)}, `0{"sid":"x"}`},
		{Packet{Type: PacketConnect, Nsp: "/custom", Data: json.RawMessage(`{"sid":"x"}`)}, `0/custom,{"sid":"x"}`},
		{Packet{Type: PacketDisconnect, Nsp: "/"}, `1`},
		{Packet{Type: PacketEvent, Nsp: "/", Data: json.RawMessage(`["a",1]`)}, `2["a",1]`},
		{Packet{Type: PacketAck, Nsp: "/", ID: &id, Data: json.RawMessage(`[]`)}, `312[]`},
		{Packet{Type: PacketEvent, Nsp: "/", Data: json.RawMessage(`["a",{"_placeholder":true,"num":0}]`),
			Attachments: [][]byte{{1}}}, `51-["a",{"_placeholder":true,"num":0}]`},
		{Packet{Type: PacketAck, Nsp: "/x", ID: &id, Data: json.RawMessage(`[{"_placeholder":true,"num":0}]`),
			Attachments: [][]byte{{1}}}, `61-/x,12[{"_placeholder":true,"num":0}]`},
		{Packet{Type: PacketConnectError, Nsp: "/random", Data: connectErrorData(&ConnectError{Message: "Invalid namespace"})},
			`4/random,{"message":"Invalid namespace"}`},
		{Packet{Type: PacketConnectError, Nsp: "/", Data: connectErrorData(&ConnectError{Message: "no", Data: map[string]int{"a": 1}})},
			`4{"message":"no","data":{"a":1}}`},
	}
	for _, tc := range tests {
		if got := string(AppendPacket(nil, &tc.p)); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

func TestFramesEncodeOnce(t *testing.T) {
	p := Packet{Type: PacketEvent, Nsp: "/", Data: json.RawMessage(`["bin",{"_placeholder":true,"num":0}]`),
		Attachments: [][]byte{{1, 2, 3}}}
	frames := Frames(&p)
	if len(frames) != 2 {
		t.Fatalf("%d frames, want the packet and its attachment", len(frames))
	}
	if got := string(frames[0].Payload()); got != `451-["bin",{"_placeholder":true,"num":0}]` {
		t.Errorf("text frame %q", got)
	}
	if got := frames[1].Payload(); string(got) != "\x01\x02\x03" {
		t.Errorf("binary frame %v", got)
	}
}

func TestEncodeArgsIsJSONStringify(t *testing.T) {
	data, err := encodeArgs("message", []any{map[string]any{"text": "<b>&</b>", "n": 1.5}, nil})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), `["message",{"n":1.5,"text":"<b>&</b>"},null]`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if strings.Contains(string(data), "\n") {
		t.Fatal("newline left in the encoding")
	}
}
