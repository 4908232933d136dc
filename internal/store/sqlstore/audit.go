package sqlstore

import (
	"context"
	"strings"
	"time"

	"imslogin/internal/store"
)

func (q *queries) AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error {
	id, err := q.insertID(ctx, `INSERT INTO audit_events
		(org_id, at, kind, member_id, email, actor, address, user_agent, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.OrgID, ms(e.At), e.Kind, e.MemberID, e.Email, e.Actor, e.Address, e.UserAgent, e.Detail)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// defaultAuditLimit bounds a listing when the caller gives no limit.
const defaultAuditLimit = 1000

func (q *queries) AuditEvents(ctx context.Context, orgID int64, f store.AuditFilter) ([]store.AuditEvent, error) {
	where := []string{"org_id = ?"}
	args := []any{orgID}
	if f.Email != "" {
		where, args = append(where, "email = ?"), append(args, f.Email)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, ms(f.Until))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	args = append(args, limit)
	rows, err := q.query(ctx, `SELECT id, org_id, at, kind, member_id, email, actor, address, user_agent, detail
		FROM audit_events WHERE `+strings.Join(where, " AND ")+` ORDER BY at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var events []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		if err := rows.Scan(&e.ID, &e.OrgID, msTime{&e.At}, &e.Kind, &e.MemberID, &e.Email, &e.Actor, &e.Address,
			&e.UserAgent, &e.Detail); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// pruneAuditSQL searches audit_events_at.
const pruneAuditSQL = `DELETE FROM audit_events WHERE at < ?`

func (q *queries) PruneAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, pruneAuditSQL, ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
