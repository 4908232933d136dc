package web

import (
	"net/http"
	"time"
)

// ReauthPage asks a signed-in member for their password again.
type ReauthPage struct {
	Layout
	ReturnTo string
}

// Reauth renders the re-authentication page.
func (r *Renderer) Reauth(w http.ResponseWriter, status int, p ReauthPage) {
	p.Title = "Confirm it's you"
	r.render(w, status, "reauth", p)
}

// SessionsPage is "Where you're signed in": the member's sessions.
type SessionsPage struct {
	Layout
	Sessions []SessionView
}

// SessionView is one signed-in browser as the member sees it.
type SessionView struct {
	ID           int64
	Device       string
	Address      string
	Started      time.Time
	LastSeen     time.Time
	Current      bool // the browser looking at the page
	KeptSignedIn bool
}

// Sessions renders the member's sessions.
func (r *Renderer) Sessions(w http.ResponseWriter, p SessionsPage) {
	p.Title = "Where you're signed in"
	r.render(w, http.StatusOK, "sessions", p)
}
