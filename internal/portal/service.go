package portal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// Store is what the Service reads and writes.
type Store interface {
	store.Transactor
	store.Portals
	// EndLostAccess ends the grants of members a portal no longer admits.
	EndLostAccess(ctx context.Context, orgID, memberID int64, clientID string, now time.Time) ([]store.LostAccess, error)
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	RoleByID(ctx context.Context, orgID, id int64) (store.CustomRole, error)
	Roles(ctx context.Context, orgID int64) ([]store.CustomRole, error)
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	MemberByEmail(ctx context.Context, orgID int64, email string) (store.Member, error)
}

// How long a replaced client secret keeps working, so a portal's
// deployments can move to the new one without an outage.
const (
	DefaultOverlap = 24 * time.Hour
	MaxOverlap     = 30 * 24 * time.Hour
)

// Service registers and changes an organisation's portals. Callers check
// the portals.manage permission first; the Service applies the rules.
type Service struct {
	Store     Store
	PublicURL string // the server's public URL, for issuers
	Now       func() time.Time
	// Changed, if set, is called after each change to a portal or its
	// secrets (the provider's cache of portals forgets them).
	Changed func()
}

// By is who makes a change, as the audit log records it.
type By struct {
	OrgID  int64
	Actor  string // the member's email, "API token NAME" or "command line"
	Origin audit.Origin
}

// Credentials are what a portal is configured with. Secret is shown once,
// right after it is made, and is empty otherwise.
type Credentials struct {
	ClientID string
	Secret   string
	Issuer   string
}

// List returns the organisation's portals by name.
func (s *Service) List(ctx context.Context, orgID int64) ([]store.Portal, error) {
	return s.Store.Portals(ctx, orgID)
}

// Get returns one of the organisation's portals.
func (s *Service) Get(ctx context.Context, orgID, id int64) (store.Portal, error) {
	return s.Store.PortalByID(ctx, orgID, id)
}

// Usage counts the members who consented to p and who hold its tokens.
func (s *Service) Usage(ctx context.Context, p store.Portal) (store.PortalUsage, error) {
	return s.Store.PortalUsage(ctx, p.OrgID, p.ClientID, s.Now())
}

// Issuer is the organisation's issuer, which portals are configured with.
func (s *Service) Issuer(ctx context.Context, orgID int64) (string, error) {
	org, err := s.Store.OrganisationByID(ctx, orgID)
	if err != nil {
		return "", err
	}
	return Issuer(s.PublicURL, org), nil
}

// Check validates input as Create and Update would, writing nothing.
func (s *Service) Check(ctx context.Context, orgID int64, in Input) error {
	_, err := s.resolve(ctx, orgID, in)
	return err
}

// Create registers a portal with a new client ID and, if confidential, a
// client secret, returned once.
func (s *Service) Create(ctx context.Context, by By, in Input) (store.Portal, Credentials, error) {
	p, err := s.resolve(ctx, by.OrgID, in)
	if err != nil {
		return p, Credentials{}, err
	}
	now := s.Now()
	p.OrgID, p.ClientID, p.CreatedAt, p.UpdatedAt = by.OrgID, NewClientID(), now, now
	var secret string
	err = s.inTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreatePortal(ctx, &p); err != nil {
			return err
		}
		if p.Confidential {
			var err error
			if secret, err = s.addSecret(ctx, p, now); err != nil {
				return err
			}
		}
		return s.record(ctx, by, now, fmt.Sprintf("portal %q registered (client ID %s): %s", p.Name, p.ClientID, summary(p)))
	})
	if err != nil {
		return p, Credentials{}, s.refusal(err)
	}
	creds, err := s.credentials(ctx, p, secret)
	return p, creds, err
}

