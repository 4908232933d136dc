package branding

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// Store is what branding reads and writes.
type Store interface {
	OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error)
	store.Brandings
	audit.Log
	store.Transactor
}

// Handler serves each organisation's stylesheet and logo, and Admin
// Settings → Details → Branding.
type Handler struct {
	Store    Store
	Sessions *session.Manager
	Pages    *web.Renderer
	Log      *slog.Logger
	Now      func() time.Time
}

// Mount registers the handler's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /brand/{urlname}/style.css", h.stylesheet)
	mux.HandleFunc("GET /brand/{urlname}/logo.png", h.logo)
	mux.Handle("GET /admin/settings/branding", h.Sessions.RequireSignIn(http.HandlerFunc(h.show)))
	mux.Handle("POST /admin/settings/branding", h.Sessions.RequireSignIn(http.HandlerFunc(h.save)))
}

// LogoPath is where an organisation's logo is served.
func LogoPath(urlName string) string { return web.BrandLogoPath(urlName) }

// brandingOf reads the branding of the organisation the path names; an
// organisation without any has the zero Branding.
func (h *Handler) brandingOf(r *http.Request) (store.Branding, bool) {
	org, err := h.Store.OrganisationByURLName(r.Context(), r.PathValue("urlname"))
	if err != nil {
		return store.Branding{}, false
	}
	b, err := h.Store.Branding(r.Context(), org.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.Log.Error("branding", "err", err)
		return b, false
	}
	return b, true
}

// Branding is public (it is on the organisation's sign-in page), and
// cached briefly: a change shows within five minutes.
func (h *Handler) stylesheet(w http.ResponseWriter, r *http.Request) {
	b, _ := h.brandingOf(r)
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	io.WriteString(w, Stylesheet(b, LogoPath(r.PathValue("urlname"))))
}

func (h *Handler) logo(w http.ResponseWriter, r *http.Request) {
	b, ok := h.brandingOf(r)
	if !ok || len(b.Logo) == 0 {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b.Logo)
}

// page is the branding page for the signed-in member, or false after
// answering 403 when they may not see it.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, perm access.Permission) (web.AdminBrandingPage, store.SignedIn, bool) {
	si, _ := session.SignedInFrom(r.Context())
	can := access.OfSignedIn(si)
	l := web.Layout{Member: web.MemberViewOf(si)}
	if !can.Has(perm) {
		h.Pages.Error(w, http.StatusForbidden, web.ErrorPage{Layout: l, Heading: "Permission needed",
			Message: "Changing the organisation's branding needs the permission to change its settings."})
		return web.AdminBrandingPage{}, si, false
	}
	p := web.AdminBrandingPage{Layout: l, CanWrite: can.Has(access.SettingsWrite), Errors: map[string]string{},
		Nav: web.AdminNav{Current: "settings", Members: can.Has(access.MembersRead), Roles: can.Has(access.RolesManage),
			Settings: can.Has(access.SettingsRead), Audit: can.Has(access.AuditRead), Tokens: can.Has(access.TokensManage),
			Portals: can.Has(access.PortalsManage)}}
	b, err := h.Store.Branding(r.Context(), si.Organisation.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, err)
		return p, si, false
	}
	p.Accent, p.Custom = b.Accent, b.Accent != ""
	if len(b.Logo) > 0 {
		p.LogoURL = LogoPath(si.Organisation.URLName) + "?v=" + strconv.FormatInt(b.UpdatedAt.UnixMilli(), 10)
	}
	return p, si, true
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	p, _, ok := h.page(w, r, access.SettingsRead)
	if !ok {
		return
	}
	p.Notice = web.TakeFlash(w, r)
	h.Pages.AdminBranding(w, http.StatusOK, p)
}

// save checks the colour and the logo, then writes both with an audit
// entry in one transaction, or nothing at all.
func (h *Handler) save(w http.ResponseWriter, r *http.Request) {
	p, si, ok := h.page(w, r, access.SettingsWrite)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxLogoBytes+64<<10)
	if err := r.ParseMultipartForm(MaxLogoBytes + 64<<10); err != nil {
		p.Errors["logo"] = "The logo is too large: it may be at most " + strconv.Itoa(MaxLogoBytes>>10) + " KB."
	}
	current, err := h.Store.Branding(r.Context(), si.Organisation.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, err)
		return
	}
	next := store.Branding{OrgID: si.Organisation.ID, Logo: current.Logo, UpdatedAt: h.Now()}
	if r.PostFormValue("accent_choice") == "custom" {
		p.Custom = true
		p.Accent = strings.TrimSpace(r.PostFormValue("accent"))
		var aerr ErrAccent
		if next.Accent, err = Accent(p.Accent); errors.As(err, &aerr) {
			p.Errors["accent"] = aerr.Message
		}
	} else {
		p.Custom = false
	}
	if r.PostFormValue("remove_logo") == "on" {
		next.Logo = nil
	} else if f, _, err := r.FormFile("logo"); err == nil {
		data, _ := io.ReadAll(io.LimitReader(f, MaxLogoBytes+1))
		f.Close()
		var lerr ErrLogo
		if next.Logo, err = Logo(data); errors.As(err, &lerr) {
			p.Errors["logo"] = lerr.Message
		} else if err != nil {
			h.serverError(w, err)
			return
		}
	}
	if len(p.Errors) > 0 {
		p.Notice = web.Notice{Kind: "error", Text: "Nothing was saved. Correct the fields marked below."}
		h.Pages.AdminBranding(w, http.StatusUnprocessableEntity, p)
		return
	}
	err = h.Store.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.Store.SetBranding(ctx, next); err != nil {
			return err
		}
		e := audit.Event(audit.OriginOf(r), next.UpdatedAt, si.Organisation.ID, audit.SettingsChange)
		e.Actor = si.Member.Email
		e.Detail = describe(next)
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		h.serverError(w, err)
		return
	}
	web.SetFlash(w, "admin-settings-saved")
	http.Redirect(w, r, "/admin/settings/branding", http.StatusSeeOther)
}

func describe(b store.Branding) string {
	colour, logo := "the standard colour", "no logo"
	if b.Accent != "" {
		colour = "accent colour " + b.Accent
	}
	if len(b.Logo) > 0 {
		logo = "a logo of " + strconv.Itoa(len(b.Logo)>>10) + " KB"
	}
	return "branding: " + colour + ", " + logo
}

func (h *Handler) serverError(w http.ResponseWriter, err error) {
	h.Log.Error("branding", "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "The branding could not be saved because of a problem on our side. Please try again in a moment."})
}
