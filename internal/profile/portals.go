package profile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/oidc"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// PortalsStore is what My Profile → Portals reads and writes: the portals
// the member has used and consented to, and their tokens.
type PortalsStore interface {
	PortalGrants(ctx context.Context, orgID, memberID int64) ([]store.PortalGrant, error)
	DeletePortalGrant(ctx context.Context, orgID, memberID int64, clientID string) error
	DeleteMemberTokens(ctx context.Context, orgID, memberID int64, clientID string) (int64, error)
	audit.Log
	store.Transactor
}

// PortalNames finds a portal of the organisation by its client ID.
type PortalNames interface {
	PortalByClientID(ctx context.Context, orgID int64, clientID string) (oidc.Portal, error)
}

// PortalsHandler serves My Profile → Portals: the portals the member has
// signed in to, what each receives, and revoking a portal's access.
type PortalsHandler struct {
	Store    PortalsStore
	Portals  PortalNames
	Sessions *session.Manager
	Pages    *web.Renderer
	Log      *slog.Logger
	Now      func() time.Time
}

// Mount registers the handler's routes.
func (h *PortalsHandler) Mount(mux *http.ServeMux) {
	mux.Handle("GET /profile/portals", h.Sessions.RequireSignIn(http.HandlerFunc(h.list)))
	mux.Handle("POST /profile/portals/revoke", h.Sessions.RequireSignIn(http.HandlerFunc(h.revoke)))
}

func (h *PortalsHandler) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	grants, err := h.Store.PortalGrants(ctx, si.Organisation.ID, si.Member.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page := web.PortalsPage{Layout: web.Layout{Notice: web.TakeFlash(w, r), Member: web.MemberViewOf(si)}}
	for _, g := range grants {
		p, err := h.Portals.PortalByClientID(ctx, si.Organisation.ID, g.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted by an administrator: nothing left to revoke
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		receives := g.Scopes
		if len(receives) == 0 {
			receives = g.Consented
		}
		page.Portals = append(page.Portals, web.PortalUseView{ClientID: g.ClientID, Name: p.Name, LastUsed: g.LastUsedAt,
			Consented: len(g.Consented) > 0, ConsentedAt: g.ConsentedAt, Receives: oidc.DescribeScopes(receives)})
	}
	h.Pages.Portals(w, page)
}

// revoke ends the member's tokens for the portal and forgets their
// consent, in one transaction with its audit entry.
func (h *PortalsHandler) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	org, m, clientID := si.Organisation.ID, si.Member, r.PostFormValue("client_id")
	err := h.Store.InTx(ctx, func(ctx context.Context) error {
		n, err := h.Store.DeleteMemberTokens(ctx, org, m.ID, clientID)
		if err != nil {
			return err
		}
		if err := h.Store.DeletePortalGrant(ctx, org, m.ID, clientID); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), org, audit.PortalRevoke), m)
		e.Detail = fmt.Sprintf("%s: consent forgotten, %d tokens ended", clientID, n)
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && clientID == "") {
		h.Pages.Error(w, http.StatusNotFound, web.ErrorPage{Layout: web.Layout{Member: web.MemberViewOf(si)},
			Heading: "Portal not found", Message: "That portal has no access to your account, or its access was revoked already."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	web.SetFlash(w, "portal-revoked")
	http.Redirect(w, r, "/profile/portals", http.StatusSeeOther)
}

func (h *PortalsHandler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("portals page", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete this because of a problem on our side. Please try again in a moment."})
}
