// Package webauthn is the security-key and passkey second factor (W3C
// WebAuthn through github.com/go-webauthn/webauthn). A ceremony's
// challenge is kept server-side as a one-time code of the member, so it
// works once and only within its lifetime; the browser's answer comes back
// in an ordinary form field, filled by the product's only script.
package webauthn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	wa "github.com/go-webauthn/webauthn/webauthn"

	"imslogin/internal/mfa"
	"imslogin/internal/store"
)

// Name is the method's key.
const Name = "webauthn"

// Purposes of the kept challenges, and how long a ceremony may take.
const (
	loginPurpose    = "mfa-webauthn-login"
	registerPurpose = "mfa-webauthn-register"
	ceremonyTime    = 5 * time.Minute
)

// sessionMark stands in a kept challenge's code hash: nobody types it.
var sessionMark = []byte("webauthn-ceremony")

// Store keeps ceremonies (as one-time codes) and keys (as factors).
type Store interface {
	store.OneTimeCodes
	CreateMFAFactor(ctx context.Context, f *store.MFAFactor) error
	AdvanceMFAFactor(ctx context.Context, orgID, memberID, id, counter int64, at time.Time) error
}

// Method verifies security keys and passkeys.
type Method struct {
	Store Store
	rp    *wa.WebAuthn
}

var _ mfa.Method = (*Method)(nil)

// New configures the relying party from the public URL members use: its
// host is the RP ID and the URL is the only accepted origin. WebAuthn
// needs a domain name (localhost included): at an IP address the method
// is unavailable, and says so.
func New(st Store, publicURL string) (*Method, error) {
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(u.Hostname()) != nil {
		return &Method{Store: st}, nil
	}
	rp, err := wa.New(&wa.Config{RPID: u.Hostname(), RPDisplayName: "IMS Login",
		RPOrigins: []string{strings.TrimSuffix(publicURL, "/")}})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &Method{Store: st, rp: rp}, nil
}

func (*Method) Name() string  { return Name }
func (*Method) Label() string { return "Security key or passkey" }
func (*Method) AMR() string   { return "hwk" }

// Available reports whether the server's address allows WebAuthn.
func (m *Method) Available() bool { return m != nil && m.rp != nil }

func (m *Method) Usable(s mfa.Subject) bool { return m.Available() && len(s.FactorsOf(Name)) > 0 }

// user is a member as the library sees them.
type user struct {
	m     store.Member
	creds []wa.Credential
}

func (u user) WebAuthnID() []byte                   { return fmt.Appendf(nil, "ims:%d:%d", u.m.OrgID, u.m.ID) }
func (u user) WebAuthnName() string                 { return u.m.Email }
func (u user) WebAuthnDisplayName() string          { return u.m.Name }
func (u user) WebAuthnCredentials() []wa.Credential { return u.creds }
func (u user) factorOf(id []byte, s mfa.Subject) (store.MFAFactor, bool) {
	for _, f := range s.FactorsOf(Name) {
		var c wa.Credential
		if json.Unmarshal(f.Secret, &c) == nil && bytes.Equal(c.ID, id) {
			return f, true
		}
	}
	return store.MFAFactor{}, false
}

func userOf(s mfa.Subject) user {
	u := user{m: s.Member}
	for _, f := range s.FactorsOf(Name) {
		var c wa.Credential
		if json.Unmarshal(f.Secret, &c) == nil {
			u.creds = append(u.creds, c)
		}
	}
	return u
}

// keep stores a ceremony's session data as the member's one-time code.
func (m *Method) keep(ctx context.Context, s mfa.Subject, purpose string, session *wa.SessionData) error {
	data, err := json.Marshal(session)
	if err != nil {
		return err
	}
	return m.Store.PutOneTimeCode(ctx, store.OneTimeCode{OrgID: s.Organisation.ID, MemberID: s.Member.ID, Purpose: purpose,
		CodeHash: sessionMark, Destination: string(data), SentAt: s.Now, ExpiresAt: s.Now.Add(ceremonyTime)})
}

