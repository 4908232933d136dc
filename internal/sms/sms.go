// Package sms sends text messages: a Provider interface with Twilio's
// Messages API, a signed JSON webhook and a development outbox; the
// durable outbox worker; and phone number validation.
package sms

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"imslogin/internal/store"
)

// Provider delivers one message. A *PermanentError is not retried.
type Provider interface {
	Send(ctx context.Context, to, body string) error
}

// PermanentError is a refusal that no retry will change (a bad number).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Queue is where Enqueue writes: the outbox.
type Queue interface {
	EnqueueSMS(ctx context.Context, m *store.SMSMessage) error
}

// Enqueue writes a message to the outbox, inside the transaction of the
// change it reports when ctx carries one.
func Enqueue(ctx context.Context, tx Queue, orgID int64, to, body string, at time.Time) error {
	if orgID == 0 || !strings.HasPrefix(to, "+") {
		return errors.New("sms: a message needs an organisation and an E.164 number")
	}
	return tx.EnqueueSMS(ctx, &store.SMSMessage{OrgID: orgID, To: to, Body: body, NextAttemptAt: at, CreatedAt: at})
}

// FromURL makes the provider IMS_SMS_URL names:
//
//	twilio://ACCOUNT_SID:AUTH_TOKEN@default?from=%2B15550100   (host "default" is api.twilio.com)
//	webhook+https://:SECRET@gateway.example/send              (HMAC-SHA256 signed JSON)
//	dev://                                                    (kept in the outbox, shown at /dev/mail)
//
// A nil provider with no error means the development outbox: nothing is
// delivered and no worker runs.
func FromURL(raw string) (Provider, error) {
	if raw == "" || raw == "dev://" || raw == "dev:" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("IMS_SMS_URL: %w", err)
	}
	switch {
	case u.Scheme == "twilio":
		return newTwilio(u)
	case strings.HasPrefix(u.Scheme, "webhook+"):
		return newWebhook(u)
	}
	return nil, fmt.Errorf("IMS_SMS_URL: unknown scheme %q: want twilio://, webhook+https:// or dev://", u.Scheme)
}
