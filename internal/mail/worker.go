package mail

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"imslogin/internal/outbox"
	"imslogin/internal/store"
)

// Sender delivers a batch of messages, usually over one connection. It
// returns one error per message (nil when delivered), or a single error
// when nothing could be sent at all (the server is unreachable).
type Sender interface {
	Send(ctx context.Context, msgs []store.MailMessage) ([]error, error)
}

// Outbox is what the worker claims messages from and records outcomes in.
type Outbox interface {
	ClaimMail(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]store.MailMessage, error)
	RecordMailOutcome(ctx context.Context, id int64, claim string, o store.MailOutcome) error
}

// Worker delivers the outbox. Its zero durations take the defaults below.
type Worker struct {
	Store  Outbox
	Sender Sender
	Log    *slog.Logger
	Now    func() time.Time
	// Batch is how many messages one round claims (default 50).
	Batch int
	// Lease is how long a claim keeps other workers off (default 5 minutes);
	// it must outlast one round's sending.
	Lease time.Duration
	// MaxAttempts bounds the attempts before a message is failed (default 10).
	MaxAttempts int
	// FirstRetry is the wait after the first failure; it doubles after each
	// further failure, up to MaxRetry (defaults 30 seconds and 1 hour).
	FirstRetry, MaxRetry time.Duration
	// Poll is how often an idle worker looks for due messages (default 2 s).
	Poll time.Duration
}

func (w *Worker) defaults() {
	if w.Batch <= 0 {
		w.Batch = 50
	}
	if w.Lease <= 0 {
		w.Lease = 5 * time.Minute
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = 10
	}
	if w.FirstRetry <= 0 {
		w.FirstRetry = 30 * time.Second
	}
	if w.MaxRetry <= 0 {
		w.MaxRetry = time.Hour
	}
	if w.Poll <= 0 {
		w.Poll = 2 * time.Second
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Round counts what one round did.
type Round struct{ Sent, Retrying, Failed int }

// Run delivers until ctx ends, rounds back to back while there is work.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	w.Log.Info("mail worker started", "poll", w.Poll, "max_attempts", w.MaxAttempts)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			w.Log.Info("mail worker stopped")
			return
		case <-timer.C:
		}
		r, err := w.RunOnce(ctx)
		wait := w.Poll
		if err != nil && ctx.Err() == nil {
			w.Log.Error("mail worker", "err", err)
		} else if r.Sent+r.Retrying+r.Failed == w.Batch && r.Retrying == 0 {
			wait = 0 // a full batch went through: there may be more
		}
		timer.Reset(wait)
	}
}

// RunOnce claims one batch of due messages, sends it and records each
// outcome.
func (w *Worker) RunOnce(ctx context.Context) (Round, error) {
	w.defaults()
	var r Round
	claim := rand.Text()
	msgs, err := w.Store.ClaimMail(ctx, claim, w.Now(), w.Lease, w.Batch)
	if err != nil || len(msgs) == 0 {
		return r, err
	}
	errs, sendErr := w.Sender.Send(ctx, msgs)
	for i, m := range msgs {
		failure := sendErr
		if failure == nil && i < len(errs) {
			failure = errs[i]
		}
		o := w.outcome(m, failure)
		switch o.Status {
		case store.MailSent:
			r.Sent++
		case store.MailFailed:
			r.Failed++
			w.Log.Error("mail failed for good", "message", m.ID, "kind", m.Kind, "organisation", m.OrgID,
				"attempts", m.Attempts+1, "err", o.Error)
		default:
			r.Retrying++
			w.Log.Warn("mail delivery will be retried", "message", m.ID, "kind", m.Kind,
				"attempt", m.Attempts+1, "next", o.NextAttemptAt, "err", o.Error)
		}
		// A background context: the outcome of a sent message must be
		// recorded even while the worker is stopping.
		if err := w.Store.RecordMailOutcome(context.WithoutCancel(ctx), m.ID, claim, o); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				w.Log.Warn("mail claim lapsed before its outcome was recorded", "message", m.ID)
				continue
			}
			return r, err
		}
	}
	return r, nil
}

func (w *Worker) outcome(m store.MailMessage, failure error) store.MailOutcome {
	retry := outbox.Retry{MaxAttempts: w.MaxAttempts, FirstRetry: w.FirstRetry, MaxRetry: w.MaxRetry}
	return retry.Outcome(w.Now(), m.Attempts+1, failure, false)
}
