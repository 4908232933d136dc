package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/oidc"
	"imslogin/internal/portal"
	"imslogin/internal/store"
	"imslogin/web"
)

func (h *Handler) mountPortals(mux *http.ServeMux) {
	h.page(mux, "GET /admin/portals", access.PortalsManage, h.portals)
	h.page(mux, "GET /admin/portals/new", access.PortalsManage, h.newPortal)
	h.sensitive(mux, "POST /admin/portals", access.PortalsManage, "/admin/portals/new", h.createPortal)
	h.page(mux, "GET /admin/portals/{id}", access.PortalsManage, h.showPortal)
	h.sensitive(mux, "POST /admin/portals/{id}", access.PortalsManage, "/admin/portals", h.updatePortal)
	h.sensitive(mux, "POST /admin/portals/{id}/rotate-secret", access.PortalsManage, "/admin/portals", h.rotatePortalSecret)
	h.page(mux, "GET /admin/portals/{id}/delete", access.PortalsManage, h.confirmDeletePortal)
	h.sensitive(mux, "POST /admin/portals/{id}/delete", access.PortalsManage, "/admin/portals", h.deletePortal)
}

// by is the actor as the portal service records changes.
func by(a Actor) portal.By {
	return portal.By{OrgID: a.OrgID, Actor: a.Label, Origin: audit.Origin{Address: a.Address, UserAgent: a.UserAgent}}
}

// portalRefusal turns the portal rules' refusal into the admin one.
func portalRefusal(err error) error {
	var invalid *portal.Invalid
	if errors.As(err, &invalid) {
		return &Refused{Fields: invalid.Fields}
	}
	return err
}

func (h *Handler) portals(w http.ResponseWriter, r *http.Request, c request) {
	list, err := h.Portals.List(r.Context(), c.OrgID)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	issuer, err := h.Portals.Issuer(r.Context(), c.OrgID)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	p := web.AdminPortalsPage{Layout: h.layout(w, r, c), Nav: nav(c.Actor, "portals"), Issuer: issuer}
	for _, pt := range list {
		kind := "Public"
		if pt.Confidential {
			kind = "Confidential"
		}
		p.Portals = append(p.Portals, web.PortalRowView{ID: pt.ID, Name: pt.Name, ClientID: pt.ClientID, Type: kind,
			FirstParty: pt.FirstParty, Access: portal.AccessWords(pt), HomeURL: pt.HomeURL, RedirectURIs: pt.RedirectURIs,
			UpdatedAt: pt.UpdatedAt, SigningAlgorithm: pt.SigningAlgorithm, AccessTokenWords: portal.Words(pt.AccessTokenLifetime),
			RefreshTokenWords: portal.Words(pt.RefreshTokenLifetime), PKCE: portal.PKCEWords(pt), Scopes: pt.AllowedScopes})
	}
	h.Pages.AdminPortals(w, p)
}

func (h *Handler) newPortal(w http.ResponseWriter, r *http.Request, c request) {
	form, err := h.portalForm(r, c, store.Portal{Confidential: true, Access: store.PortalAccessAll,
		AccessTokenLifetime: portal.AccessTokenLifetime.Default, IDTokenLifetime: portal.IDTokenLifetime.Default,
		RefreshTokenLifetime: portal.RefreshTokenLifetime.Default, SigningAlgorithm: portal.ES256, RequirePKCE: true,
		AllowedScopes: portal.Scopes})
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.Pages.AdminPortal(w, http.StatusOK, web.AdminPortalPage{Layout: h.layout(w, r, c), Nav: nav(c.Actor, "portals"), Form: form})
}

// createPortal shows the new client ID, secret and issuer on the page
// that answers the form: the secret's only showing, never in a redirect.
func (h *Handler) createPortal(w http.ResponseWriter, r *http.Request, c request) {
	in, form, errs := readPortalForm(r)
	if len(errs) == 0 {
		p, creds, err := h.Portals.Create(r.Context(), by(c.Actor), in)
		if err == nil {
			h.renderPortal(w, r, c, http.StatusOK, h.layout(w, r, c), p, creds, nil)
			return
		}
		if errs = refused(portalRefusal(err)); errs == nil {
			h.fail(w, c, err)
			return
		}
	}
	h.refusePortalForm(w, r, c, 0, in, form, errs)
}

