// Package dashboard serves the page members land on after signing in.
package dashboard

import (
	"net/http"

	"imslogin/internal/session"
	"imslogin/web"
)

// Handler serves the Dashboard.
type Handler struct {
	Sessions *session.Manager
	Pages    *web.Renderer
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
	h.Pages.Dashboard(w, web.DashboardPage{
		Layout:          web.Layout{Notice: web.TakeFlash(w, r), Member: web.MemberViewOf(si)},
		SignedInAt:      si.Session.AuthTime,
		EmailUnverified: !si.Member.EmailVerified,
		Links:           h.Links,
	})
}
