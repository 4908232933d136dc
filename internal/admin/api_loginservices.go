package admin

import (
	"context"
	"net/http"
	"time"

	"imslogin/internal/loginservice"
	"imslogin/internal/store"
)

// LoginServiceView is a login service as the API and `ims login-service
// --json` show it; the client secret is never shown.
type LoginServiceView struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"`
	Name          string    `json:"name"`
	Issuer        string    `json:"issuer"`
	ClientID      string    `json:"client_id"`
	Scopes        []string  `json:"scopes"`
	UsernameClaim string    `json:"username_claim"`
	Enabled       bool      `json:"enabled"`
	RedirectURI   string    `json:"redirect_uri"` // to register at the login service
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// LoginServiceViewOf shows ls with its redirect URI.
func LoginServiceViewOf(ls store.LoginService, redirectURI string) LoginServiceView {
	return LoginServiceView{ID: ls.ID, Kind: ls.Kind, Name: ls.Name, Issuer: ls.Issuer, ClientID: ls.ClientID,
		Scopes: nonNil(ls.Scopes), UsernameClaim: ls.UsernameClaim, Enabled: ls.Enabled, RedirectURI: redirectURI,
		CreatedAt: ls.CreatedAt, UpdatedAt: ls.UpdatedAt}
}

// apiLoginServiceInput is a login service as a request gives it; on PUT an
// absent client_secret keeps the stored one.
type apiLoginServiceInput struct {
	Kind          string   `json:"kind"`
	Name          string   `json:"name"`
	Issuer        string   `json:"issuer"`
	ClientID      string   `json:"client_id"`
	ClientSecret  string   `json:"client_secret"`
	Scopes        []string `json:"scopes"`
	UsernameClaim string   `json:"username_claim"`
	Enabled       *bool    `json:"enabled"` // absent: enabled
}

func (in apiLoginServiceInput) input() loginservice.Input {
	return loginservice.Input{Kind: in.Kind, Name: in.Name, Issuer: in.Issuer, ClientID: in.ClientID,
		Secret: in.ClientSecret, Scopes: in.Scopes, UsernameClaim: in.UsernameClaim, Enabled: in.Enabled == nil || *in.Enabled}
}

func (h *Handler) loginServiceView(ctx context.Context, ls store.LoginService) (LoginServiceView, error) {
	org, err := h.Service.Store.OrganisationByID(ctx, ls.OrgID)
	if err != nil {
		return LoginServiceView{}, err
	}
	return LoginServiceViewOf(ls, h.LoginServices.RedirectURI(org.URLName, ls.ID)), nil
}

func (h *Handler) apiLoginServices(w http.ResponseWriter, r *http.Request, a Actor) {
	list, err := h.LoginServices.List(r.Context(), a.OrgID)
	if err != nil {
		h.apiError(w, err)
		return
	}
	views := make([]LoginServiceView, 0, len(list))
	for _, ls := range list {
		v, err := h.loginServiceView(r.Context(), ls)
		if err != nil {
			h.apiError(w, err)
			return
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, views)
}

func (h *Handler) apiLoginService(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	ls, err := h.LoginServices.Get(r.Context(), a.OrgID, id)
	h.answerLoginService(w, r, http.StatusOK, ls, err)
}

func (h *Handler) apiCreateLoginService(w http.ResponseWriter, r *http.Request, a Actor) {
	var in apiLoginServiceInput
	if !decode(w, r, &in) {
		return
	}
	ls, err := h.LoginServices.Create(r.Context(), loginServiceBy(a), in.input())
	h.answerLoginService(w, r, http.StatusCreated, ls, err)
}

func (h *Handler) apiUpdateLoginService(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	var in apiLoginServiceInput
	if !decode(w, r, &in) {
		return
	}
	ls, err := h.LoginServices.Update(r.Context(), loginServiceBy(a), id, in.input())
	h.answerLoginService(w, r, http.StatusOK, ls, err)
}

func (h *Handler) answerLoginService(w http.ResponseWriter, r *http.Request, status int, ls store.LoginService, err error) {
	if err != nil {
		h.apiError(w, loginServiceRefusal(err))
		return
	}
	v, err := h.loginServiceView(r.Context(), ls)
	if err != nil {
		h.apiError(w, err)
		return
	}
	writeJSON(w, status, v)
}

func (h *Handler) apiDeleteLoginService(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	if err := h.LoginServices.Delete(r.Context(), loginServiceBy(a), id); err != nil {
		h.apiError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiLoginServiceSettings is the organisation's settings for sign-ins
// through its login services.
type apiLoginServiceSettings struct {
	// ExternalMFA: members who sign in through a login service still pass
	// the organisation's own MFA.
	ExternalMFA *bool `json:"external_mfa"`
}

func (h *Handler) apiLoginServiceSettings(w http.ResponseWriter, r *http.Request, a Actor) {
	on, err := h.LoginServices.ExternalMFA(r.Context(), a.OrgID)
	if err != nil {
		h.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, apiLoginServiceSettings{ExternalMFA: &on})
}

func (h *Handler) apiSetLoginServiceSettings(w http.ResponseWriter, r *http.Request, a Actor) {
	var in apiLoginServiceSettings
	if !decode(w, r, &in) {
		return
	}
	if in.ExternalMFA == nil {
		h.apiError(w, &Refused{Fields: map[string]string{"external_mfa": "Say true or false."}})
		return
	}
	if err := h.LoginServices.SetExternalMFA(r.Context(), loginServiceBy(a), *in.ExternalMFA); err != nil {
		h.apiError(w, err)
		return
	}
	h.apiLoginServiceSettings(w, r, a)
}
