package sqlstore

import (
	"context"

	"imslogin/internal/store"
)

func (q *queries) Branding(ctx context.Context, orgID int64) (store.Branding, error) {
	var b store.Branding
	err := q.queryRow(ctx, `SELECT org_id, accent, logo, updated_at FROM organisation_branding WHERE org_id = ?`, orgID).
		Scan(&b.OrgID, &b.Accent, &b.Logo, msTime{&b.UpdatedAt})
	if len(b.Logo) == 0 {
		b.Logo = nil
	}
	return b, translate(err)
}

func (q *queries) SetBranding(ctx context.Context, b store.Branding) error {
	logo := b.Logo
	if logo == nil {
		logo = []byte{}
	}
	_, err := q.exec(ctx, `INSERT INTO organisation_branding (org_id, accent, logo, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET accent = excluded.accent, logo = excluded.logo, updated_at = excluded.updated_at`,
		b.OrgID, b.Accent, logo, ms(b.UpdatedAt))
	return err
}
