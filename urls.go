package chatd

import (
	"net/url"
	"path"
	"strings"
)

// URL fields (a user's image, a tenant's logoUrl and menuUrl, a message's
// imageUrl) end up in src and href attributes of every client, so a value a
// client stored must never be a javascript:, data:text/html or other
// scriptable URL. Each field accepts only what its clients produce:
//
//   - every URL field: an absolute http(s) URL (Google's profile pictures,
//     an upload on a CDN) or a path under this server's /api/uploads/ (what
//     the avatar upload answers, made absolute by the clients);
//   - a tenant's logoUrl and a message's imageUrl also: an inline base64
//     image (the admin dialog and the chat composer send FileReader data
//     URLs);
//   - a tenant's menuUrl also: an inline base64 image or PDF (the menu
//     upload accepts image/* and application/pdf).
//
// Every other value is refused (HTTP 400, a socket `error` event), never
// cleaned into something else.

// uploadsPrefix is where this server serves its uploads (GET /api/uploads/*).
const uploadsPrefix = "/api/uploads/"

// IsAssetURL reports whether s is an absolute http(s) URL with a host, or a
// clean path under /api/uploads/.
func IsAssetURL(s string) bool {
	if s == "" || strings.ContainsFunc(s, notURLRune) {
		return false
	}
	if strings.HasPrefix(s, "/") {
		return isUploadPath(s)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// isUploadPath accepts /api/uploads/<file…> without "..", "." or empty
// segments, a query or a fragment: the paths the avatar upload hands out.
func isUploadPath(s string) bool {
	if !strings.HasPrefix(s, uploadsPrefix) || len(s) == len(uploadsPrefix) || strings.ContainsAny(s, `?#\%`) {
		return false
	}
	return path.Clean(s) == s
}

// IsInlineImage reports whether s is a base64 data URL of an image:
// data:image/<subtype>;base64,<payload>.
func IsInlineImage(s string) bool { return isBase64DataURL(s, "image/") }

// IsInlinePDF reports whether s is a base64 data URL of a PDF.
func IsInlinePDF(s string) bool { return isBase64DataURL(s, "application/pdf;") }

// isBase64DataURL checks the media type's prefix (case-insensitive, as
// browsers read it), a ";base64," marker and a payload of base64 characters
// only, so no markup can follow the header.
func isBase64DataURL(s, mediaPrefix string) bool {
	const scheme = "data:"
	if len(s) < len(scheme)+len(mediaPrefix) || !strings.EqualFold(s[:len(scheme)+len(mediaPrefix)], scheme+mediaPrefix) {
		return false
	}
	header, payload, ok := strings.Cut(s[len(scheme):], ",")
	if !ok || !strings.HasSuffix(strings.ToLower(header), ";base64") {
		return false
	}
	mediaType, _, _ := strings.Cut(header, ";")
	if _, subtype, _ := strings.Cut(mediaType, "/"); subtype == "" || strings.ContainsFunc(subtype, notTokenRune) {
		return false
	}
	return !strings.ContainsFunc(payload, notBase64Rune)
}

func notURLRune(r rune) bool { return r <= ' ' || r == 0x7f }

func notTokenRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-.", r))
}

func notBase64Rune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=')
}
