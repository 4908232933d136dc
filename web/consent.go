package web

import (
	"net/http"
	"time"
)

// ConsentPage asks a member to let a portal that is not first-party have
// their details: what it will receive, in plain words.
type ConsentPage struct {
	Layout
	Portal       string
	Organisation string
	Email        string
	Asked        []string // what the portal asks for now
	Granted      []string // what the member allowed it before
	Action       string   // where Allow and Deny post
}

// Consent renders the consent page.
func (r *Renderer) Consent(w http.ResponseWriter, p ConsentPage) {
	p.Title = "Allow " + p.Portal + "?"
	r.render(w, http.StatusOK, "consent", p)
}

// PortalsPage is My Profile → Portals: the portals the member has used.
type PortalsPage struct {
	Layout
	Portals []PortalUseView
}

// PortalUseView is one portal the member has signed in to.
type PortalUseView struct {
	ClientID    string
	Name        string
	LastUsed    time.Time
	Consented   bool // the member consented (a portal that is not first-party)
	ConsentedAt time.Time
	Receives    []string // in plain words
}

// Portals renders My Profile → Portals.
func (r *Renderer) Portals(w http.ResponseWriter, p PortalsPage) {
	p.Title = "Portals"
	r.render(w, http.StatusOK, "portals", p)
}
