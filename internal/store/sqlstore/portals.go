package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"imslogin/internal/store"
)

var _ store.Portals = (*queries)(nil)

const portalColumns = `id, org_id, client_id, name, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri,
	home_url, confidential, first_party, access, access_token_seconds, id_token_seconds, refresh_token_seconds,
	refresh_grace_seconds, signing_algorithm, require_pkce, allowed_scopes, created_at, updated_at`

func scanPortal(row scanner) (store.Portal, error) {
	var p store.Portal
	err := row.Scan(portalTargets(&p)...)
	return p, translate(err)
}

// portalTargets are the Scan destinations for portalColumns.
func portalTargets(p *store.Portal) []any {
	return []any{&p.ID, &p.OrgID, &p.ClientID, &p.Name, wordList{&p.RedirectURIs}, wordList{&p.PostLogoutRedirectURIs},
		&p.BackchannelLogoutURI, &p.HomeURL, &p.Confidential, &p.FirstParty, &p.Access, secs{&p.AccessTokenLifetime},
		secs{&p.IDTokenLifetime}, secs{&p.RefreshTokenLifetime}, secs{&p.RefreshGrace}, &p.SigningAlgorithm,
		&p.RequirePKCE, wordList{&p.AllowedScopes}, msTime{&p.CreatedAt}, msTime{&p.UpdatedAt}}
}

