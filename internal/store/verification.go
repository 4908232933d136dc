package store

import (
	"context"
	"time"
)

// OneTimeCode is the newest short code sent to a member for one purpose
// (verifying their email at sign-in, proving a new address…). Only its
// hash is kept; sending another replaces it, so only the newest works.
type OneTimeCode struct {
	OrgID    int64
	MemberID int64
	Purpose  string
	CodeHash []byte
	// Destination is where the code went: for a change of address, the
	// pending address, kept here beside the current one until proved.
	Destination string
	SentAt      time.Time
	ExpiresAt   time.Time
	// Attempts counts wrong guesses outside a sign-in; replacing the code
	// keeps the count.
	Attempts int
}

// OneTimeCodes stores one-time codes, always within one organisation.
type OneTimeCodes interface {
	// PutOneTimeCode stores c, replacing the member's code for c.Purpose
	// but keeping its count of wrong guesses.
	PutOneTimeCode(ctx context.Context, c OneTimeCode) error
	// CountOneTimeCodeFailure adds a wrong guess and returns the count;
	// ErrNotFound if there is no code.
	CountOneTimeCodeFailure(ctx context.Context, orgID, memberID int64, purpose string) (int, error)
	OneTimeCode(ctx context.Context, orgID, memberID int64, purpose string) (OneTimeCode, error)
	// DeleteOneTimeCode deletes the code only while it is still the one
	// whose hash is codeHash, and is ErrNotFound otherwise: of several
	// requests using one code, exactly one gets to delete it.
	DeleteOneTimeCode(ctx context.Context, orgID, memberID int64, purpose string, codeHash []byte) error
}

// EmailVerification marks and changes members' verified addresses.
type EmailVerification interface {
	// MarkEmailVerified marks the member's email verified if it is still
	// email; ErrNotFound if the member or their address changed meanwhile.
	MarkEmailVerified(ctx context.Context, orgID, memberID int64, email string) error
	// ChangeMemberEmail replaces the member's email with a verified one;
	// ErrConflict if another member of the organisation already has it.
	ChangeMemberEmail(ctx context.Context, orgID, memberID int64, email string) error
}
