package store

import (
	"context"
	"time"
)

// OutboxBacklog is what waits in one outbox: "mail", "sms" or "logout"
// (back-channel logouts). Oldest is the creation time of the oldest
// waiting message, zero when none waits.
type OutboxBacklog struct {
	Outbox  string
	Pending int64
	Oldest  time.Time
}

// Gauges are the operator's totals across every organisation, read for
// metrics: they name no organisation's data.
type Gauges interface {
	// OutboxBacklogs reports every outbox, in the order mail, sms, logout.
	OutboxBacklogs(ctx context.Context) ([]OutboxBacklog, error)
	// LiveSessions counts sessions not past their absolute expiry at now.
	LiveSessions(ctx context.Context, now time.Time) (int64, error)
}
