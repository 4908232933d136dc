package outbox

import (
	"context"
	"log/slog"
	"time"
)

// Policy is how an outbox worker claims and retries. A zero field takes
// the worker's default (see Or).
type Policy struct {
	Batch int // messages one round claims
	// Lease is how long a claim keeps other workers (other nodes) off its
	// messages; it must outlast one round's deliveries.
	Lease time.Duration
	// MaxAttempts bounds the attempts before a message is failed; the wait
	// after the first failure is FirstRetry, doubling up to MaxRetry.
	MaxAttempts          int
	FirstRetry, MaxRetry time.Duration
	Poll                 time.Duration // how often an idle worker looks for due messages
}

// Or returns p with each zero field taken from def.
func (p Policy) Or(def Policy) Policy {
	p.Batch = orInt(p.Batch, def.Batch)
	p.Lease = orInt(p.Lease, def.Lease)
	p.MaxAttempts = orInt(p.MaxAttempts, def.MaxAttempts)
	p.FirstRetry = orInt(p.FirstRetry, def.FirstRetry)
	p.MaxRetry = orInt(p.MaxRetry, def.MaxRetry)
	p.Poll = orInt(p.Poll, def.Poll)
	return p
}

func orInt[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Retry is the policy's retry schedule.
func (p Policy) Retry() Retry {
	return Retry{MaxAttempts: p.MaxAttempts, FirstRetry: p.FirstRetry, MaxRetry: p.MaxRetry}
}

// Run runs rounds until ctx ends: the next at once when a round reports
// more work waiting (a full batch went through), else after poll. A
// round's error is logged and the worker goes on.
func Run(ctx context.Context, poll time.Duration, log *slog.Logger, name string, round func(context.Context) (more bool, err error)) {
	log.Info(name+" worker started", "poll", poll)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info(name + " worker stopped")
			return
		case <-timer.C:
		}
		more, err := round(ctx)
		wait := poll
		if err != nil && ctx.Err() == nil {
			log.Error(name+" worker", "err", err)
		} else if more {
			wait = 0
		}
		timer.Reset(wait)
	}
}
