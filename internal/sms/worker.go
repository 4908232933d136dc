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
	Store       Outbox
	Provider    Provider
	Log         *slog.Logger
	Now         func() time.Time
	Batch       int           // default 20
	Lease       time.Duration // default 2 minutes
	MaxAttempts int           // default 6: codes are useless after 10 minutes
	FirstRetry  time.Duration // default 15 seconds
	MaxRetry    time.Duration // default 10 minutes
	Poll        time.Duration // default 1 second
}

func (w *Worker) defaults() {
	if w.Batch <= 0 {
		w.Batch = 20
	}
	if w.Lease <= 0 {
		w.Lease = 2 * time.Minute
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = 6
	}
	if w.FirstRetry <= 0 {
		w.FirstRetry = 15 * time.Second
	}
	if w.MaxRetry <= 0 {
		w.MaxRetry = 10 * time.Minute
	}
	if w.Poll <= 0 {
		w.Poll = time.Second
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("sms worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
	retry := outbox.Retry{MaxAttempts: w.MaxAttempts, FirstRetry: w.FirstRetry, MaxRetry: w.MaxRetry}
	return retry.Outcome(w.Now(), m.Attempts+1, failure, errors.As(failure, &permanent))
}
