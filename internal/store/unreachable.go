package store

import (
	"context"
	"sync/atomic"
)

// Unreachable records, for one request, that the database could not be
// reached or dropped the connection (a restart, a failover, a full pool):
// whatever the handler answers, the server then tells the client to try
// again (503 with Retry-After) rather than that the request failed. A
// backend notes it through NoteUnreachable with the request's context.
type Unreachable struct{ seen atomic.Bool }

type unreachableKey struct{}

// WithUnreachable returns ctx carrying a fresh record, and the record.
func WithUnreachable(ctx context.Context) (context.Context, *Unreachable) {
	u := new(Unreachable)
	return context.WithValue(ctx, unreachableKey{}, u), u
}

// NoteUnreachable marks the record ctx carries, if any.
func NoteUnreachable(ctx context.Context) {
	if u, ok := ctx.Value(unreachableKey{}).(*Unreachable); ok {
		u.seen.Store(true)
	}
}

// Seen reports whether the request met an unreachable database.
func (u *Unreachable) Seen() bool { return u.seen.Load() }
