package sqlstore

import (
	"context"
	"time"

	"imslogin/internal/store"
)

var _ store.Gauges = (*queries)(nil)

// OutboxBacklogs reads each outbox's pending messages through its
// (status, created_at) index.
func (q *queries) OutboxBacklogs(ctx context.Context) ([]store.OutboxBacklog, error) {
	rows, err := q.query(ctx, `SELECT 'mail', COUNT(*), COALESCE(MIN(created_at), 0) FROM mail_outbox WHERE status = 'pending'
		UNION ALL SELECT 'sms', COUNT(*), COALESCE(MIN(created_at), 0) FROM sms_outbox WHERE status = 'pending'
		UNION ALL SELECT 'logout', COUNT(*), COALESCE(MIN(created_at), 0) FROM oidc_logout_outbox WHERE status = 'pending'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []store.OutboxBacklog
	for rows.Next() {
		var b store.OutboxBacklog
		var oldest int64
		if err := rows.Scan(&b.Outbox, &b.Pending, &oldest); err != nil {
			return nil, err
		}
		if oldest != 0 {
			b.Oldest = fromMS(oldest)
		}
		list = append(list, b)
	}
	return list, rows.Err()
}

// LiveSessions counts through the sessions' expiry index.
func (q *queries) LiveSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE expires_at > ?`, ms(now)).Scan(&n)
	return n, err
}