// Update changes a portal. A portal made confidential gets a secret,
// returned once; one made public loses its secrets.
func (s *Service) Update(ctx context.Context, by By, id int64, in Input) (store.Portal, Credentials, error) {
	if _, err := s.Store.PortalByID(ctx, by.OrgID, id); err != nil {
		return store.Portal{}, Credentials{}, err // no such portal comes before any problem with the input
	}
	p, err := s.resolve(ctx, by.OrgID, in)
	if err != nil {
		return p, Credentials{}, err
	}
	now := s.Now()
	var secret string
	err = s.inTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.PortalByID(ctx, by.OrgID, id)
		if err != nil {
			return err
		}
		p.ID, p.OrgID, p.ClientID, p.CreatedAt, p.UpdatedAt = old.ID, old.OrgID, old.ClientID, old.CreatedAt, now
		if err := s.Store.UpdatePortal(ctx, p); err != nil {
			return notFoundIsRefusal(err)
		}
		switch {
		case p.Confidential && !old.Confidential:
			if secret, err = s.addSecret(ctx, p, now); err != nil {
				return err
			}
		case !p.Confidential && old.Confidential:
			if err := s.Store.DeletePortalSecrets(ctx, p.OrgID, p.ID); err != nil {
				return err
			}
		}
		if err := s.record(ctx, by, now, fmt.Sprintf("portal %q (client ID %s) changed: %s", old.Name, p.ClientID, changes(old, p))); err != nil {
			return err
		}
		if p.Access == store.PortalAccessAll {
			return nil // nobody loses access
		}
		return s.endLostAccess(ctx, by, p)
	})
	if err != nil {
		return p, Credentials{}, s.refusal(err)
	}
	creds, err := s.credentials(ctx, p, secret)
	return p, creds, err
}

// Delete deletes a portal: its client ID and secrets stop working at once,
// and its members' tokens, consents and codes go with it.
func (s *Service) Delete(ctx context.Context, by By, id int64) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		p, err := s.Store.PortalByID(ctx, by.OrgID, id)
		if err != nil {
			return err
		}
		if err := s.Store.DeletePortal(ctx, by.OrgID, id); err != nil {
			return err
		}
		return s.record(ctx, by, s.Now(), fmt.Sprintf("portal %q (client ID %s) deleted, with its tokens and consents", p.Name, p.ClientID))
	})
}

// RotateSecret gives a confidential portal a new secret, returned once;
// the secrets that worked keep working for overlap (0 ends them at once),
// until the returned time.
func (s *Service) RotateSecret(ctx context.Context, by By, id int64, overlap time.Duration) (Credentials, time.Time, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return Credentials{}, time.Time{}, &Invalid{Fields: map[string]string{"overlap": fmt.Sprintf(
			"The overlap must be from 0 (the old secret stops at once) to %s.", Words(MaxOverlap))}}
	}
	now := s.Now()
	until := now.Add(overlap)
	var p store.Portal
	secret, hash := NewSecret()
	err := s.inTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = s.Store.PortalByID(ctx, by.OrgID, id); err != nil {
			return err
		}
		if !p.Confidential {
			return &Invalid{Fields: map[string]string{"": "A public portal has no client secret: make it confidential to give it one."}}
		}
		ps := store.PortalSecret{OrgID: p.OrgID, PortalID: p.ID, Hash: hash, CreatedAt: now}
		if err := s.Store.RotatePortalSecret(ctx, &ps, until); err != nil {
			return err
		}
		old := "the previous secrets stopped working at once"
		if overlap > 0 {
			old = "the previous secrets work until " + until.UTC().Format("2006-01-02 15:04 UTC")
		}
		return s.record(ctx, by, now, fmt.Sprintf("portal %q (client ID %s): client secret rotated; %s", p.Name, p.ClientID, old))
	})
	if err != nil {
		return Credentials{}, until, err
	}
	creds, err := s.credentials(ctx, p, secret)
	return creds, until, err
}

// inTx runs a change to portals in a transaction, then tells Changed.
func (s *Service) inTx(ctx context.Context, change func(ctx context.Context) error) error {
	err := s.Store.InTx(ctx, change)
	if err == nil && s.Changed != nil {
		s.Changed()
	}
	return err
}

func (s *Service) addSecret(ctx context.Context, p store.Portal, now time.Time) (string, error) {
	secret, hash := NewSecret()
	return secret, s.Store.AddPortalSecret(ctx, &store.PortalSecret{OrgID: p.OrgID, PortalID: p.ID, Hash: hash, CreatedAt: now})
}

func (s *Service) credentials(ctx context.Context, p store.Portal, secret string) (Credentials, error) {
	issuer, err := s.Issuer(ctx, p.OrgID)
	return Credentials{ClientID: p.ClientID, Secret: secret, Issuer: issuer}, err
}

func (s *Service) record(ctx context.Context, by By, at time.Time, detail string) error {
	e := audit.Event(by.Origin, at, by.OrgID, audit.PortalChange)
	e.Actor, e.Detail = by.Actor, detail
	return s.Store.AppendAuditEvent(ctx, &e)
}

