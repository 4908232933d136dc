package sqlstore

import (
	"context"
	"errors"
	"time"

	"imslogin/internal/store"
)

// reserveAttemptQuery counts one attempt in a single statement, so two
// nodes counting at once each see the other's increment: the database
// serialises the upsert on the row and checks the WHERE against its latest
// version, so no attempt passes a lock another has just set. While locked
// the update is skipped and no row returns. Every SET expression reads the
// row as it was before this update; a lock_until in the past is a lock that
// has lifted, so counting starts again. Times are cast so PostgreSQL types
// them BIGINT.
const reserveAttemptQuery = `INSERT INTO signin_lockouts AS l (org_id, identifier, failures, last_failure_at, locked_until)
	VALUES (?, ?, 1, CAST(? AS BIGINT), CASE WHEN 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END)
	ON CONFLICT (org_id, identifier) DO UPDATE SET
	failures = CASE
		WHEN l.locked_until > 0 OR l.last_failure_at < CAST(? AS BIGINT) THEN 1
		ELSE l.failures + 1 END,
	locked_until = CASE
		WHEN l.locked_until > 0 OR l.last_failure_at < CAST(? AS BIGINT) THEN CASE WHEN 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END
		WHEN l.failures + 1 >= ? THEN CAST(? AS BIGINT)
		ELSE 0 END,
	last_failure_at = CAST(? AS BIGINT)
	WHERE l.locked_until <= CAST(? AS BIGINT)
	RETURNING org_id, identifier, failures, last_failure_at, locked_until`

func (q *queries) ReserveSigninAttempt(ctx context.Context, orgID int64, identifier string, rule store.FailureRule) (store.Lockout, bool, error) {
	now, forgetBefore, lockedUntil := ms(rule.Now), ms(rule.Now.Add(-rule.Forget)), ms(rule.Now.Add(rule.LockFor))
	l, err := scanLockout(q.writeRow(ctx, reserveAttemptQuery,
		orgID, identifier, now, rule.Threshold, lockedUntil,
		forgetBefore,
		forgetBefore, rule.Threshold, lockedUntil, rule.Threshold, lockedUntil,
		now, now))
	if err == nil {
		return l, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return l, false, err
	}
	l, err = q.SigninLockout(ctx, orgID, identifier) // locked: the row as it stands
	return l, false, err
}

func (q *queries) ReleaseSigninAttempt(ctx context.Context, orgID int64, identifier string, lockedByIt bool) error {
	_, err := q.exec(ctx, `UPDATE signin_lockouts SET failures = failures - 1,
		locked_until = CASE WHEN ? THEN 0 ELSE locked_until END
		WHERE org_id = ? AND identifier = ? AND failures > 0`, lockedByIt, orgID, identifier)
	return err
}

func (q *queries) TouchSigninLockout(ctx context.Context, orgID int64, identifier string) error {
	_, err := q.exec(ctx, `UPDATE signin_lockouts SET failures = failures WHERE org_id = ? AND identifier = ?`, orgID, identifier)
	return err
}

const lockoutColumns = `org_id, identifier, failures, last_failure_at, locked_until`

func (q *queries) SigninLockout(ctx context.Context, orgID int64, identifier string) (store.Lockout, error) {
	return scanLockout(q.queryRow(ctx, `SELECT `+lockoutColumns+` FROM signin_lockouts WHERE org_id = ? AND identifier = ?`,
		orgID, identifier))
}

func (q *queries) ClearSigninLockout(ctx context.Context, orgID int64, identifier string) (store.Lockout, error) {
	return scanLockout(q.writeRow(ctx, `DELETE FROM signin_lockouts WHERE org_id = ? AND identifier = ?
		RETURNING `+lockoutColumns, orgID, identifier))
}

// pruneLockoutsSQL searches signin_lockouts_last_failure.
const pruneLockoutsSQL = `DELETE FROM signin_lockouts WHERE last_failure_at < ? AND locked_until < ?`

func (q *queries) PruneSigninLockouts(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, pruneLockoutsSQL, ms(before), ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func scanLockout(row scanner) (store.Lockout, error) {
	var l store.Lockout
	err := row.Scan(&l.OrgID, &l.Identifier, &l.Failures, msTime{&l.LastFailureAt}, msTime{&l.LockedUntil})
	return l, translate(err)
}

// writeRow runs a write that returns one row (… RETURNING) on the writer.
func (q *queries) writeRow(ctx context.Context, query string, args ...any) rowScanner {
	q.roundTrips.Add(1)
	return q.rowOn(ctx, q.w, q.wStmts, q.bind(query), args)
}

// passwordSubjectQuery reads the organisation, the member and the lockout a
// password sign-in checks in one statement: one round trip, and one read of
// the pages a commit has just evicted, instead of three. Member and lockout
// columns are the zero value when their LEFT JOIN finds no row; the member's
// are memberColumns, in their order, for memberTargets.
var passwordSubjectQuery = `SELECT ` + prefixed("o.", organisationColumns) + `, ` + optionalMemberColumns + `,
	l.org_id IS NOT NULL, COALESCE(l.failures, 0), COALESCE(l.last_failure_at, 0), COALESCE(l.locked_until, 0)
	FROM organisations o
	LEFT JOIN members m ON m.org_id = o.id AND m.email = ?
	LEFT JOIN signin_lockouts l ON l.org_id = o.id AND l.identifier = ?
	WHERE o.name_key = ?`

func (q *queries) PasswordSubject(ctx context.Context, orgName, email, lockoutIdentifier string) (store.PasswordSubject, error) {
	var s store.PasswordSubject
	l := &s.Lockout
	targets := append(organisationTargets(&s.Organisation), memberTargets(&s.Member)...)
	targets = append(targets, &s.Counted, &l.Failures, msTime{&l.LastFailureAt}, msTime{&l.LockedUntil})
	if err := translate(q.queryRow(ctx, passwordSubjectQuery, email, lockoutIdentifier, nameKey(orgName)).Scan(targets...)); err != nil {
		return store.PasswordSubject{}, err
	}
	if s.Counted {
		l.OrgID, l.Identifier = s.Organisation.ID, lockoutIdentifier
	}
	return s, nil
}
