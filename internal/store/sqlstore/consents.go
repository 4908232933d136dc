package sqlstore

import (
	"context"
	"time"

	"imslogin/internal/store"
)

const portalGrantColumns = `org_id, member_id, client_id, scopes, consented_scopes, consented_at, last_used_at`

func portalGrantTargets(g *store.PortalGrant) []any {
	return []any{&g.OrgID, &g.MemberID, &g.ClientID, wordList{&g.Scopes}, wordList{&g.Consented},
		msTime{&g.ConsentedAt}, msTime{&g.LastUsedAt}}
}

func (q *queries) PortalGrant(ctx context.Context, orgID, memberID int64, clientID string) (store.PortalGrant, error) {
	var g store.PortalGrant
	err := q.queryRow(ctx, `SELECT `+portalGrantColumns+` FROM oidc_consents
		WHERE org_id = ? AND member_id = ? AND client_id = ?`, orgID, memberID, clientID).Scan(portalGrantTargets(&g)...)
	return g, translate(err)
}

func (q *queries) Consent(ctx context.Context, orgID, memberID int64, clientID string, scopes []string, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO oidc_consents (org_id, member_id, client_id, consented_scopes, consented_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, member_id, client_id) DO UPDATE SET consented_scopes = excluded.consented_scopes,
		consented_at = excluded.consented_at`, orgID, memberID, clientID, words(scopes), ms(at))
	return err
}

func (q *queries) RecordPortalUse(ctx context.Context, orgID, memberID int64, clientID string, scopes []string, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO oidc_consents (org_id, member_id, client_id, scopes, last_used_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, member_id, client_id) DO UPDATE SET scopes = excluded.scopes,
		last_used_at = excluded.last_used_at`, orgID, memberID, clientID, words(scopes), ms(at))
	return err
}

func (q *queries) PortalGrants(ctx context.Context, orgID, memberID int64) ([]store.PortalGrant, error) {
	rows, err := q.query(ctx, `SELECT `+portalGrantColumns+` FROM oidc_consents
		WHERE org_id = ? AND member_id = ? ORDER BY last_used_at DESC, client_id`, orgID, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []store.PortalGrant
	for rows.Next() {
		var g store.PortalGrant
		if err := rows.Scan(portalGrantTargets(&g)...); err != nil {
			return nil, err
		}
		list = append(list, g)
	}
	return list, rows.Err()
}

func (q *queries) DeletePortalGrant(ctx context.Context, orgID, memberID int64, clientID string) error {
	return q.execOne(ctx, `DELETE FROM oidc_consents WHERE org_id = ? AND member_id = ? AND client_id = ?`,
		orgID, memberID, clientID)
}
