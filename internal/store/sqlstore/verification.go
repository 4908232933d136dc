package sqlstore

import (
	"context"

	"imslogin/internal/store"
)

func (q *queries) PutOneTimeCode(ctx context.Context, c store.OneTimeCode) error {
	_, err := q.exec(ctx, `INSERT INTO one_time_codes (org_id, member_id, purpose, code_hash, destination, sent_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, member_id, purpose) DO UPDATE SET code_hash = excluded.code_hash,
		destination = excluded.destination, sent_at = excluded.sent_at, expires_at = excluded.expires_at`,
		c.OrgID, c.MemberID, c.Purpose, c.CodeHash, c.Destination, ms(c.SentAt), ms(c.ExpiresAt))
	return err
}

func (q *queries) OneTimeCode(ctx context.Context, orgID, memberID int64, purpose string) (store.OneTimeCode, error) {
	var c store.OneTimeCode
	err := q.queryRow(ctx, `SELECT org_id, member_id, purpose, code_hash, destination, sent_at, expires_at, attempts
		FROM one_time_codes WHERE org_id = ? AND member_id = ? AND purpose = ?`, orgID, memberID, purpose).
		Scan(&c.OrgID, &c.MemberID, &c.Purpose, &c.CodeHash, &c.Destination, msTime{&c.SentAt}, msTime{&c.ExpiresAt}, &c.Attempts)
	return c, translate(err)
}

func (q *queries) CountOneTimeCodeFailure(ctx context.Context, orgID, memberID int64, purpose string) (int, error) {
	var n int
	q.roundTrips.Add(1)
	err := q.rowOn(ctx, q.w, q.wStmts, q.bind(`UPDATE one_time_codes SET attempts = attempts + 1
		WHERE org_id = ? AND member_id = ? AND purpose = ? RETURNING attempts`), []any{orgID, memberID, purpose}).Scan(&n)
	return n, translate(err)
}

func (q *queries) DeleteOneTimeCode(ctx context.Context, orgID, memberID int64, purpose string, codeHash []byte) error {
	return q.execOne(ctx, `DELETE FROM one_time_codes WHERE org_id = ? AND member_id = ? AND purpose = ? AND code_hash = ?`,
		orgID, memberID, purpose, codeHash)
}

func (q *queries) MarkEmailVerified(ctx context.Context, orgID, memberID int64, email string) error {
	return q.execOne(ctx, `UPDATE members SET email_verified = ? WHERE org_id = ? AND id = ? AND email = ?`,
		true, orgID, memberID, email)
}

func (q *queries) ChangeMemberEmail(ctx context.Context, orgID, memberID int64, email string) error {
	return q.execOne(ctx, `UPDATE members SET email = ?, email_words = ?, email_verified = ? WHERE org_id = ? AND id = ?`,
		email, searchWords(email), true, orgID, memberID)
}
