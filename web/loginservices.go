package web

import "net/http"

// loginServicePageNames are the pages of login services and registration.
var loginServicePageNames = []string{"login-service-denied", "admin_login_services", "link-account", "link-error",
	"admin_portal_users", "admin_portals_users"}

// ServiceButton is a login service offered on a sign-in page.
type ServiceButton struct {
	Name string
	Href string
}

// LoginServiceDeniedPage tells someone who signed in through a login service
// that their account is linked to no member: which account, which service,
// and Step 2 of the registration email.
type LoginServiceDeniedPage struct {
	Layout
	Username     string
	Service      string
	Organisation string
	SignInURL    string
}

// LoginServiceDenied renders "Access Denied" (HTTP 403).
func (r *Renderer) LoginServiceDenied(w http.ResponseWriter, p LoginServiceDeniedPage) {
	p.Title = "Access Denied"
	w.Header().Set("Cache-Control", "no-store")
	r.render(w, http.StatusForbidden, "login-service-denied", p)
}

// AdminLoginServicesPage is Admin Settings → Login services.
type AdminLoginServicesPage struct {
	Layout
	Nav      AdminNav
	Services []LoginServiceRow
	Form     LoginServiceForm
	Errors   map[string]string
	CanWrite bool
	// ExternalMFA: members who sign in through a login service still pass
	// the organisation's own MFA.
	ExternalMFA bool
}

// LoginServiceRow is one login service in the list, with its form.
type LoginServiceRow struct {
	ID          int64
	Form        LoginServiceForm
	RedirectURI string // to register at the login service
}

// LoginServiceForm is a login service's fields as entered.
type LoginServiceForm struct {
	Prefix        string // of the fields' IDs, unique on the page
	Name          string
	Issuer        string
	ClientID      string
	Scopes        string
	UsernameClaim string
	Enabled       bool
}

// AdminLoginServices renders the login services page.
func (r *Renderer) AdminLoginServices(w http.ResponseWriter, status int, p AdminLoginServicesPage) {
	p.Title = "Login services"
	r.render(w, status, "admin_login_services", p)
}

// LinkAccountPage is Step 2 of a registration email: the login services a
// member may link, and IMS Login Service.
type LinkAccountPage struct {
	Layout
	Organisation string
	Name         string
	Expires      string
	Services     []ServiceButton
	PasswordHref string // Step 1: create an IMS Login Service account
}

// LinkAccount renders "Link an account".
func (r *Renderer) LinkAccount(w http.ResponseWriter, p LinkAccountPage) {
	p.Title = "Link an account"
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	r.render(w, http.StatusOK, "link-account", p)
}

// LinkErrorPage is "Error linking your account", with its cause.
type LinkErrorPage struct {
	Layout
	Cause  string // "expired", "altered" or "used"
	Detail string
}

// LinkError renders "Error linking your account".
func (r *Renderer) LinkError(w http.ResponseWriter, status int, p LinkErrorPage) {
	p.Title = "Error linking your account"
	w.Header().Set("Cache-Control", "no-store")
	r.render(w, status, "link-error", p)
}

// The notices of the login service and registration pages join the admin
// ones, so TakeFlash finds them.
func init() {
	adminFlashes["login-service-settings-saved"] = Notice{Kind: "success", Text: "The login service settings are saved."}
	adminFlashes["login-service-saved"] = Notice{Kind: "success", Text: "The login service is saved."}
	adminFlashes["login-service-deleted"] = Notice{Kind: "success",
		Text: "The login service is deleted. Members linked through it are not linked any more."}
	adminFlashes["registration-sent"] = Notice{Kind: "success", Text: "The person is registered and the registration email is on its way."}
	adminFlashes["portal-users-saved"] = Notice{Kind: "success", Text: "Saved: the new registration emails are on their way and the counts checked start again."}
	adminFlashes["portal-users-unchanged"] = Notice{Kind: "info", Text: "Nothing was checked, so nothing changed."}
	flashes["registration-complete"] = Notice{Kind: "success", Text: "Your account is set up and you are signed in."}
	flashes["registration-used"] = Notice{Kind: "info",
		Text: "This registration is already complete. Sign in with the account you set up."}
}

// PortalUsersPage is Admin Settings → Portals → Users: the members a
// portal admits, the account each signs in with, and registration.
type PortalUsersPage struct {
	Layout
	Nav      AdminNav
	PortalID int64
	Portal   string
	Users    []PortalUserRow
	// The register form, as typed, and its refusals.
	Register RegisterForm
	Errors   map[string]string
	// RemovalDays is the organisation's "days until account removal".
	RemovalDays int
	// After is the member this page starts after (0: the first page);
	// Next links the following page, empty on the last; Paged: not the
	// first page.
	After int64
	Next  string
	Paged bool
}

// PortalUserRow is one member on the Users page.
type PortalUserRow struct {
	ID       int64
	Name     string
	Email    string
	Role     string
	Status   string
	Account  string // "jdoe (NIH Network Login)"; empty: not linked
	DaysLeft int    // for a registered, unlinked member
	// Registered: the member came through a registration email, so the
	// days until removal count (and can be reset).
	Registered bool
	Expires    string // when the last registration email's link expires
}

// RegisterForm is the "Register a person" form as typed.
type RegisterForm struct {
	Name, Email, Role string
}

// PortalUsers renders the Users page.
func (r *Renderer) PortalUsers(w http.ResponseWriter, status int, p PortalUsersPage) {
	p.Title = "Users of " + p.Portal
	r.render(w, status, "admin_portal_users", p)
}

// PortalsForUsersPage lists the portals, each leading to its Users page.
type PortalsForUsersPage struct {
	Layout
	Nav     AdminNav
	Portals []Link
}

// PortalsForUsers renders the list.
func (r *Renderer) PortalsForUsers(w http.ResponseWriter, p PortalsForUsersPage) {
	p.Title = "Users of portals"
	r.render(w, http.StatusOK, "admin_portals_users", p)
}
