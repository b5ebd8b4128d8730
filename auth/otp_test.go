package auth

import "testing"

func TestOTPHashAndCode(t *testing.T) {
	t.Parallel()
	h := otpHash("secret", "+393331234567", "123456")
	if len(h) != 64 || h == otpHash("secret", "+393331234567", "123457") || h == otpHash("other", "+393331234567", "123456") {
		t.Fatal("the hash must depend on secret, phone and code")
	}
	if encodeOTPValue(otpValue{V: 1, H: "ab", A: 2}) != `{"v":1,"h":"ab","a":2}` {
		t.Fatal("stored value format")
	}
	for range 200 {
		c, err := newOTPCode()
		if err != nil || len(c) != 6 || c < "100000" || c > "999999" {
			t.Fatalf("code %q %v", c, err)
		}
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"+39 333 123 4567", "+393331234567", true},
		{"+39\t3331234567\n", "+393331234567", true},
		{"+39333123456", "+39333123456", true},
		{"+3933312345678", "", false},
		{"00393331234567", "", false},
		{"+39333abc4567", "", false},
	} {
		got, err := CleanPhone(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Fatalf("CleanPhone(%q) = %q, %v", tc.in, got, err)
		}
	}
}
