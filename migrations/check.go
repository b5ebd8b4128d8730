package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// required lists every table chatd reads or writes and, per column, the
// information_schema data_type it must have. "USER-DEFINED" is an enum.
var required = map[string]map[string]string{
	"Tenant": {"id": "text", "name": "text", "slug": "text", "metadata": "jsonb", "logoUrl": "text",
		"address": "text", "createdAt": ts, "updatedAt": ts, "bssid": "text", "staticIp": "text",
		"latitude": "double precision", "longitude": "double precision", "menuEnabled": "boolean",
		"feedbackEnabled": "boolean", "staffEnabled": "boolean", "menuUrl": "text"},
	"NasDevice": {"id": "text", "nasId": "text", "vpnIp": "text", "publicIp": "text", "bssid": "text",
		"name": "text", "tenantId": "text", "createdAt": ts, "updatedAt": ts},
	"user": {"id": "text", "name": "text", "email": "text", "emailVerified": "boolean", "image": "text",
		"phoneNumber": "text", "gender": "text", "status": "text", "isAnonymous": "boolean",
		"role": enum, "createdAt": ts, "updatedAt": ts},
	"session": {"id": "text", "userId": "text", "token": "text", "expiresAt": ts, "ipAddress": "text",
		"userAgent": "text", "createdAt": ts, "updatedAt": ts},
	"account": {"id": "text", "userId": "text", "accountId": "text", "providerId": "text",
		"accessToken": "text", "refreshToken": "text", "accessTokenExpiresAt": ts,
		"refreshTokenExpiresAt": ts, "scope": "text", "idToken": "text", "password": "text",
		"createdAt": ts, "updatedAt": ts},
	"verification": {"id": "text", "identifier": "text", "value": "text", "expiresAt": ts,
		"createdAt": ts, "updatedAt": ts},
	"TenantMember": {"id": "text", "userId": "text", "tenantId": "text", "role": enum,
		"canModerate": "boolean", "canManageOrders": "boolean", "canViewStats": "boolean",
		"createdAt": ts, "updatedAt": ts},
	"Room": {"id": "text", "name": "text", "description": "text", "type": enum, "tenantId": "text",
		"createdAt": ts},
	"Message": {"id": "text", "text": "text", "imageUrl": "text", "createdAt": ts, "senderId": "text",
		"senderAlias": "text", "senderGender": "text", "recipientId": "text", "roomId": "text",
		"userId": "text", "tenantId": "text"},
	"passkey": {"id": "text", "name": "text", "publicKey": "text", "userId": "text",
		"credentialID": "text", "counter": "integer", "deviceType": "text", "backedUp": "boolean",
		"transports": "text", "aaguid": "text", "createdAt": ts},
	"Feedback": {"id": "text", "score": "integer", "comment": "text", "userId": "text",
		"tenantId": "text", "createdAt": ts},
	"BiometricToken": {"id": "text", "token": "text", "userId": "text", "deviceId": "text",
		"createdAt": ts, "expiresAt": ts},
	"BlockedUser": {"id": "text", "userId": "text", "blockedId": "text", "createdAt": ts},
	"Report": {"id": "text", "reporterId": "text", "accusedId": "text", "reason": "text",
		"details": "text", "context": "jsonb", "tenantId": "text", "createdAt": ts},
	"HiddenConversation": {"id": "text", "userId": "text", "peerId": "text", "tenantId": "text",
		"hiddenAt": ts},
}

const (
	ts   = "timestamp without time zone"
	enum = "USER-DEFINED"
)

// Check verifies that every table and column chatd uses exists with a
// compatible type, in the current search_path (PostgreSQL) or the file
// (SQLite). The error names everything missing, so an operator can fix the
// schema in one go.
func Check(ctx context.Context, db *sql.DB) error {
	have, err := Columns(ctx, db)
	if err != nil {
		return err
	}
	want := required
	if IsSQLite(db) {
		want = sqliteRequired()
	}
	if problems := compare(want, have); len(problems) > 0 {
		return fmt.Errorf("migrations: schema check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Columns reads the schema: table -> column -> type (information_schema's
// data_type on PostgreSQL, the declared type on SQLite).
func Columns(ctx context.Context, db *sql.DB) (map[string]map[string]string, error) {
	query := `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema()`
	if IsSQLite(db) {
		query = `SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("migrations: read schema: %w", err)
	}
	defer rows.Close()
	have := map[string]map[string]string{}
	for rows.Next() {
		var table, column, dataType string
		if err := rows.Scan(&table, &column, &dataType); err != nil {
			return nil, fmt.Errorf("migrations: read schema: %w", err)
		}
		if have[table] == nil {
			have[table] = map[string]string{}
		}
		have[table][column] = dataType
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrations: read schema: %w", err)
	}
	return have, nil
}

// SQLiteType is the type the SQLite schema declares for a PostgreSQL
// information_schema data_type.
func SQLiteType(postgresType string) string {
	switch postgresType {
	case ts, "timestamp with time zone":
		return "TIMESTAMP"
	case "boolean":
		return "BOOLEAN"
	case "integer":
		return "INTEGER"
	case "double precision":
		return "REAL"
	default: // text, jsonb, enums
		return "TEXT"
	}
}

func sqliteRequired() map[string]map[string]string {
	out := make(map[string]map[string]string, len(required))
	for table, columns := range required {
		out[table] = make(map[string]string, len(columns))
		for column, t := range columns {
			out[table][column] = SQLiteType(t)
		}
	}
	return out
}

func compare(want, have map[string]map[string]string) []string {
	var problems []string
	for table, columns := range want {
		got, ok := have[table]
		if !ok {
			problems = append(problems, fmt.Sprintf("missing table %q", table))
			continue
		}
		for column, want := range columns {
			switch dataType, ok := got[column]; {
			case !ok:
				problems = append(problems, fmt.Sprintf("missing column %q.%q", table, column))
			case dataType != want && !(want == ts && dataType == "timestamp with time zone"):
				problems = append(problems, fmt.Sprintf("column %q.%q is %s, want %s", table, column, dataType, want))
			}
		}
	}
	sort.Strings(problems)
	return problems
}
