package engineio

import (
	"net/url"
	"strings"
)

// QueryValue is url.Values.Get(key) on the parsed rawQuery, and whether the
// key is there, without parsing the rest: a handshake's query is read a few
// keys at a time on the hot path, and url.ParseQuery would build a map of
// every key for each read. It skips the pairs ParseQuery drops (a
// semicolon, a bad escape) and allocates only to unescape a matching value.
func QueryValue(rawQuery, key string) (string, bool) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if !queryKeyIs(k, key) {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			var err error
			if v, err = url.QueryUnescape(v); err != nil {
				continue
			}
		}
		return v, true
	}
	return "", false
}

// queryKeyIs reports whether the raw (escaped) key k unescapes to key.
func queryKeyIs(k, key string) bool {
	if !strings.ContainsAny(k, "%+") {
		return k == key
	}
	u, err := url.QueryUnescape(k)
	return err == nil && u == key
}

// isVersion4 reports whether the query asks for Engine.IO protocol 4.
func isVersion4(rawQuery string) bool {
	v, _ := QueryValue(rawQuery, "EIO")
	return v == "4"
}
