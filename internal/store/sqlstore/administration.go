package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"imslogin/internal/store"
)

// SetMemberAccess refuses a custom role of another organisation: the role
// must exist under the same org_id, checked in the same statement.
func (q *queries) SetMemberAccess(ctx context.Context, orgID, memberID int64, a store.MemberAccess) error {
	return q.execOne(ctx, `UPDATE members SET role = ?, role_id = ?, permissions = ?, licensed = ?, data_access = ?
		WHERE org_id = ? AND id = ? AND (? = 0 OR EXISTS (SELECT 1 FROM roles WHERE org_id = ? AND id = ?))`,
		string(a.Role), nullID(a.RoleID), a.Permissions, a.Licensed, a.DataAccess, orgID, memberID,
		a.RoleID, orgID, a.RoleID)
}

func (q *queries) UpdateProfile(ctx context.Context, orgID, memberID int64, name, aboutMe string) error {
	key := store.NameKey(name)
	return q.execOne(ctx, `UPDATE members SET name = ?, name_key = ?, name_words = ?, about_me = ? WHERE org_id = ? AND id = ?`,
		name, key, searchWords(key), aboutMe, orgID, memberID)
}

func (q *queries) SetPicture(ctx context.Context, orgID, memberID int64, p store.Picture) error {
	if err := q.execOne(ctx, `UPDATE members SET picture_at = ? WHERE org_id = ? AND id = ?`, ms(p.UpdatedAt), orgID, memberID); err != nil {
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO member_pictures (org_id, member_id, content_type, data, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, member_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data,
		updated_at = excluded.updated_at`, orgID, memberID, p.ContentType, p.Data, ms(p.UpdatedAt))
	return err
}

func (q *queries) Picture(ctx context.Context, orgID, memberID int64) (store.Picture, error) {
	var p store.Picture
	err := q.queryRow(ctx, `SELECT content_type, data, updated_at FROM member_pictures WHERE org_id = ? AND member_id = ?`,
		orgID, memberID).Scan(&p.ContentType, &p.Data, msTime{&p.UpdatedAt})
	return p, translate(err)
}

// countActiveOwnersSQL and administratorsSQL search the members' role
// index (a test checks the plans), not every member of the organisation.
const (
	countActiveOwnersSQL = `SELECT COUNT(*) FROM members WHERE org_id = ? AND role = 'owner' AND status <> 'disabled'`
	administratorsSQL    = `SELECT ` + memberColumns + ` FROM members
		WHERE org_id = ? AND role IN ('owner', 'administrator') AND status <> 'disabled' ORDER BY id LIMIT ?`
)

func (q *queries) CountActiveOwners(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := q.in(ctx).r.QueryRowContext(ctx, q.bind(countActiveOwnersSQL), orgID).Scan(&n)
	return n, translate(err)
}

func (q *queries) LicencesInUse(ctx context.Context, orgID int64) (int, error) {
	return q.memberCounts(ctx, orgID, "licensed")
}

func (q *queries) CreateRole(ctx context.Context, r *store.CustomRole) error {
	id, err := q.insertID(ctx, `INSERT INTO roles (org_id, name, name_key, permissions, created_at) VALUES (?, ?, ?, ?, ?)`,
		r.OrgID, r.Name, nameKey(r.Name), words(r.Permissions), ms(r.CreatedAt))
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

const roleColumns = `id, org_id, name, permissions, created_at`

func scanRole(row scanner) (store.CustomRole, error) {
	var r store.CustomRole
	err := row.Scan(&r.ID, &r.OrgID, &r.Name, wordList{&r.Permissions}, msTime{&r.CreatedAt})
	return r, translate(err)
}

func (q *queries) RoleByID(ctx context.Context, orgID, id int64) (store.CustomRole, error) {
	return scanRole(q.queryRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE org_id = ? AND id = ?`, orgID, id))
}

