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
// calls done with each message's outcome (nil when delivered) as soon as
// it is known, before sending the next, and stops with done's error if it
// returns one; it returns an error when what is left could not be sent at
// all (the server is unreachable).
type Sender interface {
	Send(ctx context.Context, msgs []store.MailMessage, done func(i int, err error) error) error
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
	outbox.Policy
}

// DefaultPolicy: 50 messages a round, claims of 5 minutes, 10 attempts
// 30 seconds apart at first and at most an hour.
var DefaultPolicy = outbox.Policy{Batch: 50, Lease: 5 * time.Minute, MaxAttempts: 10, FirstRetry: 30 * time.Second,
	MaxRetry: time.Hour, Poll: 2 * time.Second}

func (w *Worker) defaults() {
	w.Policy = w.Policy.Or(DefaultPolicy)
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
	outbox.Run(ctx, w.Poll, w.Log, "mail", func(ctx context.Context) (bool, error) {
		r, err := w.RunOnce(ctx)
		return r.Sent+r.Retrying+r.Failed == w.Batch && r.Retrying == 0, err
	})
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
	// Each outcome is written as soon as the server answers, before the
	// next message goes out: a process that dies in the middle of a batch
	// sends again at most the one message the server had just accepted.
	var recordErr error
	recorded := make([]bool, len(msgs))
	record := func(i int, failure error) error {
		recorded[i] = true
		recordErr = w.record(ctx, &r, claim, msgs[i], failure)
		return recordErr
	}
	if err := w.Sender.Send(ctx, msgs, record); err != nil && recordErr == nil {
		for i := range msgs {
			if !recorded[i] && record(i, err) != nil {
				break
			}
		}
	}
	return r, recordErr
}

// record writes one message's outcome and counts it in r.
func (w *Worker) record(ctx context.Context, r *Round, claim string, m store.MailMessage, failure error) error {
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
	err := w.Store.RecordMailOutcome(context.WithoutCancel(ctx), m.ID, claim, o)
	if errors.Is(err, store.ErrNotFound) {
		w.Log.Warn("mail claim lapsed before its outcome was recorded", "message", m.ID)
		return nil
	}
	return err
}

func (w *Worker) outcome(m store.MailMessage, failure error) store.MailOutcome {
	retry := w.Policy.Retry()
	return retry.Outcome(w.Now(), m.Attempts+1, failure, false)
}
