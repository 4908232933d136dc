package sqlstore

import (
	"context"
	"time"
)

// BulkAddTOTP gives every member of the organisation who has no
// authenticator app one with secret, in one statement: for benchmarks of
// the sign-in with a second factor (`ims dev seed --totp`). It returns how
// many members got one.
func (db *DB) BulkAddTOTP(ctx context.Context, orgID int64, secret []byte, at time.Time) (int64, error) {
	res, err := db.exec(ctx, `INSERT INTO mfa_factors (org_id, member_id, method, name, secret, counter, created_at, last_used_at)
		SELECT m.org_id, m.id, 'totp', 'Benchmark', ?, 0, ?, 0 FROM members m
		WHERE m.org_id = ? AND NOT EXISTS (
			SELECT 1 FROM mfa_factors f WHERE f.org_id = m.org_id AND f.member_id = m.id AND f.method = 'totp')`,
		secret, ms(at), orgID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