// refusePortalForm shows the form again as typed, with every problem
// beside its field; nothing was saved.
func (h *Handler) refusePortalForm(w http.ResponseWriter, r *http.Request, c request, id int64, in portal.Input, form web.PortalForm, errs map[string]string) {
	if check := refused(portalRefusal(h.Portals.Check(r.Context(), c.OrgID, in))); check != nil {
		for f, m := range check {
			if errs[f] == "" {
				errs[f] = m
			}
		}
	}
	boxes, err := h.roleBoxes(r, c, in.Roles)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	form.Roles, form.Errors = boxes, errs
	l := h.layout(w, r, c)
	l.Notice = web.Notice{Kind: "error", Text: "Nothing was saved: check the fields marked below."}
	page := web.AdminPortalPage{Layout: l, Nav: nav(c.Actor, "portals"), ID: id, Form: form, OverlapHours: "24"}
	if id != 0 {
		stored, err := h.Portals.Get(r.Context(), c.OrgID, id)
		if err != nil {
			h.fail(w, c, err)
			return
		}
		issuer, _ := h.Portals.Issuer(r.Context(), c.OrgID)
		page.Credentials = web.PortalCredentials{ClientID: stored.ClientID, Issuer: issuer}
		page.Confidential, page.CreatedAt, page.UpdatedAt = stored.Confidential, stored.CreatedAt, stored.UpdatedAt
	}
	h.Pages.AdminPortal(w, http.StatusUnprocessableEntity, page)
}

func (h *Handler) showPortal(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	p, err := h.Portals.Get(r.Context(), c.OrgID, id)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	issuer, err := h.Portals.Issuer(r.Context(), c.OrgID)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.renderPortal(w, r, c, http.StatusOK, h.layout(w, r, c), p, portal.Credentials{ClientID: p.ClientID, Issuer: issuer}, nil)
}

// renderPortal shows a stored portal's page; creds.Secret, if any, once.
func (h *Handler) renderPortal(w http.ResponseWriter, r *http.Request, c request, status int, l web.Layout, p store.Portal,
	creds portal.Credentials, rotated *time.Time) {
	form, err := h.portalForm(r, c, p)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	usage, err := h.Portals.Usage(r.Context(), p)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	page := web.AdminPortalPage{Layout: l, Nav: nav(c.Actor, "portals"), ID: p.ID, Form: form, Confidential: p.Confidential,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, OverlapHours: "24",
		Credentials: web.PortalCredentials{ClientID: creds.ClientID, Secret: creds.Secret, Issuer: creds.Issuer},
		Usage:       &web.PortalUsage{Consented: usage.Consented, Holding: usage.Holding, FirstParty: p.FirstParty}}
	if rotated != nil {
		page.Credentials.Rotated = true
		if rotated.After(h.Service.Now()) {
			page.Credentials.OldSecretUntil = *rotated
		}
	}
	h.Pages.AdminPortal(w, status, page)
}

func (h *Handler) updatePortal(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	in, form, errs := readPortalForm(r)
	if len(errs) == 0 {
		p, creds, err := h.Portals.Update(r.Context(), by(c.Actor), id, in)
		if err == nil && creds.Secret != "" {
			h.renderPortal(w, r, c, http.StatusOK, h.layout(w, r, c), p, creds, nil) // made confidential: its first secret
			return
		}
		if err == nil {
			web.SetFlash(w, "admin-portal-saved")
			http.Redirect(w, r, fmt.Sprintf("/admin/portals/%d", id), http.StatusSeeOther)
			return
		}
		if errs = refused(portalRefusal(err)); errs == nil {
			h.fail(w, c, err)
			return
		}
	}
	h.refusePortalForm(w, r, c, id, in, form, errs)
}

