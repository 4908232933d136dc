package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"imslogin/internal/store"
)

// RecordSessionPortal copies the session's absolute end, so housekeeping
// can delete the record by index once the session cannot be alive.
func (q *queries) RecordSessionPortal(ctx context.Context, orgID, sessionID int64, clientID string) error {
	_, err := q.exec(ctx, `INSERT INTO oidc_session_portals (org_id, session_id, client_id, member_id, expires_at)
		SELECT org_id, id, ?, member_id, expires_at FROM sessions WHERE org_id = ? AND id = ?
		ON CONFLICT (session_id, client_id) DO NOTHING`, clientID, orgID, sessionID)
	return err
}

func (q *queries) TakeSessionPortals(ctx context.Context, orgID, memberID, sessionID int64) ([]store.SessionPortal, error) {
	q.roundTrips.Add(1)
	rows, err := q.in(ctx).w.QueryContext(ctx, q.bind(`DELETE FROM oidc_session_portals
		WHERE org_id = ? AND member_id = ? AND (? = 0 OR session_id = ?)
		RETURNING org_id, session_id, member_id, client_id`), orgID, memberID, sessionID, sessionID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.SessionPortal
	for rows.Next() {
		var p store.SessionPortal
		if err := rows.Scan(&p.OrgID, &p.SessionID, &p.MemberID, &p.ClientID); err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b store.SessionPortal) int {
		return cmp.Or(cmp.Compare(a.SessionID, b.SessionID), cmp.Compare(a.ClientID, b.ClientID))
	})
	return list, rows.Err()
}

func (q *queries) EnqueueLogout(ctx context.Context, m *store.LogoutMessage) error {
	if m.Status == "" {
		m.Status = store.MailPending
	}
	id, err := q.insertID(ctx, `INSERT INTO oidc_logout_outbox
		(org_id, client_id, member_id, session_id, jti, status, attempts, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, m.ClientID, m.MemberID, m.SessionID, m.JTI, string(m.Status), m.Attempts, ms(m.NextAttemptAt),
		ms(m.CreatedAt))
	m.ID = id
	return err
}

const logoutColumns = `id, org_id, client_id, member_id, session_id, jti, status, attempts, next_attempt_at,
	claimed_until, claim, last_error, created_at, sent_at`

// ClaimLogouts claims due messages exactly as ClaimMail does.
func (q *queries) ClaimLogouts(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]store.LogoutMessage, error) {
	rows, err := q.claim(ctx, "oidc_logout_outbox", logoutColumns, claim, now, lease, limit)
	if err != nil {
		return nil, err
	}
	list, err := scanLogouts(rows)
	slices.SortFunc(list, func(a, b store.LogoutMessage) int { return cmp.Compare(a.ID, b.ID) })
	return list, err
}

func (q *queries) RecordLogoutOutcome(ctx context.Context, id int64, claim string, o store.MailOutcome) error {
	var sentAt time.Time
	if o.Status == store.MailSent {
		sentAt = o.At
	}
	return q.execOne(ctx, `UPDATE oidc_logout_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?,
		last_error = ?, sent_at = ?, claimed_until = 0, claim = ''
		WHERE id = ? AND claim = ? AND status = 'pending'`,
		string(o.Status), ms(o.NextAttemptAt), o.Error, ms(sentAt), id, claim)
}

func (q *queries) OrganisationLogouts(ctx context.Context, orgID int64, limit int) ([]store.LogoutMessage, error) {
	rows, err := q.query(ctx, `SELECT `+logoutColumns+` FROM oidc_logout_outbox WHERE org_id = ? ORDER BY id DESC LIMIT ?`,
		orgID, limit)
	if err != nil {
		return nil, err
	}
	return scanLogouts(rows)
}

// PruneLogouts deletes finished messages by oidc_logout_outbox_done.
func (q *queries) PruneLogouts(ctx context.Context, before time.Time) (int64, error) {
	return q.pruneDone(ctx, "oidc_logout_outbox", before)
}

func scanLogouts(rows rowsScanner) ([]store.LogoutMessage, error) {
	defer rows.Close()
	var list []store.LogoutMessage
	for rows.Next() {
		var m store.LogoutMessage
		if err := rows.Scan(&m.ID, &m.OrgID, &m.ClientID, &m.MemberID, &m.SessionID, &m.JTI, &m.Status, &m.Attempts,
			msTime{&m.NextAttemptAt}, msTime{&m.ClaimedUntil}, &m.Claim, &m.LastError, msTime{&m.CreatedAt},
			msTime{&m.SentAt}); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, rows.Err()
}