// take removes, through st, and returns a live ceremony's session data: it works once.
func take(ctx context.Context, st store.OneTimeCodes, s mfa.Subject, purpose string) (wa.SessionData, error) {
	var session wa.SessionData
	c, err := st.OneTimeCode(ctx, s.Organisation.ID, s.Member.ID, purpose)
	if errors.Is(err, store.ErrNotFound) {
		return session, mfa.ErrWrongCode
	}
	if err != nil {
		return session, err
	}
	if err := st.DeleteOneTimeCode(ctx, s.Organisation.ID, s.Member.ID, purpose, sessionMark); errors.Is(err, store.ErrNotFound) {
		return session, mfa.ErrWrongCode
	} else if err != nil {
		return session, err
	}
	if !s.Now.Before(c.ExpiresAt) || json.Unmarshal([]byte(c.Destination), &session) != nil {
		return session, mfa.ErrWrongCode
	}
	return session, nil
}

// Challenge starts a sign-in ceremony with the member's keys.
func (m *Method) Challenge(ctx context.Context, s mfa.Subject, _ bool) (mfa.Prompt, error) {
	options, session, err := m.rp.BeginLogin(userOf(s))
	if err != nil {
		return mfa.Prompt{}, err
	}
	if err := m.keep(ctx, s, loginPurpose, session); err != nil {
		return mfa.Prompt{}, err
	}
	script, err := json.Marshal(options)
	return mfa.Prompt{Script: string(script),
		Instructions: "Use one of your security keys or passkeys: press the button, then follow your browser."}, err
}

// Verify checks the browser's assertion against the kept challenge and the
// member's keys; a key whose signature counter went backwards is refused.
func (m *Method) Verify(ctx context.Context, s mfa.Subject, form url.Values) error {
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(form.Get("credential")))
	if err != nil {
		return mfa.ErrWrongCode
	}
	session, err := take(ctx, m.Store, s, loginPurpose)
	if err != nil {
		return err
	}
	u := userOf(s)
	cred, err := m.rp.ValidateLogin(u, session, parsed)
	if err != nil {
		return mfa.ErrWrongCode
	}
	f, ok := u.factorOf(cred.ID, s)
	if !ok {
		return mfa.ErrWrongCode
	}
	if count := int64(cred.Authenticator.SignCount); count > 0 || f.Counter > 0 {
		if err := m.Store.AdvanceMFAFactor(ctx, s.Organisation.ID, s.Member.ID, f.ID, count, s.Now); errors.Is(err, store.ErrConflict) {
			return mfa.ErrWrongCode // a cloned key, or a replayed answer
		} else if err != nil {
			return err
		}
	}
	return nil
}

// BeginRegistration starts adding a key and returns the browser's options.
func (m *Method) BeginRegistration(ctx context.Context, s mfa.Subject) (string, error) {
	if !m.Available() {
		return "", errors.New("webauthn: the server's public URL is an IP address; security keys need a domain name")
	}
	u := userOf(s)
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	options, session, err := m.rp.BeginRegistration(u, wa.WithExclusions(exclude),
		wa.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred))
	if err != nil {
		return "", err
	}
	if err := m.keep(ctx, s, registerPurpose, session); err != nil {
		return "", err
	}
	script, err := json.Marshal(options)
	return string(script), err
}

// FinishRegistration checks the browser's attestation and stores the key
// under name, through tx.
func (m *Method) FinishRegistration(ctx context.Context, tx Store, s mfa.Subject, name, credential string) error {
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(credential))
	if err != nil {
		return mfa.ErrWrongCode
	}
	session, err := take(ctx, tx, s, registerPurpose)
	if err != nil {
		return err
	}
	cred, err := m.rp.CreateCredential(userOf(s), session, parsed)
	if err != nil {
		return mfa.ErrWrongCode
	}
	secret, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	if name = strings.TrimSpace(name); name == "" {
		name = "Security key"
	}
	return tx.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: s.Organisation.ID, MemberID: s.Member.ID, Method: Name,
		Name: name, Secret: secret, Counter: int64(cred.Authenticator.SignCount), CreatedAt: s.Now})
}
