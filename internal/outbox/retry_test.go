package outbox_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"imslogin/internal/outbox"
	"imslogin/internal/store"
)

// TestRetryDoublesUpToItsBoundThenFails: waits of 30 s, 1, 2, 4 min… up to
// the bound, and the last attempt fails the message.
func TestRetryDoublesUpToItsBoundThenFails(t *testing.T) {
	r := outbox.Retry{MaxAttempts: 8, FirstRetry: 30 * time.Second, MaxRetry: 5 * time.Minute}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	down := errors.New("connection refused")
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		o := r.Outcome(now, i+1, down, false)
		if o.Status != store.MailPending || o.NextAttemptAt.Sub(now) != w || o.Error != down.Error() {
			t.Errorf("attempt %d: %+v, want pending for %v", i+1, o, w)
		}
	}
	if o := r.Outcome(now, 8, down, false); o.Status != store.MailFailed || !o.NextAttemptAt.IsZero() {
		t.Errorf("last attempt: %+v, want failed", o)
	}
	if o := r.Outcome(now, 1, down, true); o.Status != store.MailFailed {
		t.Errorf("permanent failure: %+v, want failed at once", o)
	}
	if o := r.Outcome(now, 3, nil, false); o.Status != store.MailSent || !o.At.Equal(now) || o.Error != "" {
		t.Errorf("delivered: %+v", o)
	}
	if o := r.Outcome(now, 1, errors.New(strings.Repeat("x", 5000)), false); len(o.Error) != 1000 {
		t.Errorf("kept error of %d bytes, want 1000", len(o.Error))
	}
}
