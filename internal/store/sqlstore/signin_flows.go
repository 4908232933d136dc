package sqlstore

import (
	"context"

	"imslogin/internal/store"
)

func (q *queries) CreateSigninFlow(ctx context.Context, f *store.SigninFlow) error {
	_, err := q.exec(ctx, `INSERT INTO signin_flows
		(token_hash, org_id, member_id, step, remember_me, return_to, attempts, created_at, expires_at, amr, mfa_method, session_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.TokenHash, f.OrgID, f.MemberID, f.Step, f.RememberMe, f.ReturnTo, f.Attempts, ms(f.CreatedAt), ms(f.ExpiresAt),
		words(f.AMR), f.MFAMethod, f.SessionID)
	return err
}

func (q *queries) SigninFlowByTokenHash(ctx context.Context, tokenHash []byte) (store.SigninFlow, error) {
	var f store.SigninFlow
	err := q.queryRow(ctx, `SELECT token_hash, org_id, member_id, step, remember_me, return_to, attempts, created_at,
		expires_at, amr, mfa_method, session_id FROM signin_flows WHERE token_hash = ?`, tokenHash).
		Scan(&f.TokenHash, &f.OrgID, &f.MemberID, &f.Step, &f.RememberMe, &f.ReturnTo, &f.Attempts, msTime{&f.CreatedAt},
			msTime{&f.ExpiresAt}, wordList{&f.AMR}, &f.MFAMethod, &f.SessionID)
	return f, translate(err)
}

// UpdateSigninFlow leaves attempts to the reservations unless the step
// changes: a saved copy read before a concurrent reservation must not undo it.
func (q *queries) UpdateSigninFlow(ctx context.Context, f *store.SigninFlow) error {
	return q.execOne(ctx, `UPDATE signin_flows SET attempts = CASE WHEN step = ? THEN attempts ELSE 0 END,
		step = ?, amr = ?, mfa_method = ?
		WHERE token_hash = ? AND org_id = ?`,
		f.Step, f.Step, words(f.AMR), f.MFAMethod, f.TokenHash, f.OrgID)
}

func (q *queries) ReserveFlowAttempt(ctx context.Context, tokenHash []byte, limit int) (int, error) {
	var n int
	err := q.writeRow(ctx, `UPDATE signin_flows SET attempts = attempts + 1 WHERE token_hash = ? AND attempts < ?
		RETURNING attempts`, tokenHash, limit).Scan(&n)
	return n, translate(err)
}

func (q *queries) ReleaseFlowAttempt(ctx context.Context, tokenHash []byte) error {
	_, err := q.exec(ctx, `UPDATE signin_flows SET attempts = attempts - 1 WHERE token_hash = ? AND attempts > 0`, tokenHash)
	return err
}

func (q *queries) DeleteSigninFlow(ctx context.Context, tokenHash []byte) error {
	return q.execOne(ctx, `DELETE FROM signin_flows WHERE token_hash = ?`, tokenHash)
}