// refusal turns the store's answers to a write into what a person can act on.
func (s *Service) refusal(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return &Invalid{Fields: map[string]string{"name": "The organisation already has a portal with this name."}}
	}
	return err
}

// notFoundIsRefusal: once the portal is known to exist, a write finding
// no row means a role or member went away since the input was checked.
func notFoundIsRefusal(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Invalid{Fields: map[string]string{"": "A role or member chosen was removed meanwhile: check and save again."}}
	}
	return err
}

// summary describes a portal for the audit log.
func summary(p store.Portal) string {
	kind := "public"
	if p.Confidential {
		kind = "confidential"
	}
	if p.FirstParty {
		kind += ", first-party"
	}
	return fmt.Sprintf("%s; %s; redirect URIs [%s]; %s; scopes [%s]; tokens: access %s, ID %s, refresh %s, grace %s; %s",
		kind, AccessWords(p), strings.Join(p.RedirectURIs, " "), PKCEWords(p), strings.Join(p.AllowedScopes, " "),
		Words(p.AccessTokenLifetime), Words(p.IDTokenLifetime), Words(p.RefreshTokenLifetime), Words(p.RefreshGrace),
		p.SigningAlgorithm)
}

// PKCEWords says whether a portal must send PKCE.
func PKCEWords(p store.Portal) string {
	if p.RequirePKCE || !p.Confidential {
		return "PKCE required"
	}
	return "PKCE optional"
}

// AccessWords says who may use a portal.
func AccessWords(p store.Portal) string {
	switch p.Access {
	case store.PortalAccessRoles:
		return "members with the roles " + strings.Join(p.Roles, ", ")
	case store.PortalAccessMembers:
		if len(p.MemberIDs) == 1 {
			return "1 chosen member"
		}
		return fmt.Sprintf("%d chosen members", len(p.MemberIDs))
	}
	return "all members"
}

// changes lists what an update changed, for the audit log.
func changes(old, p store.Portal) string {
	var out []string
	add := func(changed bool, what string) {
		if changed {
			out = append(out, what)
		}
	}
	add(old.Name != p.Name, fmt.Sprintf("name %q", p.Name))
	add(strings.Join(old.RedirectURIs, " ") != strings.Join(p.RedirectURIs, " "), "redirect URIs ["+strings.Join(p.RedirectURIs, " ")+"]")
	add(strings.Join(old.PostLogoutRedirectURIs, " ") != strings.Join(p.PostLogoutRedirectURIs, " "),
		"post-logout redirect URIs ["+strings.Join(p.PostLogoutRedirectURIs, " ")+"]")
	add(old.BackchannelLogoutURI != p.BackchannelLogoutURI, fmt.Sprintf("back-channel logout URI %q", p.BackchannelLogoutURI))
	add(old.HomeURL != p.HomeURL, fmt.Sprintf("home URL %q", p.HomeURL))
	add(old.Confidential != p.Confidential, map[bool]string{true: "now confidential (new secret)", false: "now public (secrets deleted)"}[p.Confidential])
	add(old.FirstParty != p.FirstParty, map[bool]string{true: "now first-party", false: "no longer first-party"}[p.FirstParty])
	add(AccessWords(old) != AccessWords(p) || fmt.Sprint(old.MemberIDs) != fmt.Sprint(p.MemberIDs), "access: "+AccessWords(p))
	add(old.AccessTokenLifetime != p.AccessTokenLifetime, "access tokens "+Words(p.AccessTokenLifetime))
	add(old.IDTokenLifetime != p.IDTokenLifetime, "ID tokens "+Words(p.IDTokenLifetime))
	add(old.RefreshTokenLifetime != p.RefreshTokenLifetime, "refresh tokens "+Words(p.RefreshTokenLifetime))
	add(old.RefreshGrace != p.RefreshGrace, "refresh grace "+Words(p.RefreshGrace))
	add(old.SigningAlgorithm != p.SigningAlgorithm, "signing "+p.SigningAlgorithm)
	add(PKCEWords(old) != PKCEWords(p), PKCEWords(p))
	add(!slices.Equal(old.AllowedScopes, p.AllowedScopes), "scopes ["+strings.Join(p.AllowedScopes, " ")+"]")
	if len(out) == 0 {
		return "nothing changed"
	}
	return strings.Join(out, "; ")
}