func (q *queries) Roles(ctx context.Context, orgID int64) ([]store.CustomRole, error) {
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(`SELECT `+roleColumns+` FROM roles WHERE org_id = ? ORDER BY name_key`), orgID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.CustomRole
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

func (q *queries) UpdateRole(ctx context.Context, r store.CustomRole) error {
	return q.execOne(ctx, `UPDATE roles SET name = ?, name_key = ?, permissions = ? WHERE org_id = ? AND id = ?`,
		r.Name, nameKey(r.Name), words(r.Permissions), r.OrgID, r.ID)
}

func (q *queries) DeleteRole(ctx context.Context, orgID, id int64) error {
	var holders int
	if err := q.in(ctx).w.QueryRowContext(ctx, q.bind(`SELECT COUNT(*) FROM members WHERE org_id = ? AND role_id = ?`), orgID, id).Scan(&holders); err != nil {
		return translate(err)
	}
	if holders > 0 {
		return fmt.Errorf("%w: %d members hold the role", store.ErrConflict, holders)
	}
	return q.execOne(ctx, `DELETE FROM roles WHERE org_id = ? AND id = ?`, orgID, id)
}

func (q *queries) CreateAPIToken(ctx context.Context, t *store.APIToken) error {
	id, err := q.insertID(ctx, `INSERT INTO api_tokens (org_id, name, token_hash, permissions, created_by, created_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.OrgID, t.Name, t.TokenHash, words(t.Permissions), t.CreatedBy, ms(t.CreatedAt), ms(t.LastUsedAt))
	if err != nil {
		return err
	}
	t.ID = id
	return nil
}

const apiTokenColumns = `id, org_id, name, token_hash, permissions, created_by, created_at, last_used_at`

func scanAPIToken(row scanner) (store.APIToken, error) {
	var t store.APIToken
	err := row.Scan(&t.ID, &t.OrgID, &t.Name, &t.TokenHash, wordList{&t.Permissions}, &t.CreatedBy,
		msTime{&t.CreatedAt}, msTime{&t.LastUsedAt})
	return t, translate(err)
}

func (q *queries) APITokenByHash(ctx context.Context, tokenHash []byte) (store.APIToken, error) {
	return scanAPIToken(q.queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE token_hash = ?`, tokenHash))
}

func (q *queries) APITokens(ctx context.Context, orgID int64) ([]store.APIToken, error) {
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(`SELECT `+apiTokenColumns+` FROM api_tokens WHERE org_id = ? ORDER BY created_at, id`), orgID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

func (q *queries) DeleteAPIToken(ctx context.Context, orgID, id int64) error {
	return q.execOne(ctx, `DELETE FROM api_tokens WHERE org_id = ? AND id = ?`, orgID, id)
}

// TouchAPIToken records use at most once a minute, so API calls are reads.
func (q *queries) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND last_used_at < ?`,
		ms(at), id, ms(at.Add(-time.Minute)))
	return err
}

func (q *queries) AuditDailyCounts(ctx context.Context, orgID int64, kinds []string, since time.Time) ([]store.AuditDayCount, error) {
	ctx = builtQueries(ctx) // as many placeholders as kinds
	if len(kinds) == 0 {
		return nil, nil
	}
	const dayMS = 24 * 60 * 60 * 1000
	args := []any{orgID, ms(since)}
	for _, k := range kinds {
		args = append(args, k)
	}
	query := fmt.Sprintf(`SELECT at / %d AS day, kind, COUNT(*) FROM audit_events
		WHERE org_id = ? AND at >= ? AND kind IN (?%s) GROUP BY at / %d, kind ORDER BY day, kind`,
		dayMS, strings.Repeat(", ?", len(kinds)-1), dayMS)
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(query), args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.AuditDayCount
	for rows.Next() {
		var c store.AuditDayCount
		var dayNumber int64
		if err := rows.Scan(&dayNumber, &c.Kind, &c.Count); err != nil {
			return nil, err
		}
		c.Day = time.UnixMilli(dayNumber * dayMS).UTC()
		list = append(list, c)
	}
	return list, rows.Err()
}

func (q *queries) Administrators(ctx context.Context, orgID int64, limit int) ([]store.Member, error) {
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(administratorsSQL), orgID, limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.Member
	for rows.Next() {
		var m store.Member
		if err := rows.Scan(memberTargets(&m)...); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, rows.Err()
}
