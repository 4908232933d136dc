// Package dashboard serves the page members land on after signing in.
package dashboard

import (
	"context"
	"log/slog"
	"net/http"

	"imslogin/internal/portal"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// PortalLister lists an organisation's portals, and a member's second
// factors for the Dashboard's "where you stand".
type PortalLister interface {
	Portals(ctx context.Context, orgID int64) ([]store.Portal, error)
	MemberMFAFactors(ctx context.Context, orgID, memberID int64) ([]store.MFAFactor, error)
}

// Handler serves the Dashboard.
type Handler struct {
	Sessions *session.Manager
	Portals  PortalLister
	Pages    *web.Renderer
	Log      *slog.Logger
	// Links are shown as tiles, for pages other features add (the
	// development mailbox in the demo, for example).
	Links []web.Link
}

// Mount registers the handler's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET /dashboard", h.Sessions.RequireSignIn(http.HandlerFunc(h.show)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	})
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	p := web.DashboardPage{
		Layout:          web.Layout{Notice: web.TakeFlash(w, r), Member: web.MemberViewOf(si)},
		SignedInAt:      si.Session.AuthTime,
		EmailUnverified: !si.Member.EmailVerified,
		Links:           h.Links,
	}
	factors, err := h.Portals.MemberMFAFactors(r.Context(), si.Organisation.ID, si.Member.ID)
	if err != nil {
		h.Log.Error("dashboard factors", "err", err)
	}
	for _, f := range factors {
		if f.Method != "backup" {
			p.SecondFactor = true
		}
	}
	list, err := h.Portals.Portals(r.Context(), si.Organisation.ID)
	if err != nil {
		h.Log.Error("dashboard portals", "err", err)
		p.PortalsUnavailable = true
	}
	for _, pt := range portal.Launchable(list, si.Member) {
		p.Portals = append(p.Portals, web.Link{Title: pt.Name, Href: pt.HomeURL})
	}
	h.Pages.Dashboard(w, p)
}
