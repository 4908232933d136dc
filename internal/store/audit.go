package store

import (
	"context"
	"time"
)

// AuditEvent is one entry of an organisation's audit log. Entries are only
// ever added (and removed when older than the retention period).
type AuditEvent struct {
	ID        int64
	OrgID     int64
	At        time.Time
	Kind      string // what happened, such as "signin-failure"
	MemberID  int64  // the member it concerns; 0 when none (an unknown email)
	Email     string // the email address it concerns, as given
	Actor     string // who did it: the member's email, or "command line"
	Address   string // client address of the request, if any
	UserAgent string
	Detail    string // the reason or other particulars
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Email string
	Kind  string
	Since time.Time // at or after
	Until time.Time // before
	Limit int       // at most this many, newest first; 0 means 1000
}

// AuditLog stores the audit log. There is no way to change an entry.
type AuditLog interface {
	AppendAuditEvent(ctx context.Context, e *AuditEvent) error
	// AuditEvents lists one organisation's entries, newest first.
	AuditEvents(ctx context.Context, orgID int64, f AuditFilter) ([]AuditEvent, error)
	// PruneAuditEvents deletes entries older than before in every
	// organisation: the retention period, run as housekeeping.
	PruneAuditEvents(ctx context.Context, before time.Time) (int64, error)
}
