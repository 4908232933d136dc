package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"imslogin/internal/store"
)

func (q *queries) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	_, err := q.exec(ctx, `INSERT INTO oidc_signing_keys (id, org_id, algorithm, public_key, private_key, created_at, active_from)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, k.ID, k.OrgID, k.Algorithm, k.Public, k.Private, ms(k.CreatedAt), ms(k.ActiveFrom))
	return err
}

func (q *queries) SigningKeys(ctx context.Context, orgID int64) ([]store.SigningKey, error) {
	rows, err := q.query(ctx, `SELECT id, org_id, algorithm, public_key, private_key, created_at, active_from
		FROM oidc_signing_keys WHERE org_id = ? ORDER BY active_from DESC, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		if err := rows.Scan(&k.ID, &k.OrgID, &k.Algorithm, &k.Public, &k.Private, msTime{&k.CreatedAt}, msTime{&k.ActiveFrom}); err != nil {
			return nil, err
		}
		list = append(list, k)
	}
	return list, rows.Err()
}

func (q *queries) DeleteSigningKey(ctx context.Context, orgID int64, id string) error {
	return q.execOne(ctx, `DELETE FROM oidc_signing_keys WHERE org_id = ? AND id = ?`, orgID, id)
}

func (q *queries) CountSigningKeys(ctx context.Context) (int64, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM oidc_signing_keys`).Scan(&n)
	return n, err
}

const authRequestColumns = `id, org_id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode,
	code_challenge, code_challenge_method, prompt, max_age, acr_values, id_token_hint_subject, browser_hash,
	session_id, member_id, auth_time, amr, done, code_hash, code_expires_at, code_used_at, created_at, expires_at`

func authRequestTargets(a *store.AuthRequest) []any {
	return []any{&a.ID, &a.OrgID, &a.ClientID, &a.RedirectURI, &a.State, &a.Nonce, wordList{&a.Scopes}, &a.ResponseType,
		&a.ResponseMode, &a.CodeChallenge, &a.CodeChallengeMethod, wordList{&a.Prompt}, &a.MaxAge, wordList{&a.ACRValues},
		&a.IDTokenHintSubject, &a.BrowserHash, &a.SessionID, &a.MemberID, msTime{&a.AuthTime}, wordList{&a.AMR}, &a.Done,
		&a.CodeHash, msTime{&a.CodeExpiresAt}, msTime{&a.CodeUsedAt}, msTime{&a.CreatedAt}, msTime{&a.ExpiresAt}}
}

func (q *queries) CreateAuthRequest(ctx context.Context, a *store.AuthRequest) error {
	browser := nullBytes(a.BrowserHash) // NULL until a browser is bound
	_, err := q.exec(ctx, `INSERT INTO oidc_auth_requests (id, org_id, client_id, redirect_uri, state, nonce, scopes,
		response_type, response_mode, code_challenge, code_challenge_method, prompt, max_age, acr_values,
		id_token_hint_subject, browser_hash, session_id, member_id, auth_time, amr, done, code_hash, code_expires_at,
		created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.OrgID, a.ClientID, a.RedirectURI, a.State, a.Nonce, words(a.Scopes), a.ResponseType, a.ResponseMode,
		a.CodeChallenge, a.CodeChallengeMethod, words(a.Prompt), a.MaxAge, words(a.ACRValues), a.IDTokenHintSubject,
		browser, a.SessionID, a.MemberID, ms(a.AuthTime), words(a.AMR), a.Done, nullBytes(a.CodeHash), ms(a.CodeExpiresAt),
		ms(a.CreatedAt), ms(a.ExpiresAt))
	return err
}

func (q *queries) AuthRequestByID(ctx context.Context, orgID int64, id string) (store.AuthRequest, error) {
	var a store.AuthRequest
	err := q.queryRow(ctx, `SELECT `+authRequestColumns+` FROM oidc_auth_requests WHERE org_id = ? AND id = ?`, orgID, id).
		Scan(authRequestTargets(&a)...)
	return a, translate(err)
}

