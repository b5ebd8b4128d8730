package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// NasMatch is what a client reported about the network it is on. Empty
// fields are not criteria.
type NasMatch struct {
	NasID    string
	BSSID    string
	PublicIP string
}

// TenantByNas resolves the tenant of the "NasDevice" matching m, trying the
// criteria in a fixed order (nasId, then bssid, then publicIp) so that the
// answer is deterministic where the original's OR query was not. No criteria,
// or no match, is ErrNotFound.
func (db *DB) TenantByNas(ctx context.Context, m NasMatch) (Tenant, error) {
	for _, c := range []struct{ column, value string }{
		{"nasId", m.NasID}, {"bssid", m.BSSID}, {"publicIp", m.PublicIP},
	} {
		if c.value == "" {
			continue
		}
		var t Tenant
		err := db.db.GetContext(ctx, &t, `SELECT `+tenantColumns+`
			FROM "NasDevice" n JOIN "Tenant" t ON t."id" = n."tenantId"
			WHERE n.`+fmt.Sprintf("%q", c.column)+` = $1
			ORDER BY n."createdAt" ASC, n."id" ASC LIMIT 1`, c.value)
		if err == nil {
			return t, nil
		}
		if err = notFound("store: tenant by nas", err); !errors.Is(err, ErrNotFound) {
			return Tenant{}, err
		}
	}
	return Tenant{}, fmt.Errorf("store: tenant by nas: %w", ErrNotFound)
}

// pointNasAtTenant makes the device with this public IP belong to tenantID
// under name, creating it when there is none (setup-review, step 5).
func (db *DB) pointNasAtTenant(ctx context.Context, tx *sqlx.Tx, publicIP, tenantID, name string) error {
	now := db.Now()
	_, err := tx.ExecContext(ctx, `
		INSERT INTO "NasDevice" ("id", "publicIp", "tenantId", "name", "createdAt", "updatedAt")
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT ("publicIp") DO UPDATE SET "tenantId" = EXCLUDED."tenantId",
			"name" = EXCLUDED."name", "updatedAt" = EXCLUDED."updatedAt"`,
		NewUUID(), publicIP, tenantID, name, now)
	if err != nil {
		return fmt.Errorf("store: point nas at tenant: %w", err)
	}
	return nil
}
