package sqlstore

import (
	"context"
	"errors"
	"time"

	"imslogin/internal/store"
)

const loginServiceColumns = `id, org_id, kind, name, issuer, client_id, client_secret, scopes, username_claim, enabled,
	created_at, updated_at`

func loginServiceTargets(s *store.LoginService) []any {
	return []any{&s.ID, &s.OrgID, &s.Kind, &s.Name, &s.Issuer, &s.ClientID, &s.ClientSecret, wordList{&s.Scopes},
		&s.UsernameClaim, &s.Enabled, msTime{&s.CreatedAt}, msTime{&s.UpdatedAt}}
}

func (q *queries) CreateLoginService(ctx context.Context, s *store.LoginService) error {
	id, err := q.insertID(ctx, `INSERT INTO login_services (org_id, kind, name, name_key, issuer, client_id,
		client_secret, scopes, username_claim, enabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.OrgID, s.Kind, s.Name, nameKey(s.Name), s.Issuer, s.ClientID, s.ClientSecret, words(s.Scopes),
		s.UsernameClaim, s.Enabled, ms(s.CreatedAt), ms(s.UpdatedAt))
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

func (q *queries) UpdateLoginService(ctx context.Context, s *store.LoginService) error {
	return q.execOne(ctx, `UPDATE login_services SET kind = ?, name = ?, name_key = ?, issuer = ?, client_id = ?,
		client_secret = ?, scopes = ?, username_claim = ?, enabled = ?, updated_at = ?
		WHERE org_id = ? AND id = ?`,
		s.Kind, s.Name, nameKey(s.Name), s.Issuer, s.ClientID, s.ClientSecret, words(s.Scopes), s.UsernameClaim,
		s.Enabled, ms(s.UpdatedAt), s.OrgID, s.ID)
}

func (q *queries) DeleteLoginService(ctx context.Context, orgID, id int64) error {
	return q.execOne(ctx, `DELETE FROM login_services WHERE org_id = ? AND id = ?`, orgID, id)
}

func (q *queries) LoginServiceByID(ctx context.Context, orgID, id int64) (store.LoginService, error) {
	var s store.LoginService
	err := q.queryRow(ctx, `SELECT `+loginServiceColumns+` FROM login_services WHERE org_id = ? AND id = ?`,
		orgID, id).Scan(loginServiceTargets(&s)...)
	return s, translate(err)
}

func (q *queries) LoginServicesOf(ctx context.Context, orgID int64) ([]store.LoginService, error) {
	rows, err := q.query(ctx, `SELECT `+loginServiceColumns+` FROM login_services WHERE org_id = ?
		ORDER BY name_key, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []store.LoginService
	for rows.Next() {
		var s store.LoginService
		if err := rows.Scan(loginServiceTargets(&s)...); err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, rows.Err()
}

const identityColumns = `org_id, member_id, service_id, subject, username, linked_at`

func identityTargets(i *store.MemberIdentity) []any {
	return []any{&i.OrgID, &i.MemberID, &i.ServiceID, &i.Subject, &i.Username, msTime{&i.LinkedAt}}
}

func (q *queries) IdentityBySubject(ctx context.Context, orgID, serviceID int64, subject string) (store.MemberIdentity, error) {
	var i store.MemberIdentity
	err := q.queryRow(ctx, `SELECT `+identityColumns+` FROM member_identities
		WHERE org_id = ? AND service_id = ? AND subject = ?`, orgID, serviceID, subject).Scan(identityTargets(&i)...)
	return i, translate(err)
}

func (q *queries) IdentityOfMember(ctx context.Context, orgID, memberID int64) (store.MemberIdentity, error) {
	var i store.MemberIdentity
	err := q.queryRow(ctx, `SELECT `+identityColumns+` FROM member_identities WHERE org_id = ? AND member_id = ?`,
		orgID, memberID).Scan(identityTargets(&i)...)
	return i, translate(err)
}

// LinkIdentity replaces the member's identity. The member and service must
// be the organisation's: the INSERT reads them, so another organisation's
// IDs insert nothing and give ErrNotFound.
func (q *queries) LinkIdentity(ctx context.Context, i store.MemberIdentity) error {
	return q.InTx(ctx, func(ctx context.Context) error {
		if _, err := q.exec(ctx, `DELETE FROM member_identities WHERE org_id = ? AND member_id = ?`,
			i.OrgID, i.MemberID); err != nil {
			return err
		}
		return q.execOne(ctx, `INSERT INTO member_identities (org_id, member_id, service_id, subject, username, linked_at)
			SELECT m.org_id, m.id, s.id, ?, ?, ? FROM members m JOIN login_services s ON s.org_id = m.org_id
			WHERE m.org_id = ? AND m.id = ? AND s.id = ?`,
			i.Subject, i.Username, ms(i.LinkedAt), i.OrgID, i.MemberID, i.ServiceID)
	})
}

func (q *queries) UnlinkIdentity(ctx context.Context, orgID, memberID int64) error {
	return q.execOne(ctx, `DELETE FROM member_identities WHERE org_id = ? AND member_id = ?`, orgID, memberID)
}

func (q *queries) IdentitiesOf(ctx context.Context, orgID int64) ([]store.MemberIdentity, error) {
	rows, err := q.query(ctx, `SELECT `+identityColumns+` FROM member_identities WHERE org_id = ? ORDER BY member_id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []store.MemberIdentity
	for rows.Next() {
		var i store.MemberIdentity
		if err := rows.Scan(identityTargets(&i)...); err != nil {
			return nil, err
		}
		list = append(list, i)
	}
	return list, rows.Err()
}

func (q *queries) CreateLoginState(ctx context.Context, s store.LoginState) error {
	_, err := q.exec(ctx, `INSERT INTO login_service_states (state_hash, org_id, service_id, browser_hash, nonce,
		verifier, return_to, link_hash, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.StateHash, s.OrgID, s.ServiceID, s.BrowserHash, s.Nonce, s.Verifier, s.ReturnTo, nullBytes(s.LinkHash),
		ms(s.ExpiresAt))
	return err
}

func (q *queries) TakeLoginState(ctx context.Context, stateHash []byte) (store.LoginState, error) {
	var s store.LoginState
	q = q.in(ctx)
	q.roundTrips.Add(1)
	err := q.rowOn(ctx, q.w, q.wStmts, q.bind(`DELETE FROM login_service_states WHERE state_hash = ?
		RETURNING state_hash, org_id, service_id, browser_hash, nonce, verifier, return_to, link_hash, expires_at`),
		[]any{stateHash}).Scan(&s.StateHash, &s.OrgID, &s.ServiceID, &s.BrowserHash, &s.Nonce, &s.Verifier,
		&s.ReturnTo, &s.LinkHash, msTime{&s.ExpiresAt})
	return s, translate(err)
}

func (q *queries) DeleteExpiredLoginStates(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM login_service_states WHERE expires_at < ?`, ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// nullBytes stores an empty value as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (q *queries) ExternalMFA(ctx context.Context, orgID int64) (bool, error) {
	on := true
	err := q.queryRow(ctx, `SELECT external_mfa FROM login_service_settings WHERE org_id = ?`, orgID).Scan(&on)
	if err = translate(err); errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	return on, err
}

func (q *queries) SetExternalMFA(ctx context.Context, orgID int64, on bool, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO login_service_settings (org_id, external_mfa, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET external_mfa = excluded.external_mfa, updated_at = excluded.updated_at`,
		orgID, on, ms(at))
	return err
}
