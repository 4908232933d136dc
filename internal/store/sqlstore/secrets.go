package sqlstore

import (
	"context"

	"imslogin/internal/store"
)

// The prefix tests compare substr(…, 1, length) with the prefix: the same
// SQL on SQLite (BLOB and TEXT) and PostgreSQL (BYTEA and TEXT), and no
// LIKE wildcards to escape.

func (q *queries) CountMFASecrets(ctx context.Context, method string, prefix []byte) (int64, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM mfa_factors WHERE method = ? AND substr(secret, 1, ?) = ?`,
		method, len(prefix), prefix).Scan(&n)
	return n, translate(err)
}

func (q *queries) MFAFactorsNotStartingWith(ctx context.Context, method string, prefix []byte, afterID int64, limit int) ([]store.MFAFactor, error) {
	return q.factorsByPrefix(ctx, "<>", method, prefix, afterID, limit)
}

func (q *queries) MFAFactorsStartingWith(ctx context.Context, method string, prefix []byte, afterID int64, limit int) ([]store.MFAFactor, error) {
	return q.factorsByPrefix(ctx, "=", method, prefix, afterID, limit)
}

// factorsByPrefix lists factors whose secret's start compares to prefix by
// op ("=" or "<>").
func (q *queries) factorsByPrefix(ctx context.Context, op, method string, prefix []byte, afterID int64, limit int) ([]store.MFAFactor, error) {
	rows, err := q.query(ctx, `SELECT `+factorColumns+`
		FROM mfa_factors WHERE method = ? AND substr(secret, 1, ?) `+op+` ? AND id > ? ORDER BY id LIMIT ?`,
		method, len(prefix), prefix, afterID, limit)
	return scanFactors(rows, err)
}

func (q *queries) ReplaceMFASecret(ctx context.Context, orgID, id int64, old, secret []byte) error {
	return q.execOne(ctx, `UPDATE mfa_factors SET secret = ? WHERE org_id = ? AND id = ? AND secret = ?`, secret, orgID, id, old)
}

func (q *queries) OneTimeCodesByDestinationPrefix(ctx context.Context, prefix string) ([]store.OneTimeCode, error) {
	rows, err := q.query(ctx, `SELECT org_id, member_id, purpose, code_hash, destination, sent_at, expires_at, attempts
		FROM one_time_codes WHERE substr(destination, 1, ?) = ? ORDER BY org_id, member_id, purpose`, len(prefix), prefix)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.OneTimeCode
	for rows.Next() {
		var c store.OneTimeCode
		if err := rows.Scan(&c.OrgID, &c.MemberID, &c.Purpose, &c.CodeHash, &c.Destination, msTime{&c.SentAt},
			msTime{&c.ExpiresAt}, &c.Attempts); err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	return list, rows.Err()
}

func (q *queries) ReplaceOneTimeCodeDestination(ctx context.Context, orgID, memberID int64, purpose, old, destination string) error {
	return q.execOne(ctx, `UPDATE one_time_codes SET destination = ? WHERE org_id = ? AND member_id = ? AND purpose = ?
		AND destination = ?`, destination, orgID, memberID, purpose, old)
}
