package store

import (
	"context"
	"time"
)

// MailStatus is where an outbox message stands.
type MailStatus string

const (
	MailPending MailStatus = "pending" // waiting for its first or next attempt
	MailSent    MailStatus = "sent"    // accepted by the mail server
	MailFailed  MailStatus = "failed"  // gave up after the bounded number of attempts
)

// MailMessage is one email in the outbox: a row written in the same
// transaction as the change that caused it, delivered later by a worker.
type MailMessage struct {
	ID        int64
	OrgID     int64
	MessageID string // the unique left part of the Message-ID header, kept across retries
	Kind      string // the template it was made from, such as "invitation"
	To        string
	Subject   string
	Text      string // plain-text body
	HTML      string // HTML body
	Status    MailStatus
	Attempts  int
	// NextAttemptAt is when a worker may try (again).
	NextAttemptAt time.Time
	// ClaimedUntil is when a worker's claim on the message lapses; Claim
	// names that claim, so only its holder can record the outcome.
	ClaimedUntil time.Time
	Claim        string
	LastError    string
	CreatedAt    time.Time
	SentAt       time.Time
}

// MailOutcome is what a delivery attempt did to a claimed message.
type MailOutcome struct {
	Status        MailStatus // MailSent, MailPending (retry later) or MailFailed
	At            time.Time  // when the attempt ended
	NextAttemptAt time.Time  // for MailPending
	Error         string     // why the attempt failed
}

// Outbox stores email waiting for delivery. Delivery spans organisations
// (one worker serves them all), so claiming is by time, not by organisation;
// reading messages back is scoped to one organisation, except for the
// development mailbox, which shows everything.
type Outbox interface {
	EnqueueMail(ctx context.Context, m *MailMessage) error
	// ClaimMail takes up to limit due messages for this worker until
	// now+lease, so no other worker sends them meanwhile. claim names the
	// claim for RecordMailOutcome.
	ClaimMail(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]MailMessage, error)
	// RecordMailOutcome ends a claim. It returns ErrNotFound when the claim
	// has lapsed and another worker holds the message.
	RecordMailOutcome(ctx context.Context, id int64, claim string, o MailOutcome) error
	// OrganisationMail lists an organisation's messages, newest first.
	OrganisationMail(ctx context.Context, orgID int64, limit int) ([]MailMessage, error)
	// RecentMail lists every organisation's messages, newest first: for the
	// development mailbox and operators only.
	RecentMail(ctx context.Context, limit int) ([]MailMessage, error)
	// PruneMail deletes sent and failed messages created before before, in
	// every organisation: the retention period, run as housekeeping.
	// Pending messages stay until they are sent or fail.
	PruneMail(ctx context.Context, before time.Time) (int64, error)
}
