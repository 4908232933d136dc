// Package mfa is the second step of signing in: the Method interface every
// second factor implements (email and SMS codes, authenticator apps,
// security keys, backup codes), and the explicit registry the sign-in step
// and the enrolment pages share. Adding a method means writing one package
// and adding it to the list the server builds; no other method changes.
package mfa

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"

	"imslogin/internal/store"
)

// Errors a method's Verify or Challenge returns.
var (
	// ErrWrongCode is a wrong, expired, used or replayed answer: it counts
	// against the sign-in and the account lockout.
	ErrWrongCode = errors.New("mfa: wrong code")
	// ErrTooSoon refuses a resend within the throttle interval.
	ErrTooSoon = errors.New("mfa: a code was sent moments ago")
)

// Subject is the member a method works for, with what it needs to decide.
type Subject struct {
	Organisation store.Organisation
	Member       store.Member
	Policy       store.MFAPolicy
	Factors      []store.MFAFactor
	Now          time.Time
	// Binding is the sign-in codes are sent for (its flow's ID), nil
	// outside a sign-in: a code sent for one sign-in finishes no other.
	Binding []byte
}

// FactorsOf returns the subject's factors of one method.
func (s Subject) FactorsOf(method string) []store.MFAFactor {
	var list []store.MFAFactor
	for _, f := range s.Factors {
		if f.Method == method {
			list = append(list, f)
		}
	}
	return list
}

// Prompt is what the sign-in page shows for a method.
type Prompt struct {
	Instructions string
	CodeInput    bool // a field named "code"
	CanResend    bool
	// Script is data for the page's script (WebAuthn options), if any.
	Script string
}

// Method is one kind of second factor.
type Method interface {
	// Name is the method's key in settings and forms: "totp", "sms"…
	Name() string
	// Label is the method's name on pages.
	Label() string
	// AMR is the RFC 8176 authentication method reference it adds.
	AMR() string
	// Usable reports whether the subject can use the method at sign-in now.
	Usable(s Subject) bool
	// Challenge prepares a sign-in attempt (sending a code when there is
	// none pending, or a fresh one if resend) and says what to show.
	Challenge(ctx context.Context, s Subject, resend bool) (Prompt, error)
	// Verify checks the answer in form; ErrWrongCode if it is not right.
	Verify(ctx context.Context, s Subject, form url.Values) error
}

// Organisation-selectable methods, in the order pages list them. Backup
// codes are not an organisation choice: any member who has them may use them.
var Selectable = []string{"email", "sms", "totp", "webauthn"}

// Weak methods are the ones NIST SP 800-63B restricts.
func Weak(method string) bool { return method == "email" || method == "sms" }

// Registry is the methods the server offers, in display order.
type Registry struct {
	list []Method
}

// NewRegistry registers methods; a name used twice is a programming error.
func NewRegistry(methods ...Method) *Registry {
	seen := map[string]bool{}
	for _, m := range methods {
		if seen[m.Name()] {
			panic("mfa: method registered twice: " + m.Name())
		}
		seen[m.Name()] = true
	}
	return &Registry{list: methods}
}

// Get returns the named method.
func (r *Registry) Get(name string) (Method, bool) {
	for _, m := range r.list {
		if m.Name() == name {
			return m, true
		}
	}
	return nil, false
}

// All lists every registered method.
func (r *Registry) All() []Method { return slices.Clone(r.list) }

// Usable lists the methods the subject may use at sign-in: those it has
// set up (an app, a key, a verified phone if SMS is allowed, backup codes)
// and, when the organisation requires MFA, the allowed ones that need no
// set-up (an email code).
func (r *Registry) Usable(s Subject) []Method {
	var list []Method
	for _, m := range r.list {
		if m.Usable(s) {
			list = append(list, m)
		}
	}
	return list
}

// FactorReader reads a member's factors with their organisation's policy.
type FactorReader interface {
	MemberMFA(ctx context.Context, orgID, memberID int64) (store.MFAPolicy, []store.MFAFactor, error)
}

// Load reads what a Subject needs.
func Load(ctx context.Context, st FactorReader, org store.Organisation, m store.Member, now time.Time) (Subject, error) {
	p, factors, err := st.MemberMFA(ctx, org.ID, m.ID)
	if err != nil {
		return Subject{}, err
	}
	return Subject{Organisation: org, Member: m, Policy: p, Factors: factors, Now: now}, nil
}

// ValidatePolicy reports what is wrong with a policy an administrator chose.
func ValidatePolicy(p store.MFAPolicy) error {
	var errs []error
	for _, m := range p.Methods {
		if !slices.Contains(Selectable, m) {
			errs = append(errs, errors.New("unknown MFA method "+m+": want email, sms, totp or webauthn"))
		}
	}
	if p.Required && len(p.Methods) == 0 {
		errs = append(errs, errors.New("choose at least one MFA method to turn MFA on"))
	}
	if p.TrustedDeviceDuration < 0 || p.TrustedDeviceDuration > 365*24*time.Hour {
		errs = append(errs, errors.New("remembered browsers last 0 to 365 days"))
	}
	return errors.Join(errs...)
}
