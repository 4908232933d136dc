package sms

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"imslogin/internal/store"
)

// Worker delivers the SMS outbox through a Provider, retrying failures
// with doubling waits, like the mail worker.
type Worker struct {
	Store       store.Store
	Provider    Provider
	Log         *slog.Logger
	Now         func() time.Time
	Batch       int           // default 20
	Lease       time.Duration // default 2 minutes
	MaxAttempts int           // default 6: codes are useless after 10 minutes
	FirstRetry  time.Duration // default 15 seconds
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
	now := w.Now()
	if failure == nil {
		return store.MailOutcome{Status: store.MailSent, At: now}
	}
	var permanent *PermanentError
	if errors.As(failure, &permanent) || m.Attempts+1 >= w.MaxAttempts {
		return store.MailOutcome{Status: store.MailFailed, At: now, Error: failure.Error()}
	}
	wait := w.FirstRetry << min(m.Attempts, 8)
	return store.MailOutcome{Status: store.MailPending, At: now, NextAttemptAt: now.Add(wait), Error: failure.Error()}
}
