// Package profile serves My Profile pages of the signed-in member.
package profile

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// SessionsHandler serves "Where you're signed in": the member's sessions,
// revoking one, and signing out everywhere.
type SessionsHandler struct {
	Sessions *session.Manager
	Audit    audit.Log // records revocations in the transaction that makes them
	Pages    *web.Renderer
	Log      *slog.Logger
	Now      func() time.Time
}

// Mount registers the handler's routes.
func (h *SessionsHandler) Mount(mux *http.ServeMux) {
	signedIn := h.Sessions.RequireSignIn
	mux.Handle("GET /profile/sessions", signedIn(http.HandlerFunc(h.list)))
	mux.Handle("POST /profile/sessions/{id}/revoke", signedIn(http.HandlerFunc(h.revoke)))
	mux.Handle("POST /logout-everywhere", signedIn(h.Sessions.RequireRecentAuth("/profile/sessions", http.HandlerFunc(h.everywhere))))
}

func (h *SessionsHandler) list(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	all, err := h.Sessions.Active(r.Context(), si)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page := web.SessionsPage{Layout: web.Layout{Notice: web.TakeFlash(w, r), Member: web.MemberViewOf(si)}}
	for _, s := range all {
		page.Sessions = append(page.Sessions, web.SessionView{ID: s.ID, Device: session.Device(s.UserAgent), Address: s.Address,
			Started: s.CreatedAt, LastSeen: s.LastSeenAt, Current: s.ID == si.Session.ID, KeptSignedIn: s.Persistent})
	}
	h.Pages.Sessions(w, page)
}

// revoke ends one session. Revoking this browser's own session signs it out.
func (h *SessionsHandler) revoke(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.notFound(w, si)
		return
	}
	if id != si.Session.ID && !h.Sessions.RecentlyAuthenticated(si) {
		// Ending another session is a security action; ending this one is
		// signing out, never refused.
		http.Redirect(w, r, session.ReauthPath+"?return_to="+url.QueryEscape("/profile/sessions"), http.StatusSeeOther)
		return
	}
	err = h.Sessions.Revoke(r.Context(), si, id, func(ctx context.Context) error {
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), si.Session.OrgID, audit.SessionRevoke), si.Member)
		e.Detail = "session " + strconv.FormatInt(id, 10)
		if id == si.Session.ID {
			e.Detail += " (this browser)"
		}
		return h.Audit.AppendAuditEvent(ctx, &e)
	})
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w, si)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if id == si.Session.ID {
		web.SetFlash(w, "signed-out")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	web.SetFlash(w, "session-revoked")
	http.Redirect(w, r, "/profile/sessions", http.StatusSeeOther)
}

func (h *SessionsHandler) everywhere(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	err := h.Sessions.EndEverywhere(w, r, si, func(ctx context.Context) error {
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), si.Session.OrgID, audit.SignoutEverywhere), si.Member)
		return h.Audit.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	web.SetFlash(w, "signed-out-everywhere")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// notFound answers a session ID that is not one of the member's, the same
// whether it exists for someone else or not at all.
func (h *SessionsHandler) notFound(w http.ResponseWriter, si store.SignedIn) {
	h.Pages.Error(w, http.StatusNotFound, web.ErrorPage{Layout: web.Layout{Member: web.MemberViewOf(si)},
		Heading: "Session not found", Message: "That browser is already signed out, or it is not one of yours."})
}

func (h *SessionsHandler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("sessions page", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete this because of a problem on our side. Please try again in a moment."})
}
