package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"imslogin/internal/store"
)

func (q *queries) EnqueueMail(ctx context.Context, m *store.MailMessage) error {
	if m.Status == "" {
		m.Status = store.MailPending
	}
	id, err := q.insertID(ctx, `INSERT INTO mail_outbox
		(org_id, message_id, kind, recipient, subject, text_body, html_body, status, attempts, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, m.MessageID, m.Kind, m.To, m.Subject, m.Text, m.HTML, string(m.Status), m.Attempts,
		ms(m.NextAttemptAt), ms(m.CreatedAt))
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

const mailColumns = `id, org_id, message_id, kind, recipient, subject, text_body, html_body, status, attempts,
	next_attempt_at, claimed_until, claim, last_error, created_at, sent_at`

func mailTargets(m *store.MailMessage) []any {
	return []any{&m.ID, &m.OrgID, &m.MessageID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Status,
		&m.Attempts, msTime{&m.NextAttemptAt}, msTime{&m.ClaimedUntil}, &m.Claim, &m.LastError,
		msTime{&m.CreatedAt}, msTime{&m.SentAt}}
}

// ClaimMail marks due, unclaimed messages as this worker's in one UPDATE.
// On PostgreSQL the inner SELECT skips rows another worker is claiming
// (SKIP LOCKED), and the outer condition is checked again on the row's
// latest version, so two workers never hold one message at once. SQLite
// has a single writer, so the statement cannot interleave at all.
func (q *queries) ClaimMail(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]store.MailMessage, error) {
	rows, err := q.claim(ctx, "mail_outbox", mailColumns, claim, now, lease, limit)
	if err != nil {
		return nil, err
	}
	list, err := scanMail(rows)
	slices.SortFunc(list, func(a, b store.MailMessage) int { return cmp.Compare(a.ID, b.ID) })
	return list, err
}

// claim is the one claiming statement both outboxes (mail_outbox and
// sms_outbox, which share the status and claim columns) use.
func (q *queries) claim(ctx context.Context, table, columns, claim string, now time.Time, lease time.Duration, limit int) (*sql.Rows, error) {
	lock := ""
	if q.d == dialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q.roundTrips.Add(1)
	rows, err := q.in(ctx).w.QueryContext(ctx, q.bind(`UPDATE `+table+` SET claimed_until = ?, claim = ?
		WHERE id IN (SELECT id FROM `+table+`
			WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until <= ?
			ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
		AND status = 'pending' AND claimed_until <= ?
		RETURNING `+columns),
		ms(now.Add(lease)), claim, ms(now), ms(now), limit, ms(now))
	return rows, translate(err)
}

// RecordMailOutcome ends a claim. A delivered message keeps no body: the
// links in it are secrets, and only the recipient needs them.
func (q *queries) RecordMailOutcome(ctx context.Context, id int64, claim string, o store.MailOutcome) error {
	var sentAt time.Time
	if o.Status == store.MailSent {
		sentAt = o.At
	}
	return q.execOne(ctx, `UPDATE mail_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?,
		last_error = ?, sent_at = ?, claimed_until = 0, claim = '',
		text_body = CASE WHEN ? THEN '' ELSE text_body END,
		html_body = CASE WHEN ? THEN '' ELSE html_body END
		WHERE id = ? AND claim = ? AND status = 'pending'`,
		string(o.Status), ms(o.NextAttemptAt), o.Error, ms(sentAt), o.Status == store.MailSent,
		o.Status == store.MailSent, id, claim)
}

func (q *queries) OrganisationMail(ctx context.Context, orgID int64, limit int) ([]store.MailMessage, error) {
	q.roundTrips.Add(1)
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(`SELECT `+mailColumns+` FROM mail_outbox WHERE org_id = ? ORDER BY id DESC LIMIT ?`), orgID, limit)
	if err != nil {
		return nil, err
	}
	return scanMail(rows)
}

func (q *queries) RecentMail(ctx context.Context, limit int) ([]store.MailMessage, error) {
	q.roundTrips.Add(1)
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(`SELECT `+mailColumns+` FROM mail_outbox ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	return scanMail(rows)
}

func (q *queries) PruneMail(ctx context.Context, before time.Time) (int64, error) {
	return q.pruneDone(ctx, "mail_outbox", before)
}

// pruneDone deletes an outbox's finished (sent or failed) messages created
// before before.
func (q *queries) pruneDone(ctx context.Context, table string, before time.Time) (int64, error) {
	res, err := q.exec(ctx, pruneDoneSQL(table), ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type rowsScanner interface {
	scanner
	Next() bool
	Err() error
	Close() error
}

func scanMail(rows rowsScanner) ([]store.MailMessage, error) {
	defer rows.Close()
	var list []store.MailMessage
	for rows.Next() {
		var m store.MailMessage
		if err := rows.Scan(mailTargets(&m)...); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, rows.Err()
}

// pruneDoneSQL deletes table's finished messages; it searches the table's
// (status, created_at) index, mail_outbox_done or sms_outbox_done.
func pruneDoneSQL(table string) string {
	return `DELETE FROM ` + table + ` WHERE status IN ('sent', 'failed') AND created_at < ?`
}
