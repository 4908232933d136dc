// Package session keeps signed-in browsers: a random token in a cookie, only
// its SHA-256 in the store, idle and absolute limits, and rotation at sign-in.
package session

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"imslogin/internal/clientaddr"
	"imslogin/internal/cookie"
	"imslogin/internal/store"
	"imslogin/internal/token"
)

// ErrNoSession means the request carries no valid session.
var ErrNoSession = errors.New("not signed in")

// touchInterval bounds how often last-seen is written: at most once a
// minute per session, so session checks are reads.
const touchInterval = time.Minute

// Store is what sessions are kept in.
type Store interface {
	store.Sessions
	store.Transactor
}

// Manager starts, finds and ends sessions.
type Manager struct {
	store  Store
	secure bool
	now    func() time.Time
	hook   Hook
}

// NewManager makes a Manager. With secure (an https public URL) the cookie
// is "__Host-ims_session" and Secure; otherwise "ims_session" for local use.
func NewManager(s Store, secure bool, now func() time.Time) *Manager {
	return &Manager{store: s, secure: secure, now: now}
}

// CookieName is the session cookie's name.
func (m *Manager) CookieName() string { return cookie.Name(sessionCookie, m.secure) }

// sessionCookie is the session cookie's name before cookie.Name prefixes it.
const sessionCookie = "ims_session"

// Start signs member in on this browser. Any session the request already
// carries is ended first, so the identifier always changes at sign-in.
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, org store.Organisation, member store.Member, persistent bool) (store.Session, error) {
	return m.StartWith(w, r, org, member, persistent, nil)
}

// StartWith is Start with also run in the same transaction as the new
// session, to record the sign-in with it (nil for nothing).
func (m *Manager) StartWith(w http.ResponseWriter, r *http.Request, org store.Organisation, member store.Member, persistent bool,
	also func(ctx context.Context, s store.Session) error) (store.Session, error) {
	return m.StartWithAMR(w, r, org, member, persistent, nil, also)
}

