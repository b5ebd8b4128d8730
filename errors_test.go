package chatd_test

import (
	"database/sql"
	"fmt"
	"testing"

	"chatd"
)

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"nil", nil, "", ""},
		{"plain error hides its text", sql.ErrConnDone, chatd.EINTERNAL, "Internal error."},
		{"typed", chatd.Errorf(chatd.ENOTFOUND, "Tenant %q not found", "x"), chatd.ENOTFOUND, `Tenant "x" not found`},
		{"wrapped typed", fmt.Errorf("load: %w", chatd.Errorf(chatd.EFORBIDDEN, "Forbidden")), chatd.EFORBIDDEN, "Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chatd.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := chatd.ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}