func (h *Handler) rotatePortalSecret(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	hours, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("overlap_hours")))
	overlap := time.Duration(hours) * time.Hour
	if err != nil {
		overlap = -1 // refused below, with the bounds
	}
	creds, until, err := h.Portals.RotateSecret(r.Context(), by(c.Actor), id, overlap)
	if errs := refused(portalRefusal(err)); errs != nil {
		p, gerr := h.Portals.Get(r.Context(), c.OrgID, id)
		if gerr != nil {
			h.fail(w, c, gerr)
			return
		}
		form, ferr := h.portalForm(r, c, p)
		if ferr != nil {
			h.fail(w, c, ferr)
			return
		}
		form.Errors = errs
		l := h.layout(w, r, c)
		l.Notice = web.Notice{Kind: "error", Text: "The secret was not rotated. " + firstMessage(errs) + errs["overlap"]}
		issuer, _ := h.Portals.Issuer(r.Context(), c.OrgID)
		h.Pages.AdminPortal(w, http.StatusUnprocessableEntity, web.AdminPortalPage{Layout: l, Nav: nav(c.Actor, "portals"), ID: p.ID,
			Form: form, Confidential: p.Confidential, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
			OverlapHours: r.PostFormValue("overlap_hours"), Credentials: web.PortalCredentials{ClientID: p.ClientID, Issuer: issuer}})
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	p, err := h.Portals.Get(r.Context(), c.OrgID, id)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.renderPortal(w, r, c, http.StatusOK, h.layout(w, r, c), p, creds, &until)
}

func (h *Handler) confirmDeletePortal(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	p, err := h.Portals.Get(r.Context(), c.OrgID, id)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.Pages.AdminPortalDelete(w, web.AdminPortalDeletePage{Layout: h.layout(w, r, c), Nav: nav(c.Actor, "portals"), ID: p.ID,
		Name: p.Name, ClientID: p.ClientID})
}

func (h *Handler) deletePortal(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	if err := h.Portals.Delete(r.Context(), by(c.Actor), id); err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "admin-portal-deleted")
	http.Redirect(w, r, "/admin/portals", http.StatusSeeOther)
}

// readPortalForm reads the form; a lifetime that is not a whole number is
// refused here, the rest by the portal rules.
func readPortalForm(r *http.Request) (portal.Input, web.PortalForm, map[string]string) {
	r.ParseForm()
	f := r.PostForm
	form := web.PortalForm{Name: f.Get("name"), RedirectURIs: f.Get("redirect_uris"),
		PostLogoutRedirectURIs: f.Get("post_logout_redirect_uris"), BackchannelLogoutURI: f.Get("backchannel_logout_uri"),
		HomeURL: f.Get("home_url"), Confidential: f.Get("client_type") != "public", FirstParty: f.Get("first_party") == "on",
		Access: f.Get("access"), Members: f.Get("members"), AccessTokenMinutes: f.Get("access_token_minutes"),
		IDTokenMinutes: f.Get("id_token_minutes"), RefreshTokenHours: f.Get("refresh_token_hours"),
		RefreshGraceSeconds: f.Get("refresh_grace_seconds"), SigningAlgorithm: f.Get("signing_algorithm"),
		RequirePKCE: f.Get("require_pkce") == "on", Scopes: scopeBoxes(f["allowed_scopes"])}
	in := portal.Input{Name: form.Name, RedirectURIs: strings.Split(form.RedirectURIs, "\n"),
		PostLogoutRedirectURIs: strings.Split(form.PostLogoutRedirectURIs, "\n"), BackchannelLogoutURI: form.BackchannelLogoutURI,
		HomeURL: form.HomeURL, Confidential: form.Confidential, FirstParty: form.FirstParty, Access: store.PortalAccess(form.Access),
		Roles: f["roles"], MemberEmails: strings.Split(form.Members, "\n"), SigningAlgorithm: form.SigningAlgorithm,
		// Unticked boxes are not sent: no scope at all is an empty list,
		// refused, never the default.
		RequirePKCE: &form.RequirePKCE, AllowedScopes: append([]string{}, f["allowed_scopes"]...)}
	errs := map[string]string{}
	for _, n := range []struct {
		text  string
		unit  time.Duration
		words string
		l     portal.Lifetime
		out   *time.Duration
	}{
		{form.AccessTokenMinutes, time.Minute, "minutes", portal.AccessTokenLifetime, &in.AccessTokenLifetime},
		{form.IDTokenMinutes, time.Minute, "minutes", portal.IDTokenLifetime, &in.IDTokenLifetime},
		{form.RefreshTokenHours, time.Hour, "hours", portal.RefreshTokenLifetime, &in.RefreshTokenLifetime},
		{form.RefreshGraceSeconds, time.Second, "seconds", portal.RefreshGrace, &in.RefreshGrace},
	} {
		text := strings.TrimSpace(n.text)
		if text == "" {
			continue
		}
		v, err := strconv.Atoi(text)
		if err != nil || v < 0 || v > 1_000_000 {
			errs[n.l.Field] = fmt.Sprintf("Enter a whole number of %s.", n.words)
			continue
		}
		*n.out = time.Duration(v) * n.unit
		if v == 0 && n.l.Min > 0 {
			*n.out = -1 // zero would mean the default: refuse it with the bounds instead
		}
	}
	return in, form, errs
}

