package code

import (
	"context"
	"net/url"
	"time"

	"imslogin/internal/mail"
	"imslogin/internal/mfa"
	"imslogin/internal/sms"
	"imslogin/internal/store"
)

// The one-time-code purposes of the two methods.
const (
	EmailPurpose = "mfa-email"
	SMSPurpose   = "mfa-sms"
)

// Email sends the code to the member's email address. It needs no set-up,
// so it is offered only when the organisation requires MFA and allows it.
type Email struct {
	Store EmailStore
	Key   []byte // hashes the codes (otpcode.KeyFrom)
	// Logos places the organisation's logo in the email.
	Logos mail.Logos
}

// EmailStore keeps the codes and the outbox that carries them.
type EmailStore interface {
	Codes
	mail.Queue
}

var _ mfa.Method = (*Email)(nil)

func (*Email) Name() string  { return "email" }
func (*Email) Label() string { return "Email code" }
func (*Email) AMR() string   { return "otp" }

func (*Email) Usable(s mfa.Subject) bool {
	return s.Policy.Required && s.Policy.Allows("email") && s.Member.Email != ""
}

func (e *Email) Challenge(ctx context.Context, s mfa.Subject, resend bool) (mfa.Prompt, error) {
	err := Issue(ctx, e.Store, e.Key, s.Binding, s.Organisation.ID, s.Member.ID, EmailPurpose, s.Member.Email, s.Now, resend,
		func(ctx context.Context, to, code string) error {
			return mail.Enqueue(ctx, e.Store, mail.Message{OrgID: s.Organisation.ID, To: to, Kind: mail.MFACode, At: s.Now,
				Data: mail.Data{Organisation: s.Organisation.Name, Name: s.Member.Name, ValidFor: "10 minutes", LogoURL: e.Logos.For(s.Organisation),
					Extra: map[string]string{"code": code}}})
		})
	return mfa.Prompt{CodeInput: true, CanResend: true,
		Instructions: "We sent a 6-digit code to " + s.Member.Email + ". Enter it below; it works for 10 minutes."}, err
}

func (e *Email) Verify(ctx context.Context, s mfa.Subject, form url.Values) error {
	_, err := Check(ctx, e.Store, e.Key, s.Binding, s.Organisation.ID, s.Member.ID, EmailPurpose, form.Get("code"), s.Now)
	return err
}

// SMS sends the code to the member's verified phone.
type SMS struct {
	Store SMSStore
	Key   []byte // hashes the codes (otpcode.KeyFrom)
}

// SMSStore keeps the codes and the outbox that carries them.
type SMSStore interface {
	Codes
	sms.Queue
}

var _ mfa.Method = (*SMS)(nil)

// PhoneMethod is the factor method under which a verified phone is kept.
const PhoneMethod = "sms"

func (*SMS) Name() string  { return "sms" }
func (*SMS) Label() string { return "Text message (SMS) code" }
func (*SMS) AMR() string   { return "sms" }

func (*SMS) Usable(s mfa.Subject) bool {
	return s.Policy.Allows("sms") && Phone(s) != ""
}

// Phone is the subject's verified number, or "".
func Phone(s mfa.Subject) string {
	phones := s.FactorsOf(PhoneMethod)
	if len(phones) == 0 {
		return ""
	}
	return phones[len(phones)-1].Name
}

func (m *SMS) Challenge(ctx context.Context, s mfa.Subject, resend bool) (mfa.Prompt, error) {
	phone := Phone(s)
	err := Issue(ctx, m.Store, m.Key, s.Binding, s.Organisation.ID, s.Member.ID, SMSPurpose, phone, s.Now, resend, TextCode(m.Store, s.Organisation, s.Now))
	return mfa.Prompt{CodeInput: true, CanResend: true,
		Instructions: "We sent a 6-digit code by text message to " + sms.Mask(phone) + ". Enter it below; it works for 10 minutes."}, err
}

func (m *SMS) Verify(ctx context.Context, s mfa.Subject, form url.Values) error {
	_, err := Check(ctx, m.Store, m.Key, s.Binding, s.Organisation.ID, s.Member.ID, SMSPurpose, form.Get("code"), s.Now)
	return err
}

// TextCode delivers a code through the SMS outbox.
func TextCode(q sms.Queue, org store.Organisation, now time.Time) Deliver {
	return func(ctx context.Context, to, code string) error {
		return sms.Enqueue(ctx, q, org.ID, to, code+" is your IMS Login code for "+org.Name+". It works for 10 minutes.", now)
	}
}

// Phones keeps verified phones, as factors.
type Phones interface {
	DeleteMemberMFAFactors(ctx context.Context, orgID, memberID int64, method string) (int64, error)
	CreateMFAFactor(ctx context.Context, f *store.MFAFactor) error
}

// SetPhone makes number the member's verified phone, replacing any other.
func SetPhone(ctx context.Context, tx Phones, orgID, memberID int64, number string, now time.Time) error {
	if _, err := tx.DeleteMemberMFAFactors(ctx, orgID, memberID, PhoneMethod); err != nil {
		return err
	}
	return tx.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: orgID, MemberID: memberID, Method: PhoneMethod, Name: number,
		Secret: []byte(number), CreatedAt: now})
}
