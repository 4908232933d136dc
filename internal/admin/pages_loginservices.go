package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/loginservice"
	"imslogin/internal/store"
	"imslogin/web"
)

// mountLoginServices registers Admin Settings → Login services and its API.
func (h *Handler) mountLoginServices(mux *http.ServeMux) {
	if h.LoginServices == nil {
		return
	}
	h.page(mux, "GET /admin/login-services", access.SettingsRead, h.loginServices)
	h.sensitive(mux, "POST /admin/login-services", access.SettingsWrite, "/admin/login-services", h.createLoginService)
	h.sensitive(mux, "POST /admin/login-services/settings", access.SettingsWrite, "/admin/login-services",
		h.saveLoginServiceSettings)
	h.sensitive(mux, "POST /admin/login-services/{id}", access.SettingsWrite, "/admin/login-services", h.updateLoginService)
	h.sensitive(mux, "POST /admin/login-services/{id}/delete", access.SettingsWrite, "/admin/login-services", h.deleteLoginService)
	h.api(mux, "GET /api/v1/login-services", access.SettingsRead, h.apiLoginServices)
	h.api(mux, "POST /api/v1/login-services", access.SettingsWrite, h.apiCreateLoginService)
	h.api(mux, "GET /api/v1/login-services/settings", access.SettingsRead, h.apiLoginServiceSettings)
	h.api(mux, "PUT /api/v1/login-services/settings", access.SettingsWrite, h.apiSetLoginServiceSettings)
	h.api(mux, "GET /api/v1/login-services/{id}", access.SettingsRead, h.apiLoginService)
	h.api(mux, "PUT /api/v1/login-services/{id}", access.SettingsWrite, h.apiUpdateLoginService)
	h.api(mux, "DELETE /api/v1/login-services/{id}", access.SettingsWrite, h.apiDeleteLoginService)
}

// loginServiceBy is the actor as the login service service records changes.
func loginServiceBy(a Actor) loginservice.By {
	return loginservice.By{OrgID: a.OrgID, Actor: a.Label, Origin: audit.Origin{Address: a.Address, UserAgent: a.UserAgent}}
}

// loginServiceRefusal turns the login service rules' refusal into the admin one.
func loginServiceRefusal(err error) error {
	var invalid *loginservice.Invalid
	if errors.As(err, &invalid) {
		return &Refused{Fields: invalid.Fields}
	}
	return err
}

func loginServiceFormOf(ls store.LoginService) web.LoginServiceForm {
	return web.LoginServiceForm{Name: ls.Name, Issuer: ls.Issuer, ClientID: ls.ClientID, Scopes: strings.Join(ls.Scopes, " "),
		UsernameClaim: ls.UsernameClaim, Enabled: ls.Enabled}
}

func readLoginServiceForm(r *http.Request) (loginservice.Input, web.LoginServiceForm) {
	f := web.LoginServiceForm{Name: r.PostFormValue("name"), Issuer: r.PostFormValue("issuer"),
		ClientID: r.PostFormValue("client_id"), Scopes: r.PostFormValue("scopes"),
		UsernameClaim: strings.TrimSpace(r.PostFormValue("username_claim")), Enabled: r.PostFormValue("enabled") != ""}
	return loginservice.Input{Kind: loginservice.KindOIDC, Name: f.Name, Issuer: f.Issuer, ClientID: f.ClientID,
		Secret: r.PostFormValue("secret"), Scopes: strings.Fields(f.Scopes), UsernameClaim: f.UsernameClaim,
		Enabled: f.Enabled}, f
}

func (h *Handler) loginServices(w http.ResponseWriter, r *http.Request, c request) {
	h.renderLoginServices(w, r, c, http.StatusOK, web.LoginServiceForm{Scopes: "openid profile email",
		UsernameClaim: loginservice.DefaultUsernameClaim, Enabled: true}, nil)
}

func (h *Handler) renderLoginServices(w http.ResponseWriter, r *http.Request, c request, status int, form web.LoginServiceForm,
	errs map[string]string) {
	list, err := h.LoginServices.List(r.Context(), c.OrgID)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	rows := make([]web.LoginServiceRow, 0, len(list))
	for _, ls := range list {
		f := loginServiceFormOf(ls)
		f.Prefix = "service-" + strconv.FormatInt(ls.ID, 10)
		rows = append(rows, web.LoginServiceRow{ID: ls.ID, Form: f,
			RedirectURI: h.LoginServices.RedirectURI(c.si.Organisation.URLName, ls.ID)})
	}
	externalMFA, err := h.LoginServices.ExternalMFA(r.Context(), c.OrgID)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	form.Prefix = "new"
	h.Pages.AdminLoginServices(w, status, web.AdminLoginServicesPage{Layout: h.layout(w, r, c),
		Nav: nav(c.Actor, "login-services"), Services: rows, Form: form, Errors: errs, CanWrite: c.Can(access.SettingsWrite),
		ExternalMFA: externalMFA})
}

func (h *Handler) createLoginService(w http.ResponseWriter, r *http.Request, c request) {
	in, form := readLoginServiceForm(r)
	ls, err := h.LoginServices.Create(r.Context(), loginServiceBy(c.Actor), in)
	if errs := refused(loginServiceRefusal(err)); errs != nil {
		h.renderLoginServices(w, r, c, http.StatusUnprocessableEntity, form, errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "login-service-saved")
	http.Redirect(w, r, "/admin/login-services#service-"+strconv.FormatInt(ls.ID, 10), http.StatusSeeOther)
}

func (h *Handler) updateLoginService(w http.ResponseWriter, r *http.Request, c request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, c, store.ErrNotFound)
		return
	}
	in, form := readLoginServiceForm(r)
	_, err := h.LoginServices.Update(r.Context(), loginServiceBy(c.Actor), id, in)
	if errs := refused(loginServiceRefusal(err)); errs != nil {
		h.renderLoginServices(w, r, c, http.StatusUnprocessableEntity, form, errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "login-service-saved")
	http.Redirect(w, r, "/admin/login-services", http.StatusSeeOther)
}

func (h *Handler) deleteLoginService(w http.ResponseWriter, r *http.Request, c request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, c, store.ErrNotFound)
		return
	}
	if err := h.LoginServices.Delete(r.Context(), loginServiceBy(c.Actor), id); err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "login-service-deleted")
	http.Redirect(w, r, "/admin/login-services", http.StatusSeeOther)
}

func (h *Handler) saveLoginServiceSettings(w http.ResponseWriter, r *http.Request, c request) {
	on := r.PostFormValue("external_mfa") != ""
	if err := h.LoginServices.SetExternalMFA(r.Context(), loginServiceBy(c.Actor), on); err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "login-service-settings-saved")
	http.Redirect(w, r, "/admin/login-services#settings", http.StatusSeeOther)
}
