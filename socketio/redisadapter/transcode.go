package redisadapter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/vmihailenco/msgpack/v5"
)

// A packet's data crosses Redis as MessagePack (Node's notepack.io), where a
// binary attachment is a bin value in place; chatd holds it as JSON with
// {"_placeholder":true,"num":N} in place and the bytes beside. The
// transcoder converts between the two token by token, keeping object key
// order, integers as integers, and numbering attachments in the order
// socket.io-parser does (depth first, keys in order).

// maxDepth bounds the nesting of a value read from Redis (recursion).
const maxDepth = 128

// errMalformed reports data that is neither valid JSON nor valid MessagePack
// of the shape a Socket.IO packet has.
var errMalformed = errors.New("redisadapter: malformed packet data")

var (
	// Invalid UTF-8 becomes U+FFFD, as when Node decodes a request body.
	jsonDecodeOpts = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}
	jsonEncodeOpts = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}
)

// container is what the counting pass learns of one JSON object or array,
// in the order they open: msgpack needs every length before the elements.
type container struct {
	count       int // elements of an array, members of an object
	nested      int // containers inside this one
	placeholder int // attachment index when the object is a placeholder, else -1

	// state of a possible placeholder object
	lastName int8 // 1: "_placeholder", 2: "num", 0: other
	flagged  bool // "_placeholder": true seen
	num      int64
	hasNum   bool
	isObject bool
}

// transcoder holds the reusable buffers of one conversion; see getTranscoder.
type transcoder struct {
	rd         bytes.Reader
	jdec       *jsontext.Decoder
	jenc       *jsontext.Encoder
	jsonOut    bytes.Buffer
	menc       *msgpack.Encoder
	msgOut     bytes.Buffer
	mdec       *msgpack.Decoder
	sr         strings.Reader
	containers []container
	open       []int
}

var transcoders = sync.Pool{New: func() any {
	t := &transcoder{menc: msgpack.NewEncoder(nil), mdec: msgpack.NewDecoder(nil)}
	t.jdec = jsontext.NewDecoder(&t.rd, jsonDecodeOpts...)
	t.jenc = jsontext.NewEncoder(&t.jsonOut, jsonEncodeOpts...)
	return t
}}

func getTranscoder() *transcoder { return transcoders.Get().(*transcoder) }

func putTranscoder(t *transcoder) {
	if t.msgOut.Cap() > 1<<20 || t.jsonOut.Cap() > 1<<20 {
		return // do not keep a huge buffer alive for every later message
	}
	transcoders.Put(t)
}

// writeData writes the JSON value data, with attachments in place of its
// placeholders, as one MessagePack value to enc.
func (t *transcoder) writeData(enc *msgpack.Encoder, data []byte, attachments [][]byte) error {
	if err := t.countContainers(data, len(attachments)); err != nil {
		return err
	}
	t.rd.Reset(data)
	t.jdec.Reset(&t.rd, jsonDecodeOpts...)
	next := 0
	for {
		if err := t.writeToken(enc, &next, attachments); err != nil {
			return err
		}
		if t.jdec.StackDepth() == 0 {
			return nil
		}
	}
}

func (t *transcoder) writeToken(enc *msgpack.Encoder, next *int, attachments [][]byte) error {
	switch kind := t.jdec.PeekKind(); kind {
	case '{', '[':
		c := t.containers[*next]
		if c.placeholder >= 0 {
			*next += 1 + c.nested
			if err := t.jdec.SkipValue(); err != nil {
				return err
			}
			return enc.EncodeBytes(nonNil(attachments[c.placeholder]))
		}
		*next++
		if _, err := t.jdec.ReadToken(); err != nil {
			return err
		}
		if kind == '{' {
			return enc.EncodeMapLen(c.count)
		}
		return enc.EncodeArrayLen(c.count)
	}
	tok, err := t.jdec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '}', ']':
		return nil
	case 'n':
		return enc.EncodeNil()
	case 't', 'f':
		return enc.EncodeBool(tok.Bool())
	case '"':
		return enc.EncodeString(tok.String())
	case '0':
		return writeNumber(enc, tok.String())
	}
	return errMalformed
}

// writeNumber encodes a JSON number as Node would after JSON.parse: an
// integral value as a MessagePack integer, anything else as a float64.
func writeNumber(enc *msgpack.Encoder, literal string) error {
	if !strings.ContainsAny(literal, ".eE") {
		if n, err := strconv.ParseInt(literal, 10, 64); err == nil {
			return enc.EncodeInt(n)
		}
		if n, err := strconv.ParseUint(literal, 10, 64); err == nil {
			return enc.EncodeUint(n)
		}
	}
	f, err := strconv.ParseFloat(literal, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return errMalformed
	}
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return enc.EncodeInt(int64(f))
	}
	return enc.EncodeFloat64(f)
}

// countContainers reads data once to learn every container's length and
// which objects are attachment placeholders (only when the packet has
// attachments, as socket.io-parser reconstructs only binary packets).
func (t *transcoder) countContainers(data []byte, attachments int) error {
	t.containers, t.open = t.containers[:0], t.open[:0]
	t.rd.Reset(data)
	t.jdec.Reset(&t.rd, jsonDecodeOpts...)
	values := 0
	for {
		kind := t.jdec.PeekKind()
		depth := t.jdec.StackDepth()
		_, length := t.jdec.StackIndex(depth)
		var top *container
		if len(t.open) > 0 {
			top = &t.containers[t.open[len(t.open)-1]]
		}
		isName := top != nil && top.isObject && length%2 == 0
		tok, err := t.jdec.ReadToken()
		if err == io.EOF && depth == 0 && values == 1 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", errMalformed, err)
		}
		if depth == 0 {
			if values++; values > 1 {
				return fmt.Errorf("%w: more than one JSON value", errMalformed)
			}
		}
		switch kind {
		case '{', '[':
			t.containers = append(t.containers, container{placeholder: -1, isObject: kind == '{'})
			t.open = append(t.open, len(t.containers)-1)
		case '}', ']':
			i := t.open[len(t.open)-1]
			t.open = t.open[:len(t.open)-1]
			c := &t.containers[i]
			c.count = int(length)
			if c.isObject {
				c.count /= 2
			}
			c.nested = len(t.containers) - i - 1
			if err := c.resolvePlaceholder(attachments); err != nil {
				return err
			}
		default:
			if top != nil && top.isObject && attachments > 0 {
				top.member(isName, tok)
			}
		}
	}
}

// member follows one name or value of an object that may be a placeholder.
func (c *container) member(isName bool, tok jsontext.Token) {
	if isName {
		switch tok.String() {
		case "_placeholder":
			c.lastName = 1
		case "num":
			c.lastName = 2
		default:
			c.lastName = 0
		}
		return
	}
	switch {
	case c.lastName == 1 && tok.Kind() == 't':
		c.flagged = true
	case c.lastName == 2 && tok.Kind() == '0':
		n, err := strconv.ParseInt(tok.String(), 10, 64)
		c.num, c.hasNum = n, err == nil
	}
}

// resolvePlaceholder marks c as the placeholder of an attachment, the way
// socket.io-parser recognises one: an object whose _placeholder is true.
func (c *container) resolvePlaceholder(attachments int) error {
	if !c.isObject || !c.flagged || attachments == 0 {
		return nil
	}
	if !c.hasNum || c.num < 0 || c.num >= int64(attachments) {
		return fmt.Errorf("%w: placeholder without a valid attachment number", errMalformed)
	}
	c.placeholder = int(c.num)
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
