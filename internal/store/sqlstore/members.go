package sqlstore

import (
	"context"
	"time"

	"imslogin/internal/store"
)

func (q *queries) CreateMember(ctx context.Context, m *store.Member) error {
	id, err := q.insertID(ctx, `INSERT INTO members
		(org_id, email, name, name_key, role, status, licensed, data_access, email_verified, password_hash, created_at,
		last_signin_at, about_me, role_id, permissions, name_words, email_words)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, m.Email, m.Name, store.NameKey(m.Name), string(m.Role), string(m.Status), m.Licensed, m.DataAccess,
		m.EmailVerified, m.PasswordHash, ms(m.CreatedAt), ms(m.LastSignInAt), m.AboutMe, nullID(m.RoleID),
		m.Permissions, searchWords(store.NameKey(m.Name)), searchWords(m.Email))
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

const memberColumns = `id, org_id, email, name, role, status, licensed, data_access, email_verified, password_hash,
	created_at, last_signin_at, about_me, role_id, permissions, picture_at`

// optionalMemberColumns are memberColumns of a member m found by a LEFT
// JOIN, in their order for memberTargets: the zero Member when there is none.
const optionalMemberColumns = `COALESCE(m.id, 0), COALESCE(m.org_id, 0), COALESCE(m.email, ''), COALESCE(m.name, ''),
	COALESCE(m.role, ''), COALESCE(m.status, ''), COALESCE(m.licensed, FALSE), COALESCE(m.data_access, FALSE),
	COALESCE(m.email_verified, FALSE), COALESCE(m.password_hash, ''), COALESCE(m.created_at, 0),
	COALESCE(m.last_signin_at, 0), COALESCE(m.about_me, ''), m.role_id, COALESCE(m.permissions, ''),
	COALESCE(m.picture_at, 0)`

func (q *queries) MemberByID(ctx context.Context, orgID, id int64) (store.Member, error) {
	return scanMember(q.queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE org_id = ? AND id = ?`, orgID, id))
}

func (q *queries) MemberByEmail(ctx context.Context, orgID int64, email string) (store.Member, error) {
	return scanMember(q.queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE org_id = ? AND email = ?`, orgID, email))
}

func (q *queries) SetPasswordHash(ctx context.Context, orgID, memberID int64, hash string) error {
	return q.execOne(ctx, `UPDATE members SET password_hash = ? WHERE org_id = ? AND id = ?`, hash, orgID, memberID)
}

func (q *queries) SetMemberStatus(ctx context.Context, orgID, memberID int64, status store.MemberStatus) error {
	return q.execOne(ctx, `UPDATE members SET status = ? WHERE org_id = ? AND id = ?`, string(status), orgID, memberID)
}

func (q *queries) RecordSignIn(ctx context.Context, orgID, memberID int64, at time.Time) error {
	// Sign-ins are written in batches, by each node: a later batch may hold
	// an earlier sign-in.
	return q.execOne(ctx, `UPDATE members SET last_signin_at = CASE
		WHEN last_signin_at IS NULL OR last_signin_at < ? THEN ? ELSE last_signin_at END
		WHERE org_id = ? AND id = ?`, ms(at), ms(at), orgID, memberID)
}

func scanMember(row scanner) (store.Member, error) {
	var m store.Member
	err := row.Scan(memberTargets(&m)...)
	return m, translate(err)
}

// memberTargets are the Scan destinations for memberColumns.
func memberTargets(m *store.Member) []any {
	return []any{&m.ID, &m.OrgID, &m.Email, &m.Name, &m.Role, &m.Status, &m.Licensed, &m.DataAccess,
		&m.EmailVerified, &m.PasswordHash, msTime{&m.CreatedAt}, msTime{&m.LastSignInAt}, &m.AboutMe, idOrZero{&m.RoleID},
		&m.Permissions, msTime{&m.PictureAt}}
}

func (q *queries) AcceptInvitation(ctx context.Context, orgID, memberID int64, hash string) error {
	return q.execOne(ctx, `UPDATE members SET password_hash = ?, status = 'active', email_verified = ?
		WHERE org_id = ? AND id = ? AND status = 'invited'`, hash, true, orgID, memberID)
}
