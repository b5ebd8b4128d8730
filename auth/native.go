package auth

import (
	"slices"
	"strings"
)

// DefaultNativeOrigins are the origins the Capacitor apps' WebViews send:
// iOS (capacitor://localhost) and Android with androidScheme http or https.
var DefaultNativeOrigins = []string{"capacitor://localhost", "http://localhost", "https://localhost"}

// NativeOrigins recognises requests made by the native apps. Their pages
// live on a localhost origin of the device, so every call they make to chatd
// is cross-site: session cookies need SameSite=None to come back, and a
// socket that presents a registered id without a credential may be one of
// theirs (NATIVE_ID_FALLBACK). A browser cannot forge Origin; any other
// client can, so this says where a request claims to come from, never who
// sent it.
type NativeOrigins struct{ list []string }

// NewNativeOrigins is DefaultNativeOrigins plus extra (NATIVE_ORIGINS, e.g.
// a Capacitor server.hostname other than localhost). Entries are trimmed
// and lose a trailing "/", as CORS_ORIGINS entries do.
func NewNativeOrigins(extra []string) NativeOrigins {
	var n NativeOrigins
	for _, o := range append(slices.Clone(DefaultNativeOrigins), extra...) {
		if o = normalOrigin(o); o != "" && o != "*" && !slices.Contains(n.list, o) {
			n.list = append(n.list, o)
		}
	}
	return n
}

// Contains reports whether origin (a request's Origin header) is a native
// app's. The match is exact, as for the CORS allow-list.
func (n NativeOrigins) Contains(origin string) bool {
	origin = normalOrigin(origin)
	return origin != "" && slices.Contains(n.list, origin)
}

// List is every native origin, defaults first.
func (n NativeOrigins) List() []string { return slices.Clone(n.list) }

func normalOrigin(o string) string { return strings.TrimRight(strings.TrimSpace(o), "/") }
