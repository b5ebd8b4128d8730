package store

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Prisma generates ids client-side (no database default), so chatd makes
// every id itself, in the format the product's own writer would have used.

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewUUID returns a lower-case UUID v4, the id of the app's own tables.
func NewUUID() string { return uuid.NewString() }

// NewID returns 32 characters from [A-Za-z0-9], unbiased, from the CSPRNG:
// the id and session-token format BetterAuth writes.
func NewID() string { return RandomString(32) }

// RandomString returns n characters from [A-Za-z0-9], drawn without modulo bias.
func RandomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("store: crypto/rand failed: %v", err)) // never happens on Linux
		}
		for _, b := range buf {
			// 248 = 4*62: bytes at or above it would favour the first letters.
			if b < 248 && len(out) < n {
				out = append(out, alphanumeric[int(b)%len(alphanumeric)])
			}
		}
	}
	return string(out)
}

var cuidCounter atomic.Uint32

// NewCUID returns an id in cuid v1's shape (25 characters, "c" then [a-z0-9]),
// what Prisma's @default(cuid()) gives the Room table.
func NewCUID() string {
	ts := pad(strconv.FormatInt(time.Now().UnixMilli(), 36), 8)
	count := pad(strconv.FormatUint(uint64(cuidCounter.Add(1)%1679616), 36), 4)
	random := make([]byte, 12)
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	for i, b := range buf {
		random[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[int(b)%36]
	}
	return "c" + ts + count + string(random)
}

func pad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s[len(s)-n:]
}
