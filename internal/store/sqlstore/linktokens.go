package sqlstore

import (
	"context"
	"time"

	"imslogin/internal/store"
)

func (q *queries) CreateLinkToken(ctx context.Context, t *store.LinkToken) error {
	return q.InTx(ctx, func(ctx context.Context) error {
		if _, err := q.exec(ctx, `UPDATE link_tokens SET ended_at = ?, end_reason = ?
			WHERE org_id = ? AND member_id = ? AND purpose = ? AND end_reason = ''`,
			ms(t.CreatedAt), store.LinkEndedReplaced, t.OrgID, t.MemberID, string(t.Purpose)); err != nil {
			return err
		}
		_, err := q.exec(ctx, `INSERT INTO link_tokens (token_hash, org_id, member_id, purpose, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`,
			t.TokenHash, t.OrgID, t.MemberID, string(t.Purpose), ms(t.CreatedAt), ms(t.ExpiresAt))
		return err
	})
}

const linkTokenColumns = `token_hash, org_id, member_id, purpose, created_at, expires_at, ended_at, end_reason`

func linkTokenTargets(t *store.LinkToken) []any {
	return []any{&t.TokenHash, &t.OrgID, &t.MemberID, &t.Purpose, msTime{&t.CreatedAt}, msTime{&t.ExpiresAt},
		msTime{&t.EndedAt}, &t.EndReason}
}

func (q *queries) LinkTokenByHash(ctx context.Context, tokenHash []byte) (store.LinkToken, error) {
	var t store.LinkToken
	err := q.queryRow(ctx, `SELECT `+linkTokenColumns+` FROM link_tokens WHERE token_hash = ?`, tokenHash).
		Scan(linkTokenTargets(&t)...)
	return t, translate(err)
}

func (q *queries) LatestLinkToken(ctx context.Context, orgID, memberID int64, purpose store.LinkPurpose) (store.LinkToken, error) {
	var t store.LinkToken
	err := q.queryRow(ctx, `SELECT `+linkTokenColumns+` FROM link_tokens
		WHERE org_id = ? AND member_id = ? AND purpose = ? ORDER BY created_at DESC LIMIT 1`,
		orgID, memberID, string(purpose)).Scan(linkTokenTargets(&t)...)
	return t, translate(err)
}

// RedeemLinkToken is one conditional UPDATE: under concurrent redemptions
// the row's latest version is checked again, so only one sees it live.
func (q *queries) RedeemLinkToken(ctx context.Context, tokenHash []byte, purpose store.LinkPurpose, now time.Time) (store.LinkToken, error) {
	var t store.LinkToken
	q.roundTrips.Add(1)
	err := q.in(ctx).w.QueryRowContext(ctx, q.bind(`UPDATE link_tokens SET ended_at = ?, end_reason = ?
		WHERE token_hash = ? AND purpose = ? AND end_reason = '' AND expires_at > ?
		RETURNING `+linkTokenColumns),
		ms(now), store.LinkEndedUsed, tokenHash, string(purpose), ms(now)).Scan(linkTokenTargets(&t)...)
	return t, translate(err)
}

func (q *queries) EndMemberLinkTokens(ctx context.Context, orgID, memberID int64, now time.Time) error {
	_, err := q.exec(ctx, `UPDATE link_tokens SET ended_at = ?, end_reason = ?
		WHERE org_id = ? AND member_id = ? AND end_reason = ''`,
		ms(now), store.LinkEndedRevoked, orgID, memberID)
	return err
}
