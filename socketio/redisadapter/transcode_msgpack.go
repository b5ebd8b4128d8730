package redisadapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// MessagePack to JSON: the direction of what other servers publish.

// readData reads one MessagePack value from t.mdec and returns it as JSON,
// every bin value replaced by a placeholder and appended to attachments.
func (t *transcoder) readData(attachments [][]byte) (json.RawMessage, [][]byte, error) {
	t.jsonOut.Reset()
	t.jenc.Reset(&t.jsonOut, jsonEncodeOpts...)
	if err := t.readValue(&attachments, 0); err != nil {
		return nil, attachments, err
	}
	out := bytes.TrimSuffix(t.jsonOut.Bytes(), []byte("\n"))
	return bytes.Clone(out), attachments, nil
}

func (t *transcoder) readValue(attachments *[][]byte, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", errMalformed, maxDepth)
	}
	d := t.mdec
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	switch {
	case c == msgpcode.Nil:
		return t.write(jsontext.Null, d.DecodeNil())
	case c == msgpcode.False || c == msgpcode.True:
		b, err := d.DecodeBool()
		return t.write(jsontext.Bool(b), err)
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Int8 && c <= msgpcode.Int64):
		n, err := d.DecodeInt64()
		return t.write(jsontext.Int(n), err)
	case c >= msgpcode.Uint8 && c <= msgpcode.Uint64:
		n, err := d.DecodeUint64()
		return t.write(jsontext.Uint(n), err)
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.DecodeFloat64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return t.write(jsontext.Null, err) // as JSON.stringify writes them
		}
		return t.write(jsontext.Float(f), err)
	case msgpcode.IsString(c):
		s, err := d.DecodeString()
		return t.write(jsontext.String(s), err)
	case msgpcode.IsBin(c):
		return t.readAttachment(attachments)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		return t.readArray(attachments, depth)
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		return t.readMap(attachments, depth)
	case msgpcode.IsExt(c):
		return t.readExt()
	}
	return fmt.Errorf("%w: unexpected MessagePack code 0x%02x", errMalformed, c)
}

func (t *transcoder) write(tok jsontext.Token, err error) error {
	if err != nil {
		return err
	}
	return t.jenc.WriteToken(tok)
}

func (t *transcoder) readAttachment(attachments *[][]byte) error {
	b, err := t.mdec.DecodeBytes()
	if err != nil {
		return err
	}
	*attachments = append(*attachments, nonNil(b))
	for _, tok := range []jsontext.Token{
		jsontext.BeginObject, jsontext.String("_placeholder"), jsontext.True,
		jsontext.String("num"), jsontext.Int(int64(len(*attachments) - 1)), jsontext.EndObject,
	} {
		if err := t.jenc.WriteToken(tok); err != nil {
			return err
		}
	}
	return nil
}

func (t *transcoder) readArray(attachments *[][]byte, depth int) error {
	n, err := t.mdec.DecodeArrayLen()
	if err := t.write(jsontext.BeginArray, err); err != nil {
		return err
	}
	for range n {
		if err := t.readValue(attachments, depth+1); err != nil {
			return err
		}
	}
	return t.jenc.WriteToken(jsontext.EndArray)
}

func (t *transcoder) readMap(attachments *[][]byte, depth int) error {
	n, err := t.mdec.DecodeMapLen()
	if err := t.write(jsontext.BeginObject, err); err != nil {
		return err
	}
	for range n {
		name, err := t.readName()
		if err := t.write(jsontext.String(name), err); err != nil {
			return err
		}
		if err := t.readValue(attachments, depth+1); err != nil {
			return err
		}
	}
	return t.jenc.WriteToken(jsontext.EndObject)
}

// readName reads an object key: a string as JavaScript's keys are, or a
// number another encoder may have written.
func (t *transcoder) readName() (string, error) {
	c, err := t.mdec.PeekCode()
	if err != nil {
		return "", err
	}
	switch {
	case msgpcode.IsString(c):
		return t.mdec.DecodeString()
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		n, err := t.mdec.DecodeInt64()
		return strconv.FormatInt(n, 10), err
	}
	return "", fmt.Errorf("%w: object key of MessagePack code 0x%02x", errMalformed, c)
}

// extTimestamp is MessagePack's timestamp extension, what notepack.io
// writes for a JavaScript Date.
const extTimestamp = -1

// readExt writes a timestamp as the string JSON.stringify makes of a Date;
// any other extension (notepack's legacy undefined) becomes null.
func (t *transcoder) readExt() error {
	raw, err := t.mdec.DecodeRaw()
	if err != nil {
		return err
	}
	if extType(raw) != extTimestamp {
		return t.jenc.WriteToken(jsontext.Null)
	}
	var tm time.Time
	if err := msgpack.Unmarshal(raw, &tm); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return t.jenc.WriteToken(jsontext.String(tm.UTC().Format("2006-01-02T15:04:05.000Z")))
}

// extType is the type byte of an encoded extension value (after the code,
// and after the length for ext 8/16/32).
func extType(raw []byte) int8 {
	at := 1 // fixext 1, 2, 4, 8, 16
	switch raw[0] {
	case msgpcode.Ext8:
		at = 2
	case msgpcode.Ext16:
		at = 3
	case msgpcode.Ext32:
		at = 5
	}
	if at >= len(raw) {
		return 0
	}
	return int8(raw[at])
}
