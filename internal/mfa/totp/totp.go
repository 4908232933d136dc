// Package totp is the authenticator-app second factor: RFC 6238 with
// SHA-1, 6 digits and 30-second steps, one step of clock skew either way,
// and no code accepted twice (each use stores its time step, and a step not
// after the stored one is refused in the same UPDATE).
package totp

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"imslogin/internal/mfa"
	"imslogin/internal/store"
)

// Name is the method's key.
const Name = "totp"

const period = 30

var opts = totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Advancer records each code's time step, so none is accepted twice.
type Advancer interface {
	AdvanceMFAFactor(ctx context.Context, orgID, memberID, id, counter int64, at time.Time) error
}

// Confirmer stores a confirmed app.
type Confirmer interface {
	CreateMFAFactor(ctx context.Context, f *store.MFAFactor) error
}

// Method verifies authenticator-app codes.
type Method struct {
	Store   Advancer
	Secrets *Secrets
}

var _ mfa.Method = (*Method)(nil)

func (*Method) Name() string  { return Name }
func (*Method) Label() string { return "Authenticator app" }
func (*Method) AMR() string   { return "otp" }

// Usable: the member has an app whose secret opens. Apps sealed with a
// key since lost (started with --secret-key-lost) are not offered, so their
// members are led to another method instead of an error.
func (m *Method) Usable(s mfa.Subject) bool {
	for _, f := range s.FactorsOf(Name) {
		if _, err := m.Secrets.Open(s.Organisation.ID, s.Member.ID, f.Secret); err == nil {
			return true
		}
	}
	return false
}

func (*Method) Challenge(context.Context, mfa.Subject, bool) (mfa.Prompt, error) {
	return mfa.Prompt{CodeInput: true, Instructions: "Enter the 6-digit code your authenticator app shows for this account."}, nil
}

// Verify accepts a code of any of the member's apps.
func (m *Method) Verify(ctx context.Context, s mfa.Subject, form url.Values) error {
	code := strings.TrimSpace(form.Get("code"))
	var unopened error
	for _, f := range s.FactorsOf(Name) {
		secret, reseal, err := m.Secrets.open(s.Organisation.ID, s.Member.ID, f.Secret)
		if err != nil {
			unopened = err // another app may still match
			continue
		}
		step, ok := Match(secret, code, s.Now)
		if !ok {
			continue
		}
		err = m.Store.AdvanceMFAFactor(ctx, s.Organisation.ID, s.Member.ID, f.ID, step, s.Now)
		if errors.Is(err, store.ErrConflict) {
			return mfa.ErrWrongCode // already used, or older than one used
		}
		if err == nil && reseal {
			m.reseal(ctx, s, f, secret)
		}
		return err
	}
	if unopened != nil {
		// Not the member's mistake (a wrong or lost key): no wrong code is counted.
		return unopened
	}
	return mfa.ErrWrongCode
}

// reseal binds to its member a secret sealed in an older form, once the
// member has proved they hold it. It is best effort: the secret still
// opens as it is, and the next code tries again. The write is conditional
// on the value read, so a concurrent change is kept.
func (m *Method) reseal(ctx context.Context, s mfa.Subject, f store.MFAFactor, secret string) {
	if r, ok := m.Store.(resealer); ok {
		r.ReplaceMFASecret(ctx, s.Organisation.ID, f.ID, f.Secret, m.Secrets.Seal(s.Organisation.ID, s.Member.ID, secret))
	}
}

// resealer is the store's conditional replacement of a secret, when it has one.
type resealer interface {
	ReplaceMFASecret(ctx context.Context, orgID, id int64, old, secret []byte) error
}

// Match finds the time step, within one step of now, whose code is code.
// Every candidate is compared, in constant time, so timing reveals nothing.
func Match(secret, code string, now time.Time) (step int64, ok bool) {
	if len(code) != 6 {
		return 0, false
	}
	current := now.Unix() / period
	for _, s := range []int64{current - 1, current, current + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*period, 0), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// Enrolment is a new secret waiting for the member's first code.
type Enrolment struct {
	Secret string // base32, shown as text for manual entry
	URL    string // otpauth:// URL, the QR code's content
}

// NewEnrolment makes a random 160-bit secret labelled for the member.
func NewEnrolment(organisation, email string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "IMS Login (" + organisation + ")", AccountName: email,
		Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, SecretSize: 20})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// SecretOf returns the secret of an otpauth:// URL.
func SecretOf(otpauthURL string) (string, error) {
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return "", err
	}
	return key.Secret(), nil
}

// QRCode renders an enrolment's URL as a PNG.
func QRCode(otpauthURL string) ([]byte, error) {
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = png.Encode(&b, img)
	return b.Bytes(), err
}

// Confirm stores the secret, sealed, as the member's app once code matches
// it; the matching step is recorded, so the code cannot then sign in.
func (s *Secrets) Confirm(ctx context.Context, st Confirmer, orgID, memberID int64, name, secret, code string, now time.Time) error {
	step, ok := Match(secret, strings.TrimSpace(code), now)
	if !ok {
		return mfa.ErrWrongCode
	}
	if name = strings.TrimSpace(name); name == "" {
		name = "Authenticator app"
	}
	return st.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: orgID, MemberID: memberID, Method: Name, Name: name,
		Secret: s.Seal(orgID, memberID, secret), Counter: step, CreatedAt: now, LastUsedAt: now})
}
