package session

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/token"
)

// Active lists the member's sessions still within their limits, most
// recently used first. Sessions past them are deleted on the way.
func (m *Manager) Active(ctx context.Context, si store.SignedIn) ([]store.Session, error) {
	all, err := m.store.MemberSessions(ctx, si.Session.OrgID, si.Session.MemberID)
	if err != nil {
		return nil, err
	}
	now := m.now()
	var live []store.Session
	for _, s := range all {
		idle, _ := si.Organisation.Settings.SessionLimits(s.Persistent)
		if now.Before(s.ExpiresAt) && now.Sub(s.LastSeenAt) < idle {
			live = append(live, s)
			continue
		}
		if err := m.store.DeleteSession(ctx, s.OrgID, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return live, nil
}

// Revoke ends one of the signed-in member's sessions, with also run in the
// same transaction to record it. A session that is not the member's is
// store.ErrNotFound, whoever it belongs to.
func (m *Manager) Revoke(ctx context.Context, si store.SignedIn, id int64, also func(ctx context.Context) error) error {
	return m.store.InTx(ctx, func(ctx context.Context) error {
		if err := m.store.DeleteMemberSession(ctx, si.Session.OrgID, si.Session.MemberID, id); err != nil {
			return err
		}
		if err := Notify(ctx, m.hook, Ended{OrgID: si.Session.OrgID, MemberID: si.Session.MemberID, SessionID: id}); err != nil {
			return err
		}
		if also != nil {
			return also(ctx)
		}
		return nil
	})
}

// EndEverywhere ends every session of the signed-in member, this one too,
// with also run in the same transaction to record it.
func (m *Manager) EndEverywhere(w http.ResponseWriter, r *http.Request, si store.SignedIn, also func(ctx context.Context) error) error {
	ctx := r.Context()
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		if err := m.store.DeleteMemberSessions(ctx, si.Session.OrgID, si.Session.MemberID); err != nil {
			return err
		}
		if err := Notify(ctx, m.hook, Ended{OrgID: si.Session.OrgID, MemberID: si.Session.MemberID, Everything: true}); err != nil {
			return err
		}
		if also != nil {
			return also(ctx)
		}
		return nil
	})
	if err == nil {
		m.clearCookie(w)
	}
	return err
}

// ReauthAfter is how old the last authentication may be before a sensitive
// action asks for the password again.
const ReauthAfter = 10 * time.Minute

// ReauthPath is the page that asks for the password again.
const ReauthPath = "/reauthenticate"

// RecentlyAuthenticated reports whether si's member proved who they are
// within ReauthAfter.
func (m *Manager) RecentlyAuthenticated(si store.SignedIn) bool {
	return m.now().Sub(si.Session.AuthTime) < ReauthAfter
}

// RequireRecentAuth guards a sensitive action; it goes inside
// RequireSignIn. When the last authentication is older than ReauthAfter the
// member is sent to ReauthPath and comes back afterwards: to the same page
// for a GET, to back for anything else (a form cannot be replayed).
func (m *Manager) RequireRecentAuth(back string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, ok := SignedInFrom(r.Context())
		if !ok {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if m.RecentlyAuthenticated(si) {
			next.ServeHTTP(w, r)
			return
		}
		returnTo := back
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			returnTo = r.URL.RequestURI()
		}
		http.Redirect(w, r, ReauthPath+"?return_to="+url.QueryEscape(returnTo), http.StatusSeeOther)
	})
}

// Reauthenticated records that si's member has just proved who they are:
// the session gets a new token (its identifier changes with the privilege)
// and a new authentication time, with also run in the same transaction.
func (m *Manager) Reauthenticated(w http.ResponseWriter, r *http.Request, si store.SignedIn, also func(ctx context.Context) error) error {
	return m.ReauthenticatedWith(w, r, si, nil, also)
}

// ReauthenticatedWith is Reauthenticated recording how the member proved
// who they are, unless amr is nil: after a step-up the session is the
// same, its portals still signed in, and its tokens say multi-factor.
func (m *Manager) ReauthenticatedWith(w http.ResponseWriter, r *http.Request, si store.SignedIn, amr []string,
	also func(ctx context.Context) error) error {
	ctx := r.Context()
	raw, hash := token.New()
	now := m.now()
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		if err := m.store.RenewSession(ctx, si.Session.OrgID, si.Session.ID, hash, now, amr); err != nil {
			return err
		}
		if also != nil {
			return also(ctx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.setCookie(w, raw, si.Session)
	return nil
}
