package web

import "net/http"

// AccessDeniedPage tells a signed-in member that a portal is not open to
// them: which account they used, which portal, and what to do.
type AccessDeniedPage struct {
	Layout
	Email        string
	Account      string // the account of a login service, "jdoe (NIH Network Login)"; else Email is shown
	Organisation string
	Portal       string
	Reason       string // why, when it is not the portal's access rule
	// SwitchAction signs this browser out and comes back to the portal's
	// sign-in, to try another account.
	SwitchAction string
}

// AccessDenied renders the "Access Denied" page (HTTP 403).
func (r *Renderer) AccessDenied(w http.ResponseWriter, p AccessDeniedPage) {
	p.Title = "Access Denied"
	r.render(w, http.StatusForbidden, "access-denied", p)
}

// ToPortalPage sends the browser on to a portal after a sign-in form:
// a navigation of its own, which the form's form-action does not govern
// (see docs/OIDC.md).
type ToPortalPage struct {
	Layout
	Portal string
	URL    string // the portal's redirect URI with the code (or error), state and iss
}

// ToPortal renders the page that moves on to the portal at once.
func (r *Renderer) ToPortal(w http.ResponseWriter, p ToPortalPage) {
	p.Title = "Signing you in to " + p.Portal
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	r.render(w, http.StatusOK, "to-portal", p)
}
