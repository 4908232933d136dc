package emailverify

import (
	"context"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/linkmail"
	"imslogin/internal/mail"
	"imslogin/internal/otpcode"
	"imslogin/internal/store"
)

// Store is what verifying and changing an email reads and writes: the
// member, the codes, the outbox that sends them and the audit log.
type Store interface {
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	MemberByEmail(ctx context.Context, orgID int64, email string) (store.Member, error)
	store.EmailVerification
	store.OneTimeCodes
	// A change of address ends the member's links and other sessions.
	EndMemberLinkTokens(ctx context.Context, orgID, memberID int64, now time.Time) error
	MemberSessions(ctx context.Context, orgID, memberID int64) ([]store.Session, error)
	DeleteMemberSession(ctx context.Context, orgID, memberID, id int64) error
	mail.Queue
	audit.Log
	store.Transactor
}

// Purposes of the codes this package sends.
const (
	// PurposeVerify proves the member's current address.
	PurposeVerify = "verify-email"
	// PurposeChange proves a new address; the code's Destination is it.
	PurposeChange = "change-email"
)

// MaxAttempts is how many wrong codes one change of address may take; the
// last of them ends it. At sign-in the flow's own limit applies
// (signin.MaxAttempts).
const MaxAttempts = 5

// sendCode issues a code and queues its email through tx, so the code
// exists exactly when its email will go.
func sendCode(ctx context.Context, tx Store, codes *otpcode.Issuer, logos mail.Logos, org store.Organisation, m store.Member, purpose, to string) error {
	code, err := codes.Issue(ctx, tx, org.ID, m.ID, purpose, to)
	if err != nil {
		return err
	}
	return mail.Enqueue(ctx, tx, mail.Message{OrgID: org.ID, To: to, Kind: mail.EmailCode, At: codes.Now(),
		Data: mail.Data{Organisation: org.Name, Name: m.Name, ValidFor: linkmail.Words(codes.Lifetime()), LogoURL: logos.For(org),
			Extra: map[string]string{"code": code}}})
}
