package loginservice

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"imslogin/internal/audit"
	"imslogin/internal/secretbox"
	"imslogin/internal/store"
)

// Store is what the Service reads and writes.
type Store interface {
	store.Transactor
	store.LoginServices
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// Service keeps an organisation's login services. Callers check the
// settings permission first; the Service applies the rules and audits
// each change in its transaction.
type Service struct {
	Store Store
	Box   *secretbox.Box
	Kinds Registry
	Now   func() time.Time
	// PublicURL is the server's public address, for redirect URIs.
	PublicURL string
}

// RedirectURI is a login service's callback address on this server, to
// register at the login service.
func (s *Service) RedirectURI(urlName string, id int64) string {
	return strings.TrimRight(s.PublicURL, "/") + CallbackPath(urlName, id)
}

// By is who makes a change, as the audit log records it.
type By struct {
	OrgID  int64
	Actor  string // the member's email, "API token NAME" or "command line"
	Origin audit.Origin
}

// Input is a login service as administrators enter it. An empty Secret on
// an update keeps the stored one.
type Input struct {
	Kind          string
	Name          string
	Issuer        string
	ClientID      string
	Secret        string
	Scopes        []string
	UsernameClaim string
	Enabled       bool
}

// Invalid is input refused, with a sentence per field.
type Invalid struct{ Fields map[string]string }

func (e *Invalid) Error() string {
	var parts []string
	for _, f := range []string{"kind", "name", "issuer", "client_id", "secret", "scopes", "username_claim", ""} {
		if m := e.Fields[f]; m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, " ")
}

// DefaultUsernameClaim is the claim shown as the username when none is set.
const DefaultUsernameClaim = "preferred_username"

func (s *Service) check(in Input, creating bool) *Invalid {
	f := map[string]string{}
	if _, ok := s.Kinds[in.Kind]; !ok {
		f["kind"] = fmt.Sprintf("The kind of login service %q is not known: use %q.", in.Kind, KindOIDC)
	}
	if n := strings.TrimSpace(in.Name); n == "" || utf8.RuneCountInString(n) > 100 {
		f["name"] = "Enter a name of at most 100 characters, as people will see it on the sign-in button."
	}
	if msg := checkIssuer(in.Issuer); msg != "" {
		f["issuer"] = msg
	}
	if strings.TrimSpace(in.ClientID) == "" || len(in.ClientID) > 255 {
		f["client_id"] = "Enter the client ID the login service gave this organisation."
	}
	if creating && in.Secret == "" {
		f["secret"] = "Enter the client secret the login service gave this organisation."
	}
	for _, sc := range in.Scopes {
		if strings.ContainsAny(sc, " \t\r\n\"\\") || len(sc) > 100 {
			f["scopes"] = "Scopes are words separated by spaces, such as openid profile email."
		}
	}
	if c := in.UsernameClaim; c != "" && (strings.ContainsAny(c, " \t\r\n") || len(c) > 100) {
		f["username_claim"] = "The username claim is one claim name, such as preferred_username."
	}
	if len(f) > 0 {
		return &Invalid{Fields: f}
	}
	return nil
}

// checkIssuer accepts an https address, or http on this machine (for
// development and tests).
func checkIssuer(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || u.Scheme == "http" && loopback(u.Hostname())) {
		return "Enter the issuer's https address, as its discovery document names it (https://login.example.org)."
	}
	return ""
}

func loopback(host string) bool {
	return host == "127.0.0.1" || host == "::1" || strings.EqualFold(host, "localhost")
}

func binding(orgID int64) []byte { return []byte("ims login service " + strconv.FormatInt(orgID, 10)) }

// Secret opens a service's client secret.
func (s *Service) Secret(ls store.LoginService) (string, error) {
	plain, err := s.Box.Open(ls.ClientSecret, binding(ls.OrgID))
	return string(plain), err
}

func normalised(in Input) Input {
	in.Name, in.Issuer, in.ClientID = strings.TrimSpace(in.Name), strings.TrimRight(strings.TrimSpace(in.Issuer), "/"),
		strings.TrimSpace(in.ClientID)
	if in.Kind == "" {
		in.Kind = KindOIDC
	}
	if in.UsernameClaim == "" {
		in.UsernameClaim = DefaultUsernameClaim
	}
	return in
}

// List returns the organisation's login services by name.
func (s *Service) List(ctx context.Context, orgID int64) ([]store.LoginService, error) {
	return s.Store.LoginServicesOf(ctx, orgID)
}

// Get returns one of the organisation's login services.
func (s *Service) Get(ctx context.Context, orgID, id int64) (store.LoginService, error) {
	return s.Store.LoginServiceByID(ctx, orgID, id)
}

