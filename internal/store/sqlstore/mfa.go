package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"imslogin/internal/store"
)

func (q *queries) MFAPolicy(ctx context.Context, orgID int64) (store.MFAPolicy, error) {
	var p store.MFAPolicy
	var methods string
	err := q.queryRow(ctx, `SELECT required, methods, trusted_device_seconds FROM organisation_mfa WHERE org_id = ?`, orgID).
		Scan(&p.Required, &methods, secs{&p.TrustedDeviceDuration})
	if errors.Is(translate(err), store.ErrNotFound) {
		return store.DefaultMFAPolicy(), nil
	}
	p.Methods = splitList(methods)
	return p, translate(err)
}

func (q *queries) SetMFAPolicy(ctx context.Context, orgID int64, p store.MFAPolicy) error {
	_, err := q.exec(ctx, `INSERT INTO organisation_mfa (org_id, required, methods, trusted_device_seconds) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET required = excluded.required, methods = excluded.methods,
		trusted_device_seconds = excluded.trusted_device_seconds`,
		orgID, p.Required, strings.Join(p.Methods, ","), seconds(p.TrustedDeviceDuration))
	return err
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (q *queries) CreateMFAFactor(ctx context.Context, f *store.MFAFactor) error {
	id, err := q.insertID(ctx, `INSERT INTO mfa_factors (org_id, member_id, method, name, secret, counter, created_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		f.OrgID, f.MemberID, f.Method, f.Name, f.Secret, f.Counter, ms(f.CreatedAt), ms(f.LastUsedAt))
	if err != nil {
		return err
	}
	f.ID = id
	return nil
}

func (q *queries) MemberMFAFactors(ctx context.Context, orgID, memberID int64) ([]store.MFAFactor, error) {
	rows, err := q.query(ctx, `SELECT `+factorColumns+`
		FROM mfa_factors WHERE org_id = ? AND member_id = ? ORDER BY id`, orgID, memberID)
	return scanFactors(rows, err)
}

// AdvanceMFAFactor moves the counter forward in one conditional UPDATE, so
// two requests with the same code cannot both succeed.
func (q *queries) AdvanceMFAFactor(ctx context.Context, orgID, memberID, id, counter int64, at time.Time) error {
	err := q.execOne(ctx, `UPDATE mfa_factors SET counter = ?, last_used_at = ?
		WHERE org_id = ? AND member_id = ? AND id = ? AND counter < ?`, counter, ms(at), orgID, memberID, id, counter)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var n int64
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM mfa_factors WHERE org_id = ? AND member_id = ? AND id = ?`,
		orgID, memberID, id).Scan(&n); err != nil {
		return translate(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

func (q *queries) DeleteMFAFactor(ctx context.Context, orgID, memberID, id int64) error {
	return q.execOne(ctx, `DELETE FROM mfa_factors WHERE org_id = ? AND member_id = ? AND id = ?`, orgID, memberID, id)
}

func (q *queries) DeleteMemberMFAFactors(ctx context.Context, orgID, memberID int64, method string) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM mfa_factors WHERE org_id = ? AND member_id = ? AND (? = '' OR method = ?)`,
		orgID, memberID, method, method)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q *queries) LastMFAMethod(ctx context.Context, orgID, memberID int64) (string, error) {
	var m string
	err := translate(q.queryRow(ctx, `SELECT last_method FROM member_mfa WHERE org_id = ? AND member_id = ?`, orgID, memberID).Scan(&m))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return m, err
}

func (q *queries) SetLastMFAMethod(ctx context.Context, orgID, memberID int64, method string) error {
	_, err := q.exec(ctx, `INSERT INTO member_mfa (org_id, member_id, last_method) VALUES (?, ?, ?)
		ON CONFLICT (org_id, member_id) DO UPDATE SET last_method = excluded.last_method`, orgID, memberID, method)
	return err
}

func (q *queries) CreateTrustedDevice(ctx context.Context, d *store.TrustedDevice) error {
	id, err := q.insertID(ctx, `INSERT INTO trusted_devices (token_hash, org_id, member_id, user_agent, created_at, last_used_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.TokenHash, d.OrgID, d.MemberID, d.UserAgent, ms(d.CreatedAt), ms(d.LastUsedAt), ms(d.ExpiresAt))
	if err != nil {
		return err
	}
	d.ID = id
	return nil
}

const trustedDeviceColumns = `id, token_hash, org_id, member_id, user_agent, created_at, last_used_at, expires_at`

func trustedDeviceTargets(d *store.TrustedDevice) []any {
	return []any{&d.ID, &d.TokenHash, &d.OrgID, &d.MemberID, &d.UserAgent, msTime{&d.CreatedAt}, msTime{&d.LastUsedAt},
		msTime{&d.ExpiresAt}}
}

func (q *queries) TrustedDevice(ctx context.Context, orgID, memberID int64, tokenHash []byte) (store.TrustedDevice, error) {
	var d store.TrustedDevice
	err := q.queryRow(ctx, `SELECT `+trustedDeviceColumns+` FROM trusted_devices
		WHERE token_hash = ? AND org_id = ? AND member_id = ?`, tokenHash, orgID, memberID).Scan(trustedDeviceTargets(&d)...)
	return d, translate(err)
}

func (q *queries) MemberTrustedDevices(ctx context.Context, orgID, memberID int64) ([]store.TrustedDevice, error) {
	rows, err := q.query(ctx, `SELECT `+trustedDeviceColumns+` FROM trusted_devices
		WHERE org_id = ? AND member_id = ? ORDER BY created_at DESC, id DESC`, orgID, memberID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.TrustedDevice
	for rows.Next() {
		var d store.TrustedDevice
		if err := rows.Scan(trustedDeviceTargets(&d)...); err != nil {
			return nil, err
		}
		list = append(list, d)
	}
	return list, rows.Err()
}

func (q *queries) DeleteTrustedDevice(ctx context.Context, orgID, memberID, id int64) error {
	return q.execOne(ctx, `DELETE FROM trusted_devices WHERE org_id = ? AND member_id = ? AND id = ?`, orgID, memberID, id)
}

func (q *queries) DeleteMemberTrustedDevices(ctx context.Context, orgID, memberID int64) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM trusted_devices WHERE org_id = ? AND member_id = ?`, orgID, memberID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q *queries) MembersMFAMethods(ctx context.Context, orgID int64, memberIDs []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(memberIDs) == 0 {
		return out, nil
	}
	args := []any{orgID}
	marks := make([]string, len(memberIDs))
	for i, id := range memberIDs {
		marks[i], args = "?", append(args, id)
	}
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(`SELECT DISTINCT member_id, method FROM mfa_factors
		WHERE org_id = ? AND member_id IN (`+strings.Join(marks, ", ")+`) ORDER BY member_id, method`), args...)
	q.roundTrips.Add(1)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var method string
		if err := rows.Scan(&id, &method); err != nil {
			return nil, err
		}
		out[id] = append(out[id], method)
	}
	return out, rows.Err()
}

// MemberMFA joins the policy (NULL when never set: the default) with the
// member's factors (none: one row of NULLs).
func (q *queries) MemberMFA(ctx context.Context, orgID, memberID int64) (store.MFAPolicy, []store.MFAFactor, error) {
	rows, err := q.query(ctx, `SELECT p.org_id, COALESCE(p.required, FALSE), COALESCE(p.methods, ''),
		COALESCE(p.trusted_device_seconds, 0), f.id, COALESCE(f.method, ''), COALESCE(f.name, ''), f.secret,
		COALESCE(f.counter, 0), COALESCE(f.created_at, 0), COALESCE(f.last_used_at, 0)
		FROM organisations o
		LEFT JOIN organisation_mfa p ON p.org_id = o.id
		LEFT JOIN mfa_factors f ON f.org_id = o.id AND f.member_id = ?
		WHERE o.id = ? ORDER BY f.id`, memberID, orgID)
	if err != nil {
		return store.MFAPolicy{}, nil, translate(err)
	}
	defer rows.Close()
	p, found := store.DefaultMFAPolicy(), false
	var list []store.MFAFactor
	for rows.Next() {
		var policyOrg, factorID sql.NullInt64
		var methods string
		var pol store.MFAPolicy
		f := store.MFAFactor{OrgID: orgID, MemberID: memberID}
		if err := rows.Scan(&policyOrg, &pol.Required, &methods, secs{&pol.TrustedDeviceDuration}, &factorID, &f.Method,
			&f.Name, &f.Secret, &f.Counter, msTime{&f.CreatedAt}, msTime{&f.LastUsedAt}); err != nil {
			return p, nil, err
		}
		found = true
		if policyOrg.Valid {
			pol.Methods = splitList(methods)
			p = pol
		}
		if factorID.Valid {
			f.ID = factorID.Int64
			list = append(list, f)
		}
	}
	if err := rows.Err(); err != nil {
		return p, nil, err
	}
	if !found {
		return p, nil, store.ErrNotFound
	}
	return p, list, nil
}

// factorColumns are the columns scanFactors reads, in order.
const factorColumns = `id, org_id, member_id, method, name, secret, counter, created_at, last_used_at`

// scanFactors reads the rows of a query of factorColumns.
func scanFactors(rows *sql.Rows, err error) ([]store.MFAFactor, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.MFAFactor
	for rows.Next() {
		var f store.MFAFactor
		if err := rows.Scan(&f.ID, &f.OrgID, &f.MemberID, &f.Method, &f.Name, &f.Secret, &f.Counter,
			msTime{&f.CreatedAt}, msTime{&f.LastUsedAt}); err != nil {
			return nil, err
		}
		list = append(list, f)
	}
	return list, rows.Err()
}