// StartWithAMR is StartWith recording how the member proved who they are
// (RFC 8176 method references), for tokens issued from the session.
func (m *Manager) StartWithAMR(w http.ResponseWriter, r *http.Request, org store.Organisation, member store.Member, persistent bool,
	amr []string, also func(ctx context.Context, s store.Session) error) (store.Session, error) {
	now := m.now()
	_, absolute := org.Settings.SessionLimits(persistent)
	raw, hash := token.New()
	s := store.Session{
		TokenHash: hash, OrgID: org.ID, MemberID: member.ID, Persistent: persistent,
		CreatedAt: now, LastSeenAt: now, AuthTime: now, ExpiresAt: now.Add(absolute),
		UserAgent: truncate(r.UserAgent(), 512), Address: ClientAddress(r), AMR: amr,
	}
	err := m.store.InTx(r.Context(), func(ctx context.Context) error {
		if err := m.endRequestSession(ctx, m.requestToken(r)); err != nil {
			return err
		}
		if err := m.store.CreateSession(ctx, &s); err != nil {
			return err
		}
		if also != nil {
			return also(ctx, s)
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	m.setCookie(w, raw, s)
	return s, nil
}

// setCookie sends the session's token: a persistent session's cookie lasts
// until the session's absolute end, any other until the browser closes.
func (m *Manager) setCookie(w http.ResponseWriter, token string, s store.Session) {
	c := cookie.New(sessionCookie, token, 0, m.secure)
	if s.Persistent {
		c.Expires = s.ExpiresAt
		c.MaxAge = max(1, int(s.ExpiresAt.Sub(m.now())/time.Second))
	}
	http.SetCookie(w, c)
}

// Current returns the request's valid session with its member and
// organisation. An expired session, or one whose member may no longer sign
// in, is deleted and reported as ErrNoSession.
func (m *Manager) Current(r *http.Request) (store.SignedIn, error) {
	return m.valid(r, m.store.SignedInByTokenHash)
}

// Check is Current for a request that needs no more than
// store.SessionCheckByTokenHash reads, such as /whoami: the same rules on
// a narrower read.
func (m *Manager) Check(r *http.Request) (store.SignedIn, error) {
	return m.valid(r, m.store.SessionCheckByTokenHash)
}

// valid finds the request's session with lookup and applies the rules.
func (m *Manager) valid(r *http.Request, lookup func(context.Context, []byte) (store.SignedIn, error)) (store.SignedIn, error) {
	c, err := r.Cookie(m.CookieName())
	if err != nil || c.Value == "" {
		return store.SignedIn{}, ErrNoSession
	}
	ctx := r.Context()
	si, err := lookup(ctx, token.Hash(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return si, ErrNoSession
	}
	if err != nil {
		return si, err
	}
	now := m.now()
	idle, _ := si.Organisation.Settings.SessionLimits(si.Session.Persistent)
	if !now.Before(si.Session.ExpiresAt) || now.Sub(si.Session.LastSeenAt) >= idle ||
		si.Member.Status != store.StatusActive || !si.Member.Licensed {
		m.store.DeleteSession(ctx, si.Session.OrgID, si.Session.ID)
		return store.SignedIn{}, ErrNoSession
	}
	if now.Sub(si.Session.LastSeenAt) >= touchInterval {
		if err := m.store.TouchSession(ctx, si.Session.ID, now); err != nil {
			return si, err
		}
		si.Session.LastSeenAt = now
	}
	return si, nil
}

// End signs the browser out: the session is deleted on the server, so the
// cookie is worthless even if it was copied.
func (m *Manager) End(w http.ResponseWriter, r *http.Request) error {
	return m.EndWith(w, r, nil)
}

// EndWith is End with also run in the transaction that deletes the
// session, to record the sign-out (not run when there was no session).
func (m *Manager) EndWith(w http.ResponseWriter, r *http.Request, also func(ctx context.Context, si store.SignedIn) error) error {
	m.clearCookie(w)
	raw := m.requestToken(r)
	if raw == "" {
		return nil
	}
	ctx := r.Context()
	return m.store.InTx(ctx, func(ctx context.Context) error {
		si, err := m.store.SignedInByTokenHash(ctx, token.Hash(raw))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := m.store.DeleteSession(ctx, si.Session.OrgID, si.Session.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := Notify(ctx, m.hook, Ended{OrgID: si.Session.OrgID, MemberID: si.Member.ID, SessionID: si.Session.ID}); err != nil {
			return err
		}
		if also != nil {
			return also(ctx, si)
		}
		return nil
	})
}

// endRequestSession deletes the session the request's token names, if any:
// a sign-in on a browser signed in already ends its session.
func (m *Manager) endRequestSession(ctx context.Context, raw string) error {
	if raw == "" {
		return nil
	}
	si, err := m.store.SignedInByTokenHash(ctx, token.Hash(raw))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	err = m.store.DeleteSession(ctx, si.Session.OrgID, si.Session.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return Notify(ctx, m.hook, Ended{OrgID: si.Session.OrgID, MemberID: si.Member.ID, SessionID: si.Session.ID})
}

// requestToken is the session token the request carries, or "".
func (m *Manager) requestToken(r *http.Request) string {
	return cookie.Value(r, sessionCookie, m.secure)
}

func (m *Manager) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, cookie.Clear(sessionCookie, m.secure))
}

// ClientAddress is the address the request came from (see clientaddr).
func ClientAddress(r *http.Request) string { return clientaddr.Of(r) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

type contextKey struct{}

// WithSignedIn stores the signed-in member in ctx for handlers.
func WithSignedIn(ctx context.Context, si store.SignedIn) context.Context {
	return context.WithValue(ctx, contextKey{}, si)
}

// SignedInFrom returns what RequireSignIn stored.
func SignedInFrom(ctx context.Context) (store.SignedIn, bool) {
	si, ok := ctx.Value(contextKey{}).(store.SignedIn)
	return si, ok
}

// RequireSignIn lets signed-in requests through with their member in the
// context and sends everyone else to the sign-in page, to come back after.
func (m *Manager) RequireSignIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, err := m.Current(r)
		if errors.Is(err, ErrNoSession) {
			http.Redirect(w, r, "/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err != nil {
			http.Error(w, "The service is unavailable. Please try again shortly.", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithSignedIn(r.Context(), si)))
	})
}

// Secure reports whether cookies are marked Secure (an https public URL).
func (m *Manager) Secure() bool { return m.secure }
