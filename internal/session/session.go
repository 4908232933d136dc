// Package session keeps signed-in browsers: a random token in a cookie, only
// its SHA-256 in the store, idle and absolute limits, and rotation at sign-in.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"imslogin/internal/store"
)

// ErrNoSession means the request carries no valid session.
var ErrNoSession = errors.New("not signed in")

// touchInterval bounds how often last-seen is written: at most once a
// minute per session, so session checks are reads.
const touchInterval = time.Minute

// Manager starts, finds and ends sessions.
type Manager struct {
	store  store.Store
	secure bool
	now    func() time.Time
}

// NewManager makes a Manager. With secure (an https public URL) the cookie
// is "__Host-ims_session" and Secure; otherwise "ims_session" for local use.
func NewManager(s store.Store, secure bool, now func() time.Time) *Manager {
	return &Manager{store: s, secure: secure, now: now}
}

// CookieName is the session cookie's name.
func (m *Manager) CookieName() string {
	if m.secure {
		return "__Host-ims_session"
	}
	return "ims_session"
}

// NewToken returns 256 random bits, URL-safe, and their SHA-256.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is how tokens are stored: only their SHA-256.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Start signs member in on this browser. Any session the request already
// carries is ended first, so the identifier always changes at sign-in.
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, org store.Organisation, member store.Member, persistent bool) (store.Session, error) {
	m.endRequestSession(r.Context(), r)
	now := m.now()
	_, absolute := org.Settings.SessionLimits(persistent)
	token, hash := NewToken()
	s := store.Session{
		TokenHash: hash, OrgID: org.ID, MemberID: member.ID, Persistent: persistent,
		CreatedAt: now, LastSeenAt: now, AuthTime: now, ExpiresAt: now.Add(absolute),
		UserAgent: truncate(r.UserAgent(), 512), Address: ClientAddress(r),
	}
	if err := m.store.CreateSession(r.Context(), &s); err != nil {
		return s, err
	}
	c := m.cookie(token)
	if persistent {
		c.Expires = s.ExpiresAt
		c.MaxAge = int(absolute / time.Second)
	}
	http.SetCookie(w, c)
	return s, nil
}

// Current returns the request's valid session with its member and
// organisation. An expired session, or one whose member may no longer sign
// in, is deleted and reported as ErrNoSession.
func (m *Manager) Current(r *http.Request) (store.SignedIn, error) {
	c, err := r.Cookie(m.CookieName())
	if err != nil || c.Value == "" {
		return store.SignedIn{}, ErrNoSession
	}
	ctx := r.Context()
	si, err := m.store.SignedInByTokenHash(ctx, HashToken(c.Value))
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
func (m *Manager) End(w http.ResponseWriter, r *http.Request) {
	m.endRequestSession(r.Context(), r)
	c := m.cookie("")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

func (m *Manager) endRequestSession(ctx context.Context, r *http.Request) {
	c, err := r.Cookie(m.CookieName())
	if err != nil || c.Value == "" {
		return
	}
	si, err := m.store.SignedInByTokenHash(ctx, HashToken(c.Value))
	if err == nil {
		m.store.DeleteSession(ctx, si.Session.OrgID, si.Session.ID)
	}
}

func (m *Manager) cookie(value string) *http.Cookie {
	return &http.Cookie{Name: m.CookieName(), Value: value, Path: "/", HttpOnly: true, Secure: m.secure,
		SameSite: http.SameSiteLaxMode}
}

// ClientAddress is the address the request came from.
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

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
