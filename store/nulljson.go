package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// NullJSON is a JSON column (jsonb; TEXT on SQLite) that may be NULL. It marshals as the raw JSON,
// or null.
type NullJSON struct {
	JSON  json.RawMessage
	Valid bool
}

// Scan implements sql.Scanner.
func (n *NullJSON) Scan(v any) error {
	switch b := v.(type) {
	case nil:
		*n = NullJSON{}
	case []byte:
		*n = NullJSON{JSON: append(json.RawMessage(nil), b...), Valid: true}
	case string:
		*n = NullJSON{JSON: json.RawMessage(b), Valid: true}
	default:
		return fmt.Errorf("store: cannot scan %T into NullJSON", v)
	}
	return nil
}

// Value implements driver.Valuer. The JSON goes as text: PostgreSQL parses it
// into jsonb (a []byte would go in binary format under binary_parameters,
// which jsonb reads differently), SQLite keeps it as TEXT (a []byte would be
// stored as a BLOB).
func (n NullJSON) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return string(n.JSON), nil
}

// MarshalJSON writes the raw JSON, or null.
func (n NullJSON) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return n.JSON, nil
}
