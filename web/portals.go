package web

import (
	"net/http"
	"time"
)

// PortalRowView is a portal in Admin Settings → Portals.
type PortalRowView struct {
	ID                int64
	Name, ClientID    string
	Type              string // "Confidential" or "Public"
	FirstParty        bool
	Access            string // who may use it, in words
	HomeURL           string
	RedirectURIs      []string
	UpdatedAt         time.Time
	SigningAlgorithm  string
	AccessTokenWords  string
	RefreshTokenWords string
	PKCE              string // "PKCE required" or "PKCE optional"
	Scopes            []string
}

// AdminPortalsPage lists the organisation's portals.
type AdminPortalsPage struct {
	Layout
	Nav     AdminNav
	Issuer  string
	Portals []PortalRowView
}

// PortalForm is the portal form's fields, as typed.
type PortalForm struct {
	Name                   string
	RedirectURIs           string // one a line
	PostLogoutRedirectURIs string // one a line
	BackchannelLogoutURI   string
	HomeURL                string
	Confidential           bool
	FirstParty             bool
	Access                 string // all, roles or members
	Roles                  []Checkbox
	Members                string // email addresses, one a line
	AccessTokenMinutes     string
	IDTokenMinutes         string
	RefreshTokenHours      string
	RefreshGraceSeconds    string
	SigningAlgorithm       string
	RequirePKCE            bool
	// Scopes are the scopes the portal may be allowed, each with what it
	// gives in plain words (Hint); openid is always allowed (Disabled).
	Scopes []Checkbox
	// Errors are keyed by the portal's field names (name, redirect_uris,
	// access_token_lifetime, …); "" holds a message about the whole form.
	Errors map[string]string
}

// PortalCredentials are what a portal is configured with; Secret is shown
// once, right after it is made.
type PortalCredentials struct {
	ClientID, Secret, Issuer string
	OldSecretUntil           time.Time // the previous secret still works until then; zero: it stopped
	Rotated                  bool
}

// AdminPortalPage registers a portal (ID 0) or shows and edits one.
type AdminPortalPage struct {
	Layout
	Nav          AdminNav
	ID           int64
	Form         PortalForm
	Credentials  PortalCredentials
	Confidential bool // as stored: rotation is offered
	CreatedAt    time.Time
	UpdatedAt    time.Time
	OverlapHours string
	Usage        *PortalUsage // a stored portal's members; nil on the form for a new one
}

// PortalUsage is how many members use a portal.
type PortalUsage struct {
	Consented  int64
	Holding    int64
	FirstParty bool
}

// AdminPortalDeletePage asks before a portal is deleted.
type AdminPortalDeletePage struct {
	Layout
	Nav            AdminNav
	ID             int64
	Name, ClientID string
}

// AdminPortals renders Admin Settings → Portals.
func (r *Renderer) AdminPortals(w http.ResponseWriter, p AdminPortalsPage) {
	r.page(w, http.StatusOK, "admin_portals", "Portals", &p.Layout, p)
}

// AdminPortal renders the portal form.
func (r *Renderer) AdminPortal(w http.ResponseWriter, status int, p AdminPortalPage) {
	title := "Register a portal"
	if p.ID != 0 {
		title = p.Form.Name
	}
	r.page(w, status, "admin_portal", title, &p.Layout, p)
}

// AdminPortalDelete renders the confirmation of a portal's deletion.
func (r *Renderer) AdminPortalDelete(w http.ResponseWriter, p AdminPortalDeletePage) {
	r.page(w, http.StatusOK, "admin_portal_delete", "Delete "+p.Name, &p.Layout, p)
}
