package sms

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"imslogin/internal/outbox"
	"imslogin/internal/store"
)

// Outbox is what the worker claims messages from and records outcomes in.
type Outbox interface {
	ClaimSMS(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]store.SMSMessage, error)
	RecordSMSOutcome(ctx context.Context, id int64, claim string, o store.MailOutcome) error
}

// Worker delivers the SMS outbox through a Provider, retrying failures
// with doubling waits (outbox.Retry), as the mail worker does.
type Worker struct {
	Store    Outbox
	Provider Provider
	Log      *slog.Logger
	Now      func() time.Time
	outbox.Policy
}

// DefaultPolicy: 20 messages a round, claims of 2 minutes, 6 attempts 15
// seconds apart at first and at most 10 minutes (codes are useless after
// 10 minutes).
var DefaultPolicy = outbox.Policy{Batch: 20, Lease: 2 * time.Minute, MaxAttempts: 6, FirstRetry: 15 * time.Second,
	MaxRetry: 10 * time.Minute, Poll: time.Second}

func (w *Worker) defaults() {
	w.Policy = w.Policy.Or(DefaultPolicy)
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends, rounds back to back while there is work.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	outbox.Run(ctx, w.Poll, w.Log, "sms", func(ctx context.Context) (bool, error) {
		n, err := w.RunOnce(ctx)
		return n == w.Batch, err
	})
}

// RunOnce sends one batch of due messages and returns how many were sent.
func (w *Worker) RunOnce(ctx context.Context) (sent int, err error) {
	w.defaults()
	claim := rand.Text()
	msgs, err := w.Store.ClaimSMS(ctx, claim, w.Now(), w.Lease, w.Batch)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		o := w.outcome(m, w.Provider.Send(ctx, m.To, m.Body))
		if o.Status == store.MailSent {
			sent++
		} else {
			w.Log.Warn("sms not delivered", "message", m.ID, "to", Mask(m.To), "status", o.Status, "err", o.Error)
		}
		if err := w.Store.RecordSMSOutcome(context.WithoutCancel(ctx), m.ID, claim, o); err != nil && !errors.Is(err, store.ErrNotFound) {
			return sent, err
		}
	}
	return sent, nil
}

func (w *Worker) outcome(m store.SMSMessage, failure error) store.MailOutcome {
	var permanent *PermanentError
	retry := w.Policy.Retry()
	return retry.Outcome(w.Now(), m.Attempts+1, failure, errors.As(failure, &permanent))
}