// Create adds a login service.
func (s *Service) Create(ctx context.Context, by By, in Input) (store.LoginService, error) {
	in = normalised(in)
	if bad := s.check(in, true); bad != nil {
		return store.LoginService{}, bad
	}
	now := s.Now()
	ls := store.LoginService{OrgID: by.OrgID, Kind: in.Kind, Name: in.Name, Issuer: in.Issuer, ClientID: in.ClientID,
		ClientSecret: s.Box.Seal([]byte(in.Secret), binding(by.OrgID)), Scopes: in.Scopes,
		UsernameClaim: in.UsernameClaim, Enabled: in.Enabled, CreatedAt: now, UpdatedAt: now}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreateLoginService(ctx, &ls); err != nil {
			return err
		}
		return s.record(ctx, by, now, "added "+summary(ls))
	})
	return ls, refusal(err)
}

// Update changes a login service; an empty Secret keeps the stored one.
func (s *Service) Update(ctx context.Context, by By, id int64, in Input) (store.LoginService, error) {
	in = normalised(in)
	if bad := s.check(in, false); bad != nil {
		return store.LoginService{}, bad
	}
	var ls store.LoginService
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.LoginServiceByID(ctx, by.OrgID, id)
		if err != nil {
			return err
		}
		ls = old
		ls.Kind, ls.Name, ls.Issuer, ls.ClientID, ls.Scopes, ls.UsernameClaim, ls.Enabled, ls.UpdatedAt =
			in.Kind, in.Name, in.Issuer, in.ClientID, in.Scopes, in.UsernameClaim, in.Enabled, s.Now()
		detail := "changed " + summary(ls)
		if in.Secret != "" {
			ls.ClientSecret = s.Box.Seal([]byte(in.Secret), binding(by.OrgID))
			detail += ", new client secret"
		}
		if err := s.Store.UpdateLoginService(ctx, &ls); err != nil {
			return err
		}
		return s.record(ctx, by, ls.UpdatedAt, detail)
	})
	return ls, refusal(err)
}

// Delete removes a login service; the identities linked through it go
// with it, so its members are not linked any more.
func (s *Service) Delete(ctx context.Context, by By, id int64) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		ls, err := s.Store.LoginServiceByID(ctx, by.OrgID, id)
		if err != nil {
			return err
		}
		if err := s.Store.DeleteLoginService(ctx, by.OrgID, id); err != nil {
			return err
		}
		return s.record(ctx, by, s.Now(), "deleted "+summary(ls))
	})
}

func (s *Service) record(ctx context.Context, by By, at time.Time, detail string) error {
	e := audit.Event(by.Origin, at, by.OrgID, audit.LoginServiceChange)
	e.Actor, e.Detail = by.Actor, detail
	return s.Store.AppendAuditEvent(ctx, &e)
}

func summary(ls store.LoginService) string {
	state := "enabled"
	if !ls.Enabled {
		state = "disabled"
	}
	return fmt.Sprintf("login service %q (%s, issuer %s, client ID %s, %s)", ls.Name, ls.Kind, ls.Issuer, ls.ClientID, state)
}

func refusal(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return &Invalid{Fields: map[string]string{"name": "The organisation already has a login service with this name."}}
	}
	return err
}

// ExternalMFA reports whether members who sign in through a login service
// still pass the organisation's own MFA.
func (s *Service) ExternalMFA(ctx context.Context, orgID int64) (bool, error) {
	return s.Store.ExternalMFA(ctx, orgID)
}

// SetExternalMFA says whether members who sign in through a login service
// still pass the organisation's own MFA, audited when it changes.
func (s *Service) SetExternalMFA(ctx context.Context, by By, on bool) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		was, err := s.Store.ExternalMFA(ctx, by.OrgID)
		if err != nil || was == on {
			return err
		}
		now := s.Now()
		if err := s.Store.SetExternalMFA(ctx, by.OrgID, on, now); err != nil {
			return err
		}
		detail := "members signing in through a login service skip the organisation's MFA"
		if on {
			detail = "members signing in through a login service pass the organisation's MFA"
		}
		return s.record(ctx, by, now, detail)
	})
}

// AccountName names the account a member signed in with as they know it,
// "jdoe (NIH Network Login)", when amr says a login service vouched for
// the sign-in and the member is linked; "" otherwise.
func (s *Service) AccountName(ctx context.Context, orgID, memberID int64, amr []string) (string, error) {
	if !slices.Contains(amr, amrExternal) {
		return "", nil
	}
	id, err := s.Store.IdentityOfMember(ctx, orgID, memberID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ls, err := s.Store.LoginServiceByID(ctx, orgID, id.ServiceID)
	if err != nil {
		return "", err
	}
	username := id.Username
	if username == "" {
		username = id.Subject
	}
	return username + " (" + ls.Name + ")", nil
}
