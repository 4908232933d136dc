package sqlstore

import (
	"context"
	"strings"

	"imslogin/internal/store"
)

// nameKey is how organisation names compare: trimmed, ignoring letter case.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// CreateOrganisation derives a free URL name when o has none. On SQLite the
// write transaction holds every other writer off between the read and the
// insert; on PostgreSQL two creations racing for the same URL name end in
// ErrConflict for one of them, never in a duplicate.
func (q *queries) CreateOrganisation(ctx context.Context, o *store.Organisation) error {
	if o.URLName != "" {
		return q.insertOrganisation(ctx, o)
	}
	err := q.InTx(ctx, func(ctx context.Context) error {
		urlName, err := q.freeURLName(ctx, store.URLNameOf(o.Name))
		if err != nil {
			return err
		}
		o.URLName = urlName
		return q.insertOrganisation(ctx, o)
	})
	if err != nil {
		o.URLName = ""
	}
	return err
}

func (q *queries) insertOrganisation(ctx context.Context, o *store.Organisation) error {
	s := o.Settings
	if o.Licences == 0 {
		o.Licences = store.DefaultLicences
	}
	id, err := q.insertID(ctx, `INSERT INTO organisations
		(name, name_key, url_name, sign_in_url, session_idle_seconds, session_absolute_seconds, remember_me_idle_seconds,
		remember_me_seconds, lockout_threshold, lockout_seconds, password_min_length, registration_seconds,
		unlinked_removal_days, notify_member_lockout, notify_password_change, notify_admins_new_member,
		require_verified_email, licences, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Name, nameKey(o.Name), o.URLName, o.SignInURL, seconds(s.SessionIdleTimeout), seconds(s.SessionAbsoluteTimeout),
		seconds(s.RememberMeIdleTimeout), seconds(s.RememberMeDuration), s.LockoutThreshold, seconds(s.LockoutDuration),
		s.PasswordMinLength, seconds(s.RegistrationLifetime), s.UnlinkedRemovalDays, s.NotifyMemberLockout,
		s.NotifyPasswordChange, s.NotifyAdminsNewMember, s.RequireVerifiedEmail, o.Licences, ms(o.CreatedAt))
	if err != nil {
		return err
	}
	o.ID = id
	return nil
}

// urlNamePrefix is how much of a derived URL name every candidate keeps
// (store.URLNameCandidate cuts a 63-character one to no fewer than 35).
const urlNamePrefix = 32

// freeURLName returns base, or the first of base-2, base-3… that no
// organisation has, reading the URL names that may be taken at once.
func (q *queries) freeURLName(ctx context.Context, base string) (string, error) {
	rows, err := q.query(ctx, `SELECT url_name FROM organisations WHERE url_name LIKE ?`, base[:min(len(base), urlNamePrefix)]+"%")
	if err != nil {
		return "", translate(err)
	}
	defer rows.Close()
	taken := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", err
		}
		taken[name] = true
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return firstFree(base, taken), nil
}

// firstFree is the first candidate URL name for base not in taken.
func firstFree(base string, taken map[string]bool) string {
	for n := 1; ; n++ {
		if c := store.URLNameCandidate(base, n); !taken[c] {
			return c
		}
	}
}

const organisationColumns = `id, name, url_name, sign_in_url, session_idle_seconds, session_absolute_seconds,
	remember_me_idle_seconds, remember_me_seconds, lockout_threshold, lockout_seconds, password_min_length,
	registration_seconds, unlinked_removal_days, notify_member_lockout, notify_password_change,
	notify_admins_new_member, require_verified_email, licences, created_at`

func (q *queries) OrganisationByID(ctx context.Context, id int64) (store.Organisation, error) {
	return scanOrganisation(q.queryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE id = ?`, id))
}

func (q *queries) OrganisationByName(ctx context.Context, name string) (store.Organisation, error) {
	return scanOrganisation(q.queryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE name_key = ?`, nameKey(name)))
}

func (q *queries) OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error) {
	return scanOrganisation(q.queryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE url_name = ?`, urlName))
}

func scanOrganisation(row scanner) (store.Organisation, error) {
	var o store.Organisation
	err := row.Scan(organisationTargets(&o)...)
	return o, translate(err)
}

// organisationTargets are the Scan destinations for organisationColumns.
func organisationTargets(o *store.Organisation) []any {
	s := &o.Settings
	return []any{&o.ID, &o.Name, &o.URLName, &o.SignInURL, secs{&s.SessionIdleTimeout}, secs{&s.SessionAbsoluteTimeout},
		secs{&s.RememberMeIdleTimeout}, secs{&s.RememberMeDuration}, &s.LockoutThreshold, secs{&s.LockoutDuration},
		&s.PasswordMinLength, secs{&s.RegistrationLifetime}, &s.UnlinkedRemovalDays, &s.NotifyMemberLockout,
		&s.NotifyPasswordChange, &s.NotifyAdminsNewMember, &s.RequireVerifiedEmail, &o.Licences, msTime{&o.CreatedAt}}
}

func (q *queries) UpdateOrganisation(ctx context.Context, o store.Organisation) error {
	s := o.Settings
	return q.execOne(ctx, `UPDATE organisations SET name = ?, name_key = ?, sign_in_url = ?, session_idle_seconds = ?,
		session_absolute_seconds = ?, remember_me_idle_seconds = ?, remember_me_seconds = ?, lockout_threshold = ?,
		lockout_seconds = ?, password_min_length = ?, registration_seconds = ?, unlinked_removal_days = ?,
		notify_member_lockout = ?, notify_password_change = ?, notify_admins_new_member = ?, require_verified_email = ?
		WHERE id = ?`,
		o.Name, nameKey(o.Name), o.SignInURL, seconds(s.SessionIdleTimeout), seconds(s.SessionAbsoluteTimeout),
		seconds(s.RememberMeIdleTimeout), seconds(s.RememberMeDuration), s.LockoutThreshold, seconds(s.LockoutDuration),
		s.PasswordMinLength, seconds(s.RegistrationLifetime), s.UnlinkedRemovalDays, s.NotifyMemberLockout,
		s.NotifyPasswordChange, s.NotifyAdminsNewMember, s.RequireVerifiedEmail, o.ID)
}

func (q *queries) SetURLName(ctx context.Context, orgID int64, urlName string) error {
	return q.execOne(ctx, `UPDATE organisations SET url_name = ? WHERE id = ?`, urlName, orgID)
}

func (q *queries) SetLicences(ctx context.Context, orgID int64, licences int) error {
	return q.execOne(ctx, `UPDATE organisations SET licences = ? WHERE id = ?`, licences, orgID)
}

// LockOrganisation reads the organisation for update. On SQLite the write
// transaction (BEGIN IMMEDIATE on the single writer) already excludes every
// other writer; on PostgreSQL FOR NO KEY UPDATE holds the row against
// other lockers and updates, but not against the key checks of rows that
// refer to it: a transaction that changed members (their counts) and then
// inserts an audit entry must not wait for a holder that waits for those
// counts, a deadlock.
func (q *queries) LockOrganisation(ctx context.Context, orgID int64) (store.Organisation, error) {
	query := `SELECT ` + organisationColumns + ` FROM organisations WHERE id = ?`
	if q.d == dialectPostgres {
		query += ` FOR NO KEY UPDATE`
	}
	return scanOrganisation(q.in(ctx).w.QueryRowContext(ctx, q.bind(query), orgID))
}
