package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"imslogin/internal/store"
)

// admittedBy is true when the portal of the row of table (its org_id,
// client_id and member_id) admits the member by its access rule. A
// portal that is gone admits nobody.
func admittedBy(table string) string {
	return `EXISTS (SELECT 1 FROM portals ap JOIN members am ON am.org_id = ap.org_id
		WHERE ap.org_id = ` + table + `.org_id AND ap.client_id = ` + table + `.client_id AND am.id = ` + table + `.member_id
		AND ` + ruleAdmits("ap", "am") + `)`
}

// ruleAdmits is true when the access rule of portal (an alias of
// portals) admits member (an alias of members), as portal.MayUse decides
// it: every member, a member holding one of the portal's roles (a custom
// role by ID, else the built-in role), or one of its chosen members.
func ruleAdmits(portal, member string) string {
	return `(` + portal + `.access = 'all'
		OR (` + portal + `.access = 'roles' AND EXISTS (SELECT 1 FROM portal_roles ar WHERE ar.portal_id = ` + portal + `.id
			AND (ar.role_id = ` + member + `.role_id OR (` + member + `.role_id IS NULL AND ar.builtin = ` + member + `.role))))
		OR (` + portal + `.access = 'members' AND EXISTS (SELECT 1 FROM portal_members apm
			WHERE apm.portal_id = ` + portal + `.id AND apm.member_id = ` + member + `.id)))`
}

// EndLostAccess deletes by the (org_id, member_id, client_id) index of
// tokens when a member is named; for a whole portal it reads the
// organisation's tokens once, which an administrator's change affords.
func (q *queries) EndLostAccess(ctx context.Context, orgID, memberID int64, clientID string) ([]store.LostAccess, error) {
	var list []store.LostAccess
	err := q.InTx(ctx, func(ctx context.Context) error {
		tq := q.in(ctx)
		if _, err := tq.exec(ctx, `DELETE FROM oidc_auth_requests WHERE org_id = ? AND member_id <> 0 AND code_used_at = 0
			AND (? = 0 OR member_id = ?) AND (? = '' OR client_id = ?) AND NOT `+admittedBy("oidc_auth_requests"),
			orgID, memberID, memberID, clientID, clientID); err != nil {
			return err
		}
		tq.roundTrips.Add(1)
		rows, err := tq.w.QueryContext(ctx, tq.bind(`DELETE FROM oidc_tokens WHERE org_id = ? AND member_id <> 0
			AND (? = 0 OR member_id = ?) AND (? = '' OR client_id = ?) AND NOT `+admittedBy("oidc_tokens")+`
			RETURNING member_id, client_id`), orgID, memberID, memberID, clientID, clientID)
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		count := map[store.LostAccess]int64{}
		for rows.Next() {
			var k store.LostAccess
			if err := rows.Scan(&k.MemberID, &k.ClientID); err != nil {
				return err
			}
			count[k]++
		}
		for k, n := range count {
			k.Tokens = n
			list = append(list, k)
		}
		return rows.Err()
	})
	slices.SortFunc(list, func(a, b store.LostAccess) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.MemberID, b.MemberID))
	})
	return list, err
}

// PortalUsage counts by the consents' primary key and the tokens'
// (org_id, member_id, client_id) index within the organisation.
func (q *queries) PortalUsage(ctx context.Context, orgID int64, clientID string, now time.Time) (store.PortalUsage, error) {
	var u store.PortalUsage
	err := q.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM oidc_consents WHERE org_id = ? AND client_id = ? AND consented_scopes <> ''),
		(SELECT COUNT(DISTINCT member_id) FROM oidc_tokens WHERE org_id = ? AND client_id = ? AND member_id <> 0
			AND expires_at > ? AND (kind = ? OR rotated_at = 0))`,
		orgID, clientID, orgID, clientID, ms(now), store.TokenAccess).Scan(&u.Consented, &u.Holding)
	return u, err
}
