package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"chatd"
)

// requestOrigin is the Origin header or, when it is missing or "null", the
// origin of the Referer; "" when neither names one.
func requestOrigin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return o
	}
	ref := r.Header.Get("Referer")
	if ref == "" || ref == "null" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// baOriginCheck is BetterAuth's CSRF check for its POST endpoints
// (docs/http-routes.md, "Origin check"): a request that carries cookies must
// name an origin, and an allowed one (the allow-list or its own origin).
// Requests without cookies pass: that is how native apps and servers call.
func (s *Server) baOriginCheck() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Header.Get("Cookie") == "" {
			return
		}
		origin := requestOrigin(c.Request)
		if origin == "" {
			s.authError(c, errMissingOrigin)
			return
		}
		if !s.origins.Allowed(c.Request, origin) {
			s.authError(c, errInvalidOrigin)
		}
	}
}

// baFormCSRF is 1.4.18's formCsrfMiddleware on the email sign-in and
// sign-up: with cookies, the origin check; without, and when the browser
// sent Fetch Metadata, a cross-site navigation is refused and any other
// request must name an allowed origin. Native and server calls send no
// Sec-Fetch-* headers and pass.
func (s *Server) baFormCSRF() gin.HandlerFunc {
	crossSite := chatd.Errorf(chatd.EFORBIDDEN, "Cross-site navigation login blocked. This request appears to be a CSRF attack.")
	check := s.baOriginCheck()
	return func(c *gin.Context) {
		h := c.Request.Header
		if h.Get("Cookie") != "" {
			check(c)
			return
		}
		site, mode := strings.TrimSpace(h.Get("Sec-Fetch-Site")), strings.TrimSpace(h.Get("Sec-Fetch-Mode"))
		if site == "" && mode == "" && strings.TrimSpace(h.Get("Sec-Fetch-Dest")) == "" {
			return
		}
		origin := requestOrigin(c.Request)
		switch {
		case site == "cross-site" && mode == "navigate":
			s.authError(c, crossSite)
		case origin == "":
			s.authError(c, errMissingOrigin)
		case !s.origins.Allowed(c.Request, origin):
			s.authError(c, errInvalidOrigin)
		}
	}
}

var (
	errBAMediaType = errors.New("unsupported media type")
	errBANotObject = errors.New("body must be an object")
)

// readBABody reads a BetterAuth POST body as better-call does: empty is
// {}, JSON must be an object, and a body of another content type is 415
// (form posts only where formOK). It answers the error itself; ok is false
// then.
func (s *Server) readBABody(c *gin.Context, formOK bool) (obj jsonObject, ok bool) {
	data, err := readBody(c, jsonBodyLimit)
	if err != nil {
		s.authError(c, err)
		return nil, false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return jsonObject{}, true
	}
	obj, err = decodeBABody(c.Request.Header.Get("Content-Type"), data, formOK)
	switch {
	case errors.Is(err, errBAMediaType):
		allowed := "application/json"
		if formOK {
			allowed = "application/x-www-form-urlencoded, application/json"
		}
		s.authError(c, &chatd.Error{Code: kindMediaType, Reason: "UNSUPPORTED_MEDIA_TYPE",
			Message: `Content-Type "` + mediaType(c.Request.Header.Get("Content-Type")) + `" is not allowed. Allowed types: ` + allowed})
	case errors.Is(err, errBANotObject):
		s.authError(c, chatd.Errorf(chatd.EINVALID, "Body must be an object"))
	case err != nil:
		s.authError(c, errBodyJSON)
	default:
		return obj, true
	}
	return nil, false
}

func decodeBABody(contentType string, data []byte, formOK bool) (jsonObject, error) {
	switch mt := mediaType(contentType); {
	case mt == "application/json" || mt == "":
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		if _, isObj := v.(map[string]any); !isObj {
			return nil, errBANotObject
		}
		var obj jsonObject
		return obj, json.Unmarshal(data, &obj)
	case mt == "application/x-www-form-urlencoded" && formOK:
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, err
		}
		obj := jsonObject{}
		for k := range vals {
			obj[k], _ = json.Marshal(vals.Get(k))
		}
		return obj, nil
	default:
		return nil, errBAMediaType
	}
}

func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return contentType
	}
	return mt
}
