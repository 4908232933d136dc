package signin

import (
	"context"
	"net/http"

	"imslogin/web"
)

// ServiceButtons finds the login service buttons of an organisation's
// sign-in page, by URL name or, on the generic page, by name (none for an
// unknown organisation).
type ServiceButtons func(ctx context.Context, urlName, name, returnTo string) ([]web.ServiceButton, error)

// addServices puts the organisation's login services on the page; a
// failure to read them leaves the password form alone.
func (h *Handler) addServices(r *http.Request, page *web.LoginPage) {
	if h.Services == nil {
		return
	}
	buttons, err := h.Services(r.Context(), page.URLName, page.Organisation, page.ReturnTo)
	if err != nil {
		h.Log.Warn("login service buttons", "err", err)
		return
	}
	page.Services = buttons
}

// showLoginPage answers an attempt with the sign-in page; an
// organisation's own page keeps its login service buttons. The generic
// page shows none: looking them up for the name typed would make an
// unknown organisation's answer differ from a known one's.
func (h *Handler) showLoginPage(w http.ResponseWriter, r *http.Request, status int, page web.LoginPage) {
	if page.URLName != "" {
		h.addServices(r, &page)
	}
	h.Pages.Login(w, status, page)
}
