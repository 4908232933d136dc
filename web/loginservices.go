package web

import "net/http"

// loginServicePageNames are the pages of login services and registration.
var loginServicePageNames = []string{"login-service-denied", "admin_login_services", "link-account", "link-error"}

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
}

// LoginServiceRow is one login service in the list, with its form.
type LoginServiceRow struct {
	ID          int64
	Form        LoginServiceForm
	RedirectURI string // to register at the login service
}

// LoginServiceForm is a login service's fields as entered.
type LoginServiceForm struct {
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
	adminFlashes["login-service-saved"] = Notice{Kind: "success", Text: "The login service is saved."}
	adminFlashes["login-service-deleted"] = Notice{Kind: "success",
		Text: "The login service is deleted. Members linked through it are not linked any more."}
	flashes["registration-complete"] = Notice{Kind: "success", Text: "Your account is set up and you are signed in."}
	flashes["registration-used"] = Notice{Kind: "info",
		Text: "This registration is already complete. Sign in with the account you set up."}
}
