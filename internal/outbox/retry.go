// Package outbox holds what the outboxes (email, text messages,
// back-channel logouts) share: a worker's policy, its loop of rounds, and
// how a message fares after an attempt to deliver it.
package outbox

import (
	"time"

	"imslogin/internal/store"
)

// maxError bounds the delivery error kept with a message.
const maxError = 1000

// Retry is a delivery policy: a failed message is tried again after
// FirstRetry, then after twice as long each time, up to MaxRetry, until
// MaxAttempts attempts have failed.
type Retry struct {
	MaxAttempts          int
	FirstRetry, MaxRetry time.Duration
}

// Outcome is what becomes of a message after its attempt number attempt
// (1 for the first), at now: sent when failure is nil, failed when the
// failure is permanent or the attempts are spent, else pending until the
// next attempt is due.
func (r Retry) Outcome(now time.Time, attempt int, failure error, permanent bool) store.MailOutcome {
	if failure == nil {
		return store.MailOutcome{Status: store.MailSent, At: now}
	}
	msg := failure.Error()
	if len(msg) > maxError {
		msg = msg[:maxError]
	}
	if permanent || attempt >= r.MaxAttempts {
		return store.MailOutcome{Status: store.MailFailed, At: now, Error: msg}
	}
	return store.MailOutcome{Status: store.MailPending, At: now, NextAttemptAt: now.Add(r.wait(attempt)), Error: msg}
}

// wait is the pause after the given number of failed attempts.
func (r Retry) wait(failures int) time.Duration {
	d := r.FirstRetry
	for i := 1; i < failures && d < r.MaxRetry; i++ {
		d *= 2
	}
	return min(d, r.MaxRetry)
}
