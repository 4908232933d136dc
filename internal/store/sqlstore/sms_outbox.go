package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"imslogin/internal/store"
)

func (q *queries) EnqueueSMS(ctx context.Context, m *store.SMSMessage) error {
	if m.Status == "" {
		m.Status = store.MailPending
	}
	id, err := q.insertID(ctx, `INSERT INTO sms_outbox (org_id, to_number, body, status, attempts, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, m.To, m.Body, string(m.Status), m.Attempts, ms(m.NextAttemptAt), ms(m.CreatedAt))
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

const smsColumns = `id, org_id, to_number, body, status, attempts, next_attempt_at, claimed_until, claim, last_error,
	created_at, sent_at`

// ClaimSMS claims due messages exactly as ClaimMail does.
func (q *queries) ClaimSMS(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]store.SMSMessage, error) {
	rows, err := q.claim(ctx, "sms_outbox", smsColumns, claim, now, lease, limit)
	if err != nil {
		return nil, err
	}
	list, err := scanSMS(rows)
	slices.SortFunc(list, func(a, b store.SMSMessage) int { return cmp.Compare(a.ID, b.ID) })
	return list, err
}

// RecordSMSOutcome ends a claim; a delivered message keeps no body, since
// it held a code.
func (q *queries) RecordSMSOutcome(ctx context.Context, id int64, claim string, o store.MailOutcome) error {
	var sentAt time.Time
	if o.Status == store.MailSent {
		sentAt = o.At
	}
	return q.execOne(ctx, `UPDATE sms_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?,
		last_error = ?, sent_at = ?, claimed_until = 0, claim = '',
		body = CASE WHEN ? THEN '' ELSE body END
		WHERE id = ? AND claim = ? AND status = 'pending'`,
		string(o.Status), ms(o.NextAttemptAt), o.Error, ms(sentAt), o.Status == store.MailSent, id, claim)
}

func (q *queries) RecentSMS(ctx context.Context, limit int) ([]store.SMSMessage, error) {
	rows, err := q.query(ctx, `SELECT `+smsColumns+` FROM sms_outbox ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	return scanSMS(rows)
}

func (q *queries) PruneSMS(ctx context.Context, before time.Time) (int64, error) {
	return q.pruneDone(ctx, "sms_outbox", before)
}

func scanSMS(rows rowsScanner) ([]store.SMSMessage, error) {
	defer rows.Close()
	var list []store.SMSMessage
	for rows.Next() {
		var m store.SMSMessage
		if err := rows.Scan(&m.ID, &m.OrgID, &m.To, &m.Body, &m.Status, &m.Attempts, msTime{&m.NextAttemptAt},
			msTime{&m.ClaimedUntil}, &m.Claim, &m.LastError, msTime{&m.CreatedAt}, msTime{&m.SentAt}); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, rows.Err()
}
