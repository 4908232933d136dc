package sqlstore

import (
	"context"
	"strings"
	"time"

	"imslogin/internal/store"
)

func (q *queries) CreateSession(ctx context.Context, s *store.Session) error {
	id, err := q.insertID(ctx, `INSERT INTO sessions
		(token_hash, org_id, member_id, persistent, created_at, last_seen_at, auth_time, expires_at, user_agent, address, amr)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.TokenHash, s.OrgID, s.MemberID, s.Persistent, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.AuthTime),
		ms(s.ExpiresAt), s.UserAgent, s.Address, words(s.AMR))
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

const sessionColumns = `s.id, s.token_hash, s.org_id, s.member_id, s.persistent, s.created_at, s.last_seen_at,
	s.auth_time, s.expires_at, s.user_agent, s.address, s.amr`

// sessionTargets are the Scan destinations for sessionColumns.
func sessionTargets(s *store.Session) []any {
	return []any{&s.ID, &s.TokenHash, &s.OrgID, &s.MemberID, &s.Persistent, msTime{&s.CreatedAt},
		msTime{&s.LastSeenAt}, msTime{&s.AuthTime}, msTime{&s.ExpiresAt}, &s.UserAgent, &s.Address, wordList{&s.AMR}}
}

// signedInQuery reads no password hash: a session check never needs one, so
// it is not carried in every request (store.SignedIn says so).
var signedInQuery = `SELECT ` + sessionColumns + `, ` +
	strings.Replace(prefixed("m.", memberColumns), "m.password_hash", "''", 1) + `, ` + prefixed("o.", organisationColumns) + `,
	COALESCE(r.permissions, '')
	FROM sessions s
	JOIN members m ON m.id = s.member_id AND m.org_id = s.org_id
	JOIN organisations o ON o.id = s.org_id
	LEFT JOIN roles r ON r.id = m.role_id AND r.org_id = m.org_id
	WHERE s.token_hash = ?`

func (q *queries) SignedInByTokenHash(ctx context.Context, tokenHash []byte) (store.SignedIn, error) {
	var si store.SignedIn
	targets := append(sessionTargets(&si.Session), memberTargets(&si.Member)...)
	targets = append(targets, organisationTargets(&si.Organisation)...)
	targets = append(targets, &si.RolePermissions)
	err := q.queryRow(ctx, signedInQuery, tokenHash).Scan(targets...)
	return si, translate(err)
}

// sessionCheckQuery reads 19 columns instead of signedInQuery's 47: the
// driver inspects every column of every row it returns, and a session
// check is the most frequent request there is.
const sessionCheckQuery = `SELECT s.id, s.org_id, s.member_id, s.persistent, s.created_at, s.last_seen_at, s.auth_time,
	s.expires_at, m.email, m.name, m.role, m.status, m.licensed, o.name, o.session_idle_seconds,
	o.session_absolute_seconds, o.remember_me_idle_seconds, o.remember_me_seconds, s.amr
	FROM sessions s
	JOIN members m ON m.id = s.member_id AND m.org_id = s.org_id
	JOIN organisations o ON o.id = s.org_id
	WHERE s.token_hash = ?`

func (q *queries) SessionCheckByTokenHash(ctx context.Context, tokenHash []byte) (store.SignedIn, error) {
	var si store.SignedIn
	s, m, o := &si.Session, &si.Member, &si.Organisation
	err := q.queryRow(ctx, sessionCheckQuery, tokenHash).Scan(&s.ID, &s.OrgID, &s.MemberID, &s.Persistent,
		msTime{&s.CreatedAt}, msTime{&s.LastSeenAt}, msTime{&s.AuthTime}, msTime{&s.ExpiresAt}, &m.Email, &m.Name,
		&m.Role, &m.Status, &m.Licensed, &o.Name, secs{&o.Settings.SessionIdleTimeout},
		secs{&o.Settings.SessionAbsoluteTimeout}, secs{&o.Settings.RememberMeIdleTimeout},
		secs{&o.Settings.RememberMeDuration}, wordList{&s.AMR})
	s.TokenHash = tokenHash
	m.ID, m.OrgID, o.ID = s.MemberID, s.OrgID, s.OrgID
	return si, translate(err)
}

func (q *queries) TouchSession(ctx context.Context, id int64, lastSeen time.Time) error {
	_, err := q.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`, ms(lastSeen), id, ms(lastSeen))
	return err
}

func (q *queries) DeleteSession(ctx context.Context, orgID, id int64) error {
	return q.execOne(ctx, `DELETE FROM sessions WHERE org_id = ? AND id = ?`, orgID, id)
}

func (q *queries) DeleteMemberSessions(ctx context.Context, orgID, memberID int64) error {
	_, err := q.exec(ctx, `DELETE FROM sessions WHERE org_id = ? AND member_id = ?`, orgID, memberID)
	return err
}

func (q *queries) MemberSessions(ctx context.Context, orgID, memberID int64) ([]store.Session, error) {
	rows, err := q.query(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.org_id = ? AND s.member_id = ? ORDER BY s.last_seen_at DESC, s.id DESC`, orgID, memberID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.Session
	for rows.Next() {
		var s store.Session
		if err := rows.Scan(sessionTargets(&s)...); err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, rows.Err()
}

func (q *queries) DeleteMemberSession(ctx context.Context, orgID, memberID, id int64) error {
	return q.execOne(ctx, `DELETE FROM sessions WHERE org_id = ? AND member_id = ? AND id = ?`, orgID, memberID, id)
}

func (q *queries) RenewSession(ctx context.Context, orgID, id int64, tokenHash []byte, authTime time.Time, amr []string) error {
	if amr == nil {
		return q.execOne(ctx, `UPDATE sessions SET token_hash = ?, auth_time = ?, last_seen_at = ? WHERE org_id = ? AND id = ?`,
			tokenHash, ms(authTime), ms(authTime), orgID, id)
	}
	return q.execOne(ctx, `UPDATE sessions SET token_hash = ?, auth_time = ?, last_seen_at = ?, amr = ? WHERE org_id = ? AND id = ?`,
		tokenHash, ms(authTime), ms(authTime), words(amr), orgID, id)
}

// pruneSessionsSQL searches sessions_expires.
const pruneSessionsSQL = `DELETE FROM sessions WHERE expires_at <= ?`

// pruneFlowsSQL reads the whole of signin_flows, on purpose: a flow begins
// only after a correct password and is deleted when its last step passes or
// fails, so the table holds only flows in progress and the last hour's
// abandoned ones, and an index on expires_at would add an entry to write and
// delete to every sign-in with a second step.
const pruneFlowsSQL = `DELETE FROM signin_flows WHERE expires_at <= ?`

// PruneExpired deletes sessions past their absolute limit and sign-in flows
// past theirs; it is housekeeping, run now and then by any node.
func (db *DB) PruneExpired(ctx context.Context, now time.Time) (sessions, flows int64, err error) {
	res, err := db.exec(ctx, pruneSessionsSQL, ms(now))
	if err != nil {
		return 0, 0, err
	}
	sessions, _ = res.RowsAffected()
	res, err = db.exec(ctx, pruneFlowsSQL, ms(now))
	if err != nil {
		return sessions, 0, err
	}
	flows, _ = res.RowsAffected()
	return sessions, flows, nil
}