func (q *queries) BindAuthRequest(ctx context.Context, orgID int64, id string, browserHash []byte, now time.Time) error {
	return q.execOne(ctx, `UPDATE oidc_auth_requests SET browser_hash = ?
		WHERE org_id = ? AND id = ? AND expires_at > ? AND (browser_hash IS NULL OR browser_hash = ?)`,
		browserHash, orgID, id, ms(now), browserHash)
}

func (q *queries) CompleteAuthRequest(ctx context.Context, a store.AuthRequest, now time.Time) error {
	return q.execOne(ctx, `UPDATE oidc_auth_requests SET session_id = ?, member_id = ?, auth_time = ?, amr = ?, done = ?
		WHERE org_id = ? AND id = ? AND done = ? AND expires_at > ?`,
		a.SessionID, a.MemberID, ms(a.AuthTime), words(a.AMR), true, a.OrgID, a.ID, false, ms(now))
}

func (q *queries) SaveAuthCode(ctx context.Context, orgID int64, id string, codeHash []byte, expires time.Time) error {
	return q.execOne(ctx, `UPDATE oidc_auth_requests SET code_hash = ?, code_expires_at = ?,
		expires_at = CASE WHEN expires_at > ? THEN expires_at ELSE ? END
		WHERE org_id = ? AND id = ? AND done = ? AND code_hash IS NULL`,
		codeHash, ms(expires), ms(expires), ms(expires), orgID, id, true)
}

func (q *queries) AuthRequestByCode(ctx context.Context, orgID int64, codeHash []byte) (store.AuthRequest, error) {
	var a store.AuthRequest
	err := q.queryRow(ctx, `SELECT `+authRequestColumns+` FROM oidc_auth_requests WHERE org_id = ? AND code_hash = ?`,
		orgID, codeHash).Scan(authRequestTargets(&a)...)
	return a, translate(err)
}

func (q *queries) UseAuthCode(ctx context.Context, orgID int64, codeHash []byte, now time.Time) (store.AuthRequest, error) {
	var a store.AuthRequest
	q.roundTrips.Add(1)
	err := q.in(ctx).w.QueryRowContext(ctx, q.bind(`UPDATE oidc_auth_requests SET code_used_at = ?
		WHERE org_id = ? AND code_hash = ? AND code_used_at = 0 AND code_expires_at > ?
		RETURNING `+authRequestColumns), ms(now), orgID, codeHash, ms(now)).Scan(authRequestTargets(&a)...)
	if err = translate(err); !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	if a, err = q.AuthRequestByCode(ctx, orgID, codeHash); err != nil {
		return a, err
	}
	if !a.CodeUsedAt.IsZero() {
		return a, fmt.Errorf("authorization code used before: %w", store.ErrConflict)
	}
	return a, store.ErrNotFound // expired
}

func (q *queries) DeleteAuthRequest(ctx context.Context, orgID int64, id string) error {
	return q.execOne(ctx, `DELETE FROM oidc_auth_requests WHERE org_id = ? AND id = ?`, orgID, id)
}

const tokenColumns = `id, org_id, kind, token_hash, family, client_id, member_id, session_id, scopes, amr, auth_time,
	created_at, expires_at, rotated_at`