// portalForm fills the form from a stored portal.
func (h *Handler) portalForm(r *http.Request, c request, p store.Portal) (web.PortalForm, error) {
	boxes, err := h.roleBoxes(r, c, p.Roles)
	if err != nil {
		return web.PortalForm{}, err
	}
	var emails []string
	for _, id := range p.MemberIDs {
		m, err := h.Service.Store.MemberByID(r.Context(), c.OrgID, id)
		if err != nil {
			return web.PortalForm{}, err
		}
		emails = append(emails, m.Email)
	}
	whole := func(d, unit time.Duration) string { return strconv.FormatInt(int64(d/unit), 10) }
	return web.PortalForm{Name: p.Name, RedirectURIs: strings.Join(p.RedirectURIs, "\n"),
		PostLogoutRedirectURIs: strings.Join(p.PostLogoutRedirectURIs, "\n"), BackchannelLogoutURI: p.BackchannelLogoutURI,
		HomeURL: p.HomeURL, Confidential: p.Confidential, FirstParty: p.FirstParty, Access: string(p.Access), Roles: boxes,
		Members: strings.Join(emails, "\n"), AccessTokenMinutes: whole(p.AccessTokenLifetime, time.Minute),
		IDTokenMinutes: whole(p.IDTokenLifetime, time.Minute), RefreshTokenHours: whole(p.RefreshTokenLifetime, time.Hour),
		RefreshGraceSeconds: whole(p.RefreshGrace, time.Second), SigningAlgorithm: p.SigningAlgorithm,
		RequirePKCE: p.RequirePKCE || !p.Confidential, Scopes: scopeBoxes(p.AllowedScopes)}, nil
}

// scopeBoxes are the scopes a portal may be allowed, those in checked
// ticked, each described as the consent page describes it to members;
// openid is always allowed, so its box cannot be cleared.
func scopeBoxes(checked []string) []web.Checkbox {
	var out []web.Checkbox
	for _, s := range portal.Scopes {
		box := web.Checkbox{Name: "allowed_scopes", Value: s, Label: s, Checked: slices.Contains(checked, s)}
		if words := oidc.DescribeScopes([]string{s}); len(words) == 1 {
			box.Hint = "Members see: “" + words[0] + "”"
		}
		if s == portal.ScopeOpenID {
			box.Checked, box.Disabled = true, true
			box.Hint = "Always allowed. " + box.Hint
		}
		out = append(out, box)
	}
	return out
}

// roleBoxes are the built-in and custom roles, those in checked ticked.
func (h *Handler) roleBoxes(r *http.Request, c request, checked []string) ([]web.Checkbox, error) {
	custom, err := h.Service.Roles(r.Context(), c.Actor)
	if err != nil {
		return nil, err
	}
	var out []web.Checkbox
	for _, role := range []store.Role{store.RoleOwner, store.RoleAdministrator, store.RoleMember} {
		out = append(out, web.Checkbox{Name: "roles", Value: string(role), Label: access.RoleTitle(role),
			Checked: slices.Contains(checked, string(role))})
	}
	for _, cr := range custom {
		key := store.CustomRoleKey(cr.ID)
		out = append(out, web.Checkbox{Name: "roles", Value: key, Label: cr.Name + " (custom)", Checked: slices.Contains(checked, key)})
	}
	return out, nil
}
