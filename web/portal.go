package web

import "net/http"

// AccessDeniedPage tells a signed-in member that a portal is not open to
// them: which account they used, which portal, and what to do.
type AccessDeniedPage struct {
	Layout
	Email        string
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