func (q *queries) CreateToken(ctx context.Context, t *store.Token) error {
	id, err := q.insertID(ctx, `INSERT INTO oidc_tokens (org_id, kind, token_hash, family, client_id, member_id,
		session_id, scopes, amr, auth_time, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.OrgID, t.Kind, t.Hash, t.Family, t.ClientID, t.MemberID, t.SessionID, words(t.Scopes), words(t.AMR),
		ms(t.AuthTime), ms(t.CreatedAt), ms(t.ExpiresAt))
	t.ID = id
	return err
}

func (q *queries) TokenByHash(ctx context.Context, orgID int64, kind string, hash []byte) (store.Token, error) {
	var t store.Token
	err := q.queryRow(ctx, `SELECT `+tokenColumns+` FROM oidc_tokens WHERE org_id = ? AND kind = ? AND token_hash = ?`,
		orgID, kind, hash).Scan(tokenTargets(&t)...)
	return t, translate(err)
}

// tokenTargets are the Scan destinations for tokenColumns.
func tokenTargets(t *store.Token) []any {
	return []any{&t.ID, &t.OrgID, &t.Kind, &t.Hash, &t.Family, &t.ClientID, &t.MemberID, &t.SessionID,
		wordList{&t.Scopes}, wordList{&t.AMR}, msTime{&t.AuthTime}, msTime{&t.CreatedAt}, msTime{&t.ExpiresAt},
		msTime{&t.RotatedAt}}
}

// heldMemberColumns are the member's columns a token's use reads, for
// heldMemberTargets: not the password hash or the about-me text, which a
// userinfo request has no business loading.
const heldMemberColumns = `COALESCE(m.id, 0), COALESCE(m.org_id, 0), COALESCE(m.email, ''), COALESCE(m.name, ''),
	COALESCE(m.role, ''), m.role_id, COALESCE(m.status, ''), COALESCE(m.licensed, FALSE), COALESCE(m.email_verified, FALSE)`

func heldMemberTargets(m *store.Member) []any {
	return []any{&m.ID, &m.OrgID, &m.Email, &m.Name, &m.Role, idOrZero{&m.RoleID}, &m.Status, &m.Licensed, &m.EmailVerified}
}

var heldTokenQuery = `SELECT ` + prefixed("t.", tokenColumns) + `, ` + heldMemberColumns + `,
	(t.session_id = 0 OR EXISTS (SELECT 1 FROM sessions s WHERE s.org_id = t.org_id AND s.id = t.session_id
		AND s.expires_at > ?)),
	CASE WHEN t.kind = 'refresh' AND t.member_id <> 0 THEN NOT EXISTS (SELECT 1 FROM portals ap
		WHERE ap.org_id = t.org_id AND ap.client_id = t.client_id AND NOT ` + ruleAdmits("ap", "m") + `) ELSE TRUE END
	FROM oidc_tokens t
	LEFT JOIN members m ON m.org_id = t.org_id AND m.id = t.member_id
	WHERE t.org_id = ? AND t.kind = ? AND t.token_hash = ?`

func (q *queries) HeldToken(ctx context.Context, orgID int64, kind string, hash []byte, now time.Time) (store.HeldToken, error) {
	var h store.HeldToken
	targets := append(append(tokenTargets(&h.Token), heldMemberTargets(&h.Member)...), &h.SessionOn, &h.Admitted)
	err := q.queryRow(ctx, heldTokenQuery, ms(now), orgID, kind, hash).Scan(targets...)
	return h, translate(err)
}

func (q *queries) RotateRefreshToken(ctx context.Context, orgID int64, hash []byte, now time.Time) error {
	return q.execOne(ctx, `UPDATE oidc_tokens SET rotated_at = ?
		WHERE org_id = ? AND kind = ? AND token_hash = ? AND rotated_at = 0`, ms(now), orgID, store.TokenRefresh, hash)
}

func (q *queries) RevokeFamily(ctx context.Context, orgID int64, family string) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM oidc_tokens WHERE org_id = ? AND family = ?`, orgID, family)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q *queries) DeleteToken(ctx context.Context, orgID int64, kind string, hash []byte) error {
	return q.execOne(ctx, `DELETE FROM oidc_tokens WHERE org_id = ? AND kind = ? AND token_hash = ?`, orgID, kind, hash)
}

func (q *queries) DeleteMemberTokens(ctx context.Context, orgID, memberID int64, clientID string) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM oidc_tokens WHERE org_id = ? AND member_id = ? AND (? = '' OR client_id = ?)`,
		orgID, memberID, clientID, clientID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q *queries) DeleteSessionTokens(ctx context.Context, orgID, memberID, sessionID int64) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM oidc_tokens WHERE org_id = ? AND member_id = ?
		AND session_id <> 0 AND (? = 0 OR session_id = ?)`, orgID, memberID, sessionID, sessionID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneGrants deletes by the expires_at indexes of the three tables.
func (q *queries) PruneGrants(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for _, table := range []string{"oidc_auth_requests", "oidc_tokens", "oidc_session_portals"} {
		res, err := q.exec(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, ms(now))
		if err != nil {
			return n, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}
