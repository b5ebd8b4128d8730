package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"chatd"
)

// Body limits (docs/http-routes.md, "Request bodies"): JSON bodies are small,
// except the tenant update, which carries logos and menus as data URLs (nginx
// allowed 10M).
const (
	jsonBodyLimit   = 1 << 20
	tenantBodyLimit = 10 << 20
)

// jsonObject is a decoded JSON object whose fields are read one by one, so
// that a field of the wrong type is told apart from one that is absent.
type jsonObject map[string]json.RawMessage

// readBody reads at most limit bytes of the request body. Its errors are
// errBodyTooLarge, chatd.ErrInvalidText (textReader) and errBodyJSON (the
// connection failed), which every style's writer words (errors.go).
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errBodyTooLarge
	} else if errors.Is(err, chatd.ErrInvalidText) {
		return nil, chatd.ErrInvalidText
	} else if err != nil {
		return nil, errBodyJSON
	}
	return data, nil
}

// readJSONObject reads at most limit bytes of the request body as one JSON
// object. An empty body is an empty object (native clients post without one);
// anything else that is not an object is errBodyJSON.
func readJSONObject(c *gin.Context, limit int64) (jsonObject, error) {
	if c.Request.Body == nil {
		return jsonObject{}, nil
	}
	data, err := readBody(c, limit)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return jsonObject{}, nil
	}
	var obj jsonObject
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, errBodyJSON
	}
	return obj, nil
}

// has reports whether key is present and not null.
func (o jsonObject) has(key string) bool {
	v, ok := o[key]
	return ok && string(v) != "null"
}

// str reads key as a string. present is false when the key is absent or
// null; ok is false when it holds something other than a string.
func (o jsonObject) str(key string) (s string, present, ok bool) {
	if !o.has(key) {
		return "", false, true
	}
	err := json.Unmarshal(o[key], &s)
	return s, true, err == nil
}

// boolean reads key as a JSON boolean, with str's present/ok meaning.
func (o jsonObject) boolean(key string) (b, present, ok bool) {
	if !o.has(key) {
		return false, false, true
	}
	err := json.Unmarshal(o[key], &b)
	return b, true, err == nil
}
