package sqlstore

import (
	"context"
	"time"

	"imslogin/internal/store"
)

const registrationColumns = `r.org_id, r.member_id, r.portal_id, r.email, r.sent_at, r.expires_at, r.count_from`

func registrationTargets(r *store.Registration) []any {
	return []any{&r.OrgID, &r.MemberID, idOrZero{&r.PortalID}, &r.Email, msTime{&r.SentAt}, msTime{&r.ExpiresAt},
		msTime{&r.CountFrom}}
}

// PutRegistration writes the row; the member must be the organisation's
// (the INSERT reads it), so another organisation's ID writes nothing.
func (q *queries) PutRegistration(ctx context.Context, r store.Registration) error {
	return q.execOne(ctx, `INSERT INTO registrations (member_id, org_id, portal_id, email, sent_at, expires_at, count_from)
		SELECT m.id, m.org_id, ?, ?, ?, ?, ? FROM members m WHERE m.org_id = ? AND m.id = ?
		ON CONFLICT (member_id) DO UPDATE SET portal_id = excluded.portal_id, email = excluded.email,
		sent_at = excluded.sent_at, expires_at = excluded.expires_at, count_from = excluded.count_from`,
		nullID(r.PortalID), r.Email, ms(r.SentAt), ms(r.ExpiresAt), ms(r.CountFrom), r.OrgID, r.MemberID)
}

func (q *queries) RegistrationOf(ctx context.Context, orgID, memberID int64) (store.Registration, error) {
	var r store.Registration
	err := q.queryRow(ctx, `SELECT `+registrationColumns+` FROM registrations r WHERE r.org_id = ? AND r.member_id = ?`,
		orgID, memberID).Scan(registrationTargets(&r)...)
	return r, translate(err)
}

func (q *queries) RegistrationsOf(ctx context.Context, orgID int64) ([]store.Registration, error) {
	rows, err := q.query(ctx, `SELECT `+registrationColumns+` FROM registrations r WHERE r.org_id = ? ORDER BY r.member_id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []store.Registration
	for rows.Next() {
		var r store.Registration
		if err := rows.Scan(registrationTargets(&r)...); err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

func (q *queries) ResetRemovalCount(ctx context.Context, orgID, memberID int64, at time.Time) error {
	return q.execOne(ctx, `UPDATE registrations SET count_from = ? WHERE org_id = ? AND member_id = ?`, ms(at), orgID, memberID)
}

// unlinkedCondition holds for a member m with neither a password nor an
// identity at a login service.
const unlinkedCondition = `COALESCE(m.password_hash, '') = ''
	AND NOT EXISTS (SELECT 1 FROM member_identities i WHERE i.member_id = m.id)`

func (q *queries) UnlinkedPastLimit(ctx context.Context, now time.Time, limit int) ([]store.Unlinked, error) {
	rows, err := q.query(ctx, `SELECT `+registrationColumns+`, `+prefixed("m.", memberColumns)+`
		FROM registrations r JOIN members m ON m.id = r.member_id AND m.org_id = r.org_id
		JOIN organisations o ON o.id = r.org_id
		WHERE `+unlinkedCondition+` AND r.count_from + CAST(o.unlinked_removal_days AS BIGINT) * 86400000 < ?
		ORDER BY r.count_from, r.member_id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []store.Unlinked
	for rows.Next() {
		var u store.Unlinked
		if err := rows.Scan(append(registrationTargets(&u.Registration), memberTargets(&u.Member)...)...); err != nil {
			return nil, err
		}
		list = append(list, u)
	}
	return list, rows.Err()
}

func (q *queries) DeleteUnlinkedMember(ctx context.Context, orgID, memberID int64, countedBefore time.Time) error {
	return q.execOne(ctx, `DELETE FROM members WHERE org_id = ? AND id = ? AND id IN (
		SELECT m.id FROM members m JOIN registrations r ON r.member_id = m.id
		WHERE m.org_id = ? AND m.id = ? AND r.count_from < ? AND `+unlinkedCondition+`)`,
		orgID, memberID, orgID, memberID, ms(countedBefore))
}
