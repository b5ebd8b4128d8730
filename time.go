package chatd

import "time"

// TimeLayout is how every timestamp goes on the wire: what JavaScript's
// toISOString produces (UTC, exactly three fractional digits, "Z"). The
// BetterAuth client only turns strings with 1–7 fractional digits into Dates.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// DBTime is t as chatd stores it: UTC, truncated to the millisecond that a
// TIMESTAMP(3) column keeps, so a value read back equals the value written.
func DBTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
