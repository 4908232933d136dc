package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/registration"
	"imslogin/internal/store"
	"imslogin/web"
)

// mountPortalUsers registers Admin Settings → Portals → Users.
func (h *Handler) mountPortalUsers(mux *http.ServeMux) {
	if h.Registrations == nil {
		return
	}
	h.page(mux, "GET /admin/portal-users", access.PortalsRegister, h.portalsForUsers)
	h.page(mux, "GET /admin/portals/{id}/users", access.PortalsRegister, h.portalUsers)
	h.page(mux, "POST /admin/portals/{id}/users", access.PortalsRegister, h.registerUser)
	h.page(mux, "POST /admin/portals/{id}/users/save", access.PortalsRegister, h.savePortalUsers)
}

func registrationBy(a Actor) registration.By {
	return registration.By{OrgID: a.OrgID, Actor: a.Label, Origin: audit.Origin{Address: a.Address, UserAgent: a.UserAgent}}
}

// portalsForUsers lists the portals, each leading to its Users page.
func (h *Handler) portalsForUsers(w http.ResponseWriter, r *http.Request, c request) {
	list, err := h.Portals.List(r.Context(), c.OrgID)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	page := web.PortalsForUsersPage{Layout: h.layout(w, r, c), Nav: nav(c.Actor, "portal-users")}
	for _, p := range list {
		page.Portals = append(page.Portals, web.Link{Title: p.Name, Href: "/admin/portals/" + strconv.FormatInt(p.ID, 10) + "/users"})
	}
	h.Pages.PortalsForUsers(w, page)
}

func (h *Handler) portalUsers(w http.ResponseWriter, r *http.Request, c request) {
	h.renderPortalUsers(w, r, c, http.StatusOK, web.RegisterForm{Role: string(store.RoleMember)}, nil)
}

func (h *Handler) renderPortalUsers(w http.ResponseWriter, r *http.Request, c request, status int, form web.RegisterForm,
	errs map[string]string) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, c, store.ErrNotFound)
		return
	}
	after := pageAfter(r)
	p, users, next, err := h.Registrations.Users(r.Context(), c.OrgID, id, after)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	page := web.PortalUsersPage{Layout: h.layout(w, r, c), Nav: nav(c.Actor, "portal-users"), PortalID: p.ID, Portal: p.Name,
		Register: form, Errors: errs, RemovalDays: c.si.Organisation.Settings.UnlinkedRemovalDays, After: after,
		Paged: after != 0}
	if next != 0 {
		page.Next = "/admin/portals/" + strconv.FormatInt(p.ID, 10) + "/users?after=" + strconv.FormatInt(next, 10)
	}
	for _, u := range users {
		row := web.PortalUserRow{ID: u.Member.ID, Name: u.Member.Name, Email: u.Member.Email, Role: string(u.Member.Role),
			Status: string(u.Member.Status), Account: u.Account, DaysLeft: u.DaysLeft, Registered: !u.Registration.CountFrom.IsZero()}
		if u.Account == "" && !u.Registration.ExpiresAt.IsZero() {
			row.Expires = registration.ExpiryWords(u.Registration.ExpiresAt)
		}
		page.Users = append(page.Users, row)
	}
	h.Pages.PortalUsers(w, status, page)
}

func (h *Handler) registerUser(w http.ResponseWriter, r *http.Request, c request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, c, store.ErrNotFound)
		return
	}
	p, err := h.Portals.Get(r.Context(), c.OrgID, id)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	form := web.RegisterForm{Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Role: r.PostFormValue("role")}
	_, _, err = h.Registrations.Register(r.Context(), registrationBy(c.Actor), registration.Input{PortalClientID: p.ClientID,
		Email: form.Email, Name: form.Name, Role: store.Role(form.Role)})
	var invalid *registration.Invalid
	if errors.As(err, &invalid) {
		h.renderPortalUsers(w, r, c, http.StatusUnprocessableEntity, form, invalid.Fields)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "registration-sent")
	http.Redirect(w, r, "/admin/portals/"+strconv.FormatInt(p.ID, 10)+"/users", http.StatusSeeOther)
}

// savePortalUsers sends the new registrations checked (to the address in
// each row) and resets the counts checked, all or none.
func (h *Handler) savePortalUsers(w http.ResponseWriter, r *http.Request, c request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, c, store.ErrNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, c, err)
		return
	}
	// Only members the page lists may be changed from it.
	_, users, _, err := h.Registrations.Users(r.Context(), c.OrgID, id, pageAfter(r))
	if err != nil {
		h.fail(w, c, err)
		return
	}
	listed := map[string]bool{}
	for _, u := range users {
		listed[strconv.FormatInt(u.Member.ID, 10)] = true
	}
	changes := registration.Changes{Send: map[int64]string{}}
	for _, raw := range r.PostForm["send"] {
		memberID, _ := strconv.ParseInt(raw, 10, 64)
		if !listed[raw] {
			h.fail(w, c, store.ErrNotFound)
			return
		}
		changes.Send[memberID] = strings.TrimSpace(r.PostFormValue("email-" + raw))
	}
	for _, raw := range r.PostForm["reset"] {
		memberID, _ := strconv.ParseInt(raw, 10, 64)
		if !listed[raw] {
			h.fail(w, c, store.ErrNotFound)
			return
		}
		changes.Reset = append(changes.Reset, memberID)
	}
	if err := h.Registrations.Save(r.Context(), registrationBy(c.Actor), changes); err != nil {
		h.refuseSave(w, r, c, err)
		return
	}
	flash := "portal-users-saved"
	if len(changes.Send) == 0 && len(changes.Reset) == 0 {
		flash = "portal-users-unchanged"
	}
	web.SetFlash(w, flash)
	back := "/admin/portals/" + strconv.FormatInt(id, 10) + "/users"
	if after := pageAfter(r); after != 0 {
		back += "?after=" + strconv.FormatInt(after, 10)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (h *Handler) refuseSave(w http.ResponseWriter, r *http.Request, c request, err error) {
	var invalid *registration.Invalid
	if !errors.As(err, &invalid) {
		h.fail(w, c, err)
		return
	}
	h.renderPortalUsers(w, r, c, http.StatusUnprocessableEntity, web.RegisterForm{Role: string(store.RoleMember)},
		map[string]string{"save": invalid.Error()})
}

// pageAfter is the member a page of Users starts after (0: the first
// page), from the address or the Save form.
func pageAfter(r *http.Request) int64 {
	after, err := strconv.ParseInt(r.FormValue("after"), 10, 64)
	if err != nil || after < 0 {
		return 0
	}
	return after
}