// CreatePortal writes the portal and its access lists in one transaction.
func (q *queries) CreatePortal(ctx context.Context, p *store.Portal) error {
	return q.InTx(ctx, func(ctx context.Context) error {
		id, err := q.insertID(ctx, `INSERT INTO portals (org_id, client_id, name, name_key, redirect_uris,
			post_logout_redirect_uris, backchannel_logout_uri, home_url, confidential, first_party, access,
			access_token_seconds, id_token_seconds, refresh_token_seconds, refresh_grace_seconds, signing_algorithm,
			require_pkce, allowed_scopes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.OrgID, p.ClientID, p.Name, nameKey(p.Name), words(p.RedirectURIs), words(p.PostLogoutRedirectURIs),
			p.BackchannelLogoutURI, p.HomeURL, p.Confidential, p.FirstParty, string(p.Access),
			seconds(p.AccessTokenLifetime), seconds(p.IDTokenLifetime), seconds(p.RefreshTokenLifetime),
			seconds(p.RefreshGrace), p.SigningAlgorithm, p.RequirePKCE, words(p.AllowedScopes), ms(p.CreatedAt), ms(p.UpdatedAt))
		if err != nil {
			return err
		}
		if err := q.putPortalAccess(ctx, p.OrgID, id, *p); err != nil {
			return err
		}
		p.ID = id
		return nil
	})
}

// UpdatePortal rewrites the portal's row and replaces its access lists.
func (q *queries) UpdatePortal(ctx context.Context, p store.Portal) error {
	return q.InTx(ctx, func(ctx context.Context) error {
		err := q.execOne(ctx, `UPDATE portals SET name = ?, name_key = ?, redirect_uris = ?, post_logout_redirect_uris = ?,
			backchannel_logout_uri = ?, home_url = ?, confidential = ?, first_party = ?, access = ?,
			access_token_seconds = ?, id_token_seconds = ?, refresh_token_seconds = ?, refresh_grace_seconds = ?,
			signing_algorithm = ?, require_pkce = ?, allowed_scopes = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`,
			p.Name, nameKey(p.Name), words(p.RedirectURIs), words(p.PostLogoutRedirectURIs), p.BackchannelLogoutURI,
			p.HomeURL, p.Confidential, p.FirstParty, string(p.Access), seconds(p.AccessTokenLifetime),
			seconds(p.IDTokenLifetime), seconds(p.RefreshTokenLifetime), seconds(p.RefreshGrace), p.SigningAlgorithm,
			p.RequirePKCE, words(p.AllowedScopes), ms(p.UpdatedAt), p.OrgID, p.ID)
		if err != nil {
			return err
		}
		for _, table := range []string{"portal_roles", "portal_members"} {
			if _, err := q.exec(ctx, `DELETE FROM `+table+` WHERE org_id = ? AND portal_id = ?`, p.OrgID, p.ID); err != nil {
				return err
			}
		}
		return q.putPortalAccess(ctx, p.OrgID, p.ID, p)
	})
}

// putPortalAccess writes the roles or members the portal's access rule
// names (only those: the lists of other rules stay empty). A custom role
// or member is inserted only from the organisation's own rows, so another
// organisation's ID writes nothing and is ErrNotFound.
func (q *queries) putPortalAccess(ctx context.Context, orgID, portalID int64, p store.Portal) error {
	var writes []func() (sql.Result, error)
	switch p.Access {
	case store.PortalAccessRoles:
		for _, key := range uniq(p.Roles) {
			builtin, roleID, ok := store.ParseRoleKey(key)
			if !ok {
				return fmt.Errorf("role %q: %w", key, store.ErrNotFound)
			}
			if roleID == 0 {
				writes = append(writes, func() (sql.Result, error) {
					return q.exec(ctx, `INSERT INTO portal_roles (portal_id, org_id, builtin) VALUES (?, ?, ?)`,
						portalID, orgID, string(builtin))
				})
				continue
			}
			writes = append(writes, func() (sql.Result, error) {
				return q.exec(ctx, `INSERT INTO portal_roles (portal_id, org_id, role_id)
					SELECT ?, org_id, id FROM roles WHERE org_id = ? AND id = ?`, portalID, orgID, roleID)
			})
		}
	case store.PortalAccessMembers:
		for _, id := range uniq(p.MemberIDs) {
			writes = append(writes, func() (sql.Result, error) {
				return q.exec(ctx, `INSERT INTO portal_members (portal_id, org_id, member_id)
					SELECT ?, org_id, id FROM members WHERE org_id = ? AND id = ?`, portalID, orgID, id)
			})
		}
	}
	for _, write := range writes {
		res, err := write()
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("a role or member of the portal is not the organisation's: %w", store.ErrNotFound)
		}
	}
	return nil
}

func uniq[T comparable](list []T) []T {
	var out []T
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// DeletePortal deletes the portal; its access lists and secrets go with it
// (foreign keys), and what names it by client ID is deleted first.
func (q *queries) DeletePortal(ctx context.Context, orgID, id int64) error {
	return q.InTx(ctx, func(ctx context.Context) error {
		for _, table := range []string{"oidc_tokens", "oidc_consents", "oidc_auth_requests", "oidc_session_portals"} {
			if _, err := q.exec(ctx, `DELETE FROM `+table+` WHERE org_id = ?
				AND client_id = (SELECT client_id FROM portals WHERE org_id = ? AND id = ?)`, orgID, orgID, id); err != nil {
				return err
			}
		}
		return q.execOne(ctx, `DELETE FROM portals WHERE org_id = ? AND id = ?`, orgID, id)
	})
}

func (q *queries) PortalByID(ctx context.Context, orgID, id int64) (store.Portal, error) {
	return q.onePortal(ctx, q.queryRow(ctx, `SELECT `+portalColumns+` FROM portals WHERE org_id = ? AND id = ?`, orgID, id))
}

func (q *queries) PortalByClientID(ctx context.Context, clientID string) (store.Portal, error) {
	return q.onePortal(ctx, q.queryRow(ctx, `SELECT `+portalColumns+` FROM portals WHERE client_id = ?`, clientID))
}

var portalClientQuery = `SELECT ` + prefixed("p.", portalColumns) + `,
	COALESCE(s.id, 0), s.hash, COALESCE(s.created_at, 0), COALESCE(s.expires_at, 0)
	FROM portals p
	LEFT JOIN portal_secrets s ON s.org_id = p.org_id AND s.portal_id = p.id AND (s.expires_at = 0 OR s.expires_at > ?)
	WHERE p.client_id = ?
	ORDER BY s.created_at DESC, s.id DESC`

func (q *queries) PortalClient(ctx context.Context, clientID string, now time.Time) (store.Portal, []store.PortalSecret, error) {
	var p store.Portal
	var secrets []store.PortalSecret
	found := false
	err := q.eachRow(ctx, func(row scanner) error {
		var s store.PortalSecret
		targets := append(portalTargets(&p), &s.ID, &s.Hash, msTime{&s.CreatedAt}, msTime{&s.ExpiresAt})
		if err := row.Scan(targets...); err != nil {
			return err
		}
		found = true
		if s.ID != 0 {
			s.OrgID, s.PortalID = p.OrgID, p.ID
			secrets = append(secrets, s)
		}
		return nil
	}, portalClientQuery, ms(now), clientID)
	if err == nil && !found {
		err = store.ErrNotFound
	}
	return p, secrets, err
}

// onePortal scans a portal and reads the access lists its rule uses.
func (q *queries) onePortal(ctx context.Context, row rowScanner) (store.Portal, error) {
	p, err := scanPortal(row)
	if err != nil {
		return p, err
	}
	list := []store.Portal{p}
	err = q.loadPortalAccess(ctx, p.OrgID, list, `AND portal_id = ?`, p.ID)
	return list[0], err
}

func (q *queries) Portals(ctx context.Context, orgID int64) ([]store.Portal, error) {
	rows, err := q.query(ctx, `SELECT `+portalColumns+` FROM portals WHERE org_id = ? ORDER BY name_key, id`, orgID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []store.Portal
	for rows.Next() {
		p, err := scanPortal(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return list, q.loadPortalAccess(ctx, orgID, list, "")
}

// loadPortalAccess reads the roles and members of the portals in list
// whose access rule uses them: nothing for a portal open to all, one query
// per list otherwise. where narrows the organisation's rows.
func (q *queries) loadPortalAccess(ctx context.Context, orgID int64, list []store.Portal, where string, args ...any) error {
	index := map[int64]*store.Portal{}
	needs := map[store.PortalAccess]bool{}
	for i := range list {
		index[list[i].ID] = &list[i]
		needs[list[i].Access] = true
	}
	args = append([]any{orgID}, args...)
	if needs[store.PortalAccessRoles] {
		err := q.eachRow(ctx, func(s scanner) error {
			var portalID, roleID int64
			var builtin sql.NullString
			if err := s.Scan(&portalID, &builtin, idOrZero{&roleID}); err != nil {
				return err
			}
			if p := index[portalID]; p != nil && p.Access == store.PortalAccessRoles {
				key := builtin.String
				if roleID != 0 {
					key = store.CustomRoleKey(roleID)
				}
				p.Roles = append(p.Roles, key)
			}
			return nil
		}, `SELECT portal_id, builtin, role_id FROM portal_roles WHERE org_id = ? `+where+` ORDER BY portal_id, COALESCE(role_id, 0), builtin`, args...)
		if err != nil {
			return err
		}
	}
	if needs[store.PortalAccessMembers] {
		return q.eachRow(ctx, func(s scanner) error {
			var portalID, memberID int64
			if err := s.Scan(&portalID, &memberID); err != nil {
				return err
			}
			if p := index[portalID]; p != nil && p.Access == store.PortalAccessMembers {
				p.MemberIDs = append(p.MemberIDs, memberID)
			}
			return nil
		}, `SELECT portal_id, member_id FROM portal_members WHERE org_id = ? `+where+` ORDER BY portal_id, member_id`, args...)
	}
	return nil
}

// eachRow runs a query and calls fn for every row.
func (q *queries) eachRow(ctx context.Context, fn func(scanner) error, query string, args ...any) error {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return translate(err)
		}
	}
	return rows.Err()
}

// AddPortalSecret inserts the secret only for a portal of its organisation.
func (q *queries) AddPortalSecret(ctx context.Context, s *store.PortalSecret) error {
	id, err := q.insertID(ctx, `INSERT INTO portal_secrets (org_id, portal_id, hash, created_at, expires_at)
		SELECT org_id, id, ?, ?, ? FROM portals WHERE org_id = ? AND id = ?`,
		s.Hash, ms(s.CreatedAt), ms(s.ExpiresAt), s.OrgID, s.PortalID)
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

// RotatePortalSecret locks the portal's row first (FOR UPDATE's effect on
// PostgreSQL, through the UPDATE; the single writer on SQLite), so a
// concurrent rotation waits and then sees this one's secret, which it
// keeps working until its own deadline instead of leaving two current
// secrets.
func (q *queries) RotatePortalSecret(ctx context.Context, s *store.PortalSecret, oldUntil time.Time) error {
	now := ms(s.CreatedAt)
	return q.InTx(ctx, func(ctx context.Context) error {
		if err := q.execOne(ctx, `UPDATE portals SET updated_at = ? WHERE org_id = ? AND id = ?`, now, s.OrgID, s.PortalID); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM portal_secrets WHERE org_id = ? AND portal_id = ? AND expires_at <> 0 AND expires_at <= ?`,
			s.OrgID, s.PortalID, now); err != nil {
			return err
		}
		var err error
		if ms(oldUntil) <= now {
			_, err = q.exec(ctx, `DELETE FROM portal_secrets WHERE org_id = ? AND portal_id = ?`, s.OrgID, s.PortalID)
		} else {
			_, err = q.exec(ctx, `UPDATE portal_secrets SET expires_at = ?
				WHERE org_id = ? AND portal_id = ? AND (expires_at = 0 OR expires_at > ?)`,
				ms(oldUntil), s.OrgID, s.PortalID, ms(oldUntil))
		}
		if err != nil {
			return err
		}
		s.ExpiresAt = time.Time{}
		return q.AddPortalSecret(ctx, s)
	})
}

func (q *queries) PortalSecrets(ctx context.Context, orgID, portalID int64, now time.Time) ([]store.PortalSecret, error) {
	var list []store.PortalSecret
	err := q.eachRow(ctx, func(row scanner) error {
		var s store.PortalSecret
		if err := row.Scan(&s.ID, &s.OrgID, &s.PortalID, &s.Hash, msTime{&s.CreatedAt}, msTime{&s.ExpiresAt}); err != nil {
			return err
		}
		list = append(list, s)
		return nil
	}, `SELECT id, org_id, portal_id, hash, created_at, expires_at FROM portal_secrets
		WHERE org_id = ? AND portal_id = ? AND (expires_at = 0 OR expires_at > ?) ORDER BY created_at DESC, id DESC`,
		orgID, portalID, ms(now))
	return list, err
}

func (q *queries) DeletePortalSecrets(ctx context.Context, orgID, portalID int64) error {
	_, err := q.exec(ctx, `DELETE FROM portal_secrets WHERE org_id = ? AND portal_id = ?`, orgID, portalID)
	return err
}
