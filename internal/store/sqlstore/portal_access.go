package sqlstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
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
func (q *queries) EndLostAccess(ctx context.Context, orgID, memberID int64, clientID string, now time.Time) ([]store.LostAccess, error) {
	lost := map[[2]any]*store.LostAccess{}
	of := func(member int64, client string) *store.LostAccess {
		k := [2]any{member, client}
		if lost[k] == nil {
			lost[k] = &store.LostAccess{MemberID: member, ClientID: client}
		}
		return lost[k]
	}
	err := q.InTx(ctx, func(ctx context.Context) error {
		if _, err := q.exec(ctx, `DELETE FROM oidc_auth_requests WHERE org_id = ? AND member_id <> 0 AND code_used_at = 0
			AND (? = 0 OR member_id = ?) AND (? = '' OR client_id = ?) AND NOT `+admittedBy("oidc_auth_requests"),
			orgID, memberID, memberID, clientID, clientID); err != nil {
			return err
		}
		err := q.deleteReturning(ctx, func(s scanner) error {
			var member int64
			var client string
			if err := s.Scan(&member, &client); err != nil {
				return err
			}
			of(member, client).Tokens++
			return nil
		}, `DELETE FROM oidc_tokens WHERE org_id = ? AND member_id <> 0
			AND (? = 0 OR member_id = ?) AND (? = '' OR client_id = ?) AND NOT `+admittedBy("oidc_tokens")+`
			RETURNING member_id, client_id`, orgID, memberID, memberID, clientID, clientID)
		if err != nil {
			return err
		}
		var taken []store.SessionPortal
		err = q.deleteReturning(ctx, func(s scanner) error {
			sp := store.SessionPortal{OrgID: orgID}
			if err := s.Scan(&sp.MemberID, &sp.ClientID, &sp.SessionID); err != nil {
				return err
			}
			taken = append(taken, sp)
			return nil
		}, `DELETE FROM oidc_session_portals WHERE org_id = ?
			AND (? = 0 OR member_id = ?) AND (? = '' OR client_id = ?) AND NOT `+admittedBy("oidc_session_portals")+`
			RETURNING member_id, client_id, session_id`, orgID, memberID, memberID, clientID, clientID)
		if err != nil {
			return err
		}
		return q.queueLostAccessLogouts(ctx, taken, now, of)
	})
	list := make([]store.LostAccess, 0, len(lost))
	for _, l := range lost {
		list = append(list, *l)
	}
	slices.SortFunc(list, func(a, b store.LostAccess) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.MemberID, b.MemberID))
	})
	return list, err
}

// queueLostAccessLogouts queues a back-channel logout for each session
// record taken whose portal has a back-channel logout URI: the portal
// ends its sign-in of a member it may no longer admit. The message's jti
// is random, as the provider's own are.
func (q *queries) queueLostAccessLogouts(ctx context.Context, taken []store.SessionPortal, now time.Time,
	of func(int64, string) *store.LostAccess) error {
	tells := map[string]bool{}
	for _, sp := range taken {
		told, known := tells[sp.ClientID]
		if !known {
			var uri string
			err := q.queryRow(ctx, `SELECT backchannel_logout_uri FROM portals WHERE org_id = ? AND client_id = ?`,
				sp.OrgID, sp.ClientID).Scan(&uri)
			if err != nil && !errors.Is(err, store.ErrNotFound) { // the portal is gone: nobody to tell
				return err
			}
			told, tells[sp.ClientID] = uri != "", uri != ""
		}
		if !told {
			continue
		}
		m := store.LogoutMessage{OrgID: sp.OrgID, ClientID: sp.ClientID, MemberID: sp.MemberID, SessionID: sp.SessionID,
			JTI: rand.Text(), NextAttemptAt: now, CreatedAt: now}
		if err := q.EnqueueLogout(ctx, &m); err != nil {
			return err
		}
		of(sp.MemberID, sp.ClientID).Logouts++
	}
	return nil
}

// deleteReturning runs a DELETE … RETURNING on the writer (or the
// transaction) and calls fn for every row it returns.
func (q *queries) deleteReturning(ctx context.Context, fn func(scanner) error, query string, args ...any) error {
	tq := q.in(ctx)
	tq.roundTrips.Add(1)
	rows, err := tq.w.QueryContext(ctx, tq.bind(query), args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
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
