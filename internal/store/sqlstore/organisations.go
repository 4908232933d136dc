package sqlstore

import (
	"context"
	"strings"

	"imslogin/internal/store"
)

// nameKey is how organisation names compare: trimmed, ignoring letter case.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func (q *queries) CreateOrganisation(ctx context.Context, o *store.Organisation) error {
	s := o.Settings
	id, err := q.insertID(ctx, `INSERT INTO organisations
		(name, name_key, portal_url, session_idle_seconds, session_absolute_seconds, remember_me_idle_seconds,
		remember_me_seconds, lockout_threshold, lockout_seconds, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Name, nameKey(o.Name), o.PortalURL, seconds(s.SessionIdleTimeout), seconds(s.SessionAbsoluteTimeout),
		seconds(s.RememberMeIdleTimeout), seconds(s.RememberMeDuration), s.LockoutThreshold, seconds(s.LockoutDuration),
		ms(o.CreatedAt))
	if err != nil {
		return err
	}
	o.ID = id
	return nil
}

const organisationColumns = `id, name, portal_url, session_idle_seconds, session_absolute_seconds,
	remember_me_idle_seconds, remember_me_seconds, lockout_threshold, lockout_seconds, created_at`

func (q *queries) OrganisationByID(ctx context.Context, id int64) (store.Organisation, error) {
	return scanOrganisation(q.queryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE id = ?`, id))
}

func (q *queries) OrganisationByName(ctx context.Context, name string) (store.Organisation, error) {
	return scanOrganisation(q.queryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE name_key = ?`, nameKey(name)))
}

func scanOrganisation(row scanner) (store.Organisation, error) {
	var o store.Organisation
	err := row.Scan(organisationTargets(&o)...)
	return o, translate(err)
}

// organisationTargets are the Scan destinations for organisationColumns.
func organisationTargets(o *store.Organisation) []any {
	s := &o.Settings
	return []any{&o.ID, &o.Name, &o.PortalURL, secs{&s.SessionIdleTimeout}, secs{&s.SessionAbsoluteTimeout},
		secs{&s.RememberMeIdleTimeout}, secs{&s.RememberMeDuration}, &s.LockoutThreshold, secs{&s.LockoutDuration},
		msTime{&o.CreatedAt}}
}
