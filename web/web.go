// Package web holds the server-rendered pages: embedded templates, one typed
// render function per page, and the stylesheet. Every template is parsed at
// start-up, so a missing or broken one stops the server before it serves.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/store"
)

//go:embed templates static
var files embed.FS

// Static serves the stylesheet and images under /static/.
func Static() http.Handler {
	sub, _ := fs.Sub(files, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}

// Renderer renders the pages.
type Renderer struct {
	pages map[string]*template.Template
	log   *slog.Logger
}

// pageNames lists every page; each is templates/NAME.html over layout.html,
// and may use the shared pieces in templates/partials.
var pageNames = []string{"login", "dashboard", "error", "forgot-password", "set-password", "change-password", "dev-mail",
	"reauth", "sessions", "verify-email", "email-address", "mfa", "phone", "security", "access-denied", "consent", "portals",
	"to-portal"}

// NewRenderer parses every page now, so a broken template fails start-up.
func NewRenderer(log *slog.Logger) (*Renderer, error) {
	funcs := template.FuncMap{
		"initials":    initials,
		"permission":  PermissionLabel,
		"permissions": permissionList,
		"event":       EventLabel,
		"device":      device,
		"sentence":    sentence,
		"secret":      func(id, label, value string) SecretView { return SecretView{ID: id, Label: label, Value: value} },
		"invalid":     invalid,
		"box":         func(id string, c Checkbox) CheckboxView { return CheckboxView{Checkbox: c, ID: id} },
		"fieldError": func(errs map[string]string, field string) FieldError {
			return FieldError{Field: field, Text: sentence(errs[field])}
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
	}
	r := &Renderer{pages: map[string]*template.Template{}, log: log}
	for _, name := range append(append(pageNames, adminPageNames...), loginServicePageNames...) {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials/*.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// render writes a page whole or not at all: it is built in memory first, so
// a template error never leaves half a page.
func (r *Renderer) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := r.pages[name].Execute(&buf, data); err != nil {
		r.log.Error("render page", "page", name, "err", err)
		http.Error(w, "The page could not be shown. Please try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// SecretView is a secret shown once, with a button to copy it.
type SecretView struct{ ID, Label, Value string }

// FieldError is the message beside a field; the field names it with
// aria-describedby="FIELD-error" and aria-invalid.
type FieldError struct{ Field, Text string }

// CheckboxView is a check box with its element ID.
type CheckboxView struct {
	Checkbox
	ID string
}

// invalid marks a field whose value was refused: aria-invalid, and
// aria-describedby naming its message (see the field-error template).
func invalid(errs map[string]string, field string) template.HTMLAttr {
	if errs[field] == "" {
		return ""
	}
	return template.HTMLAttr(` aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(field) + `-error"`)
}

// Layout is what every page's frame shows.
type Layout struct {
	Title  string
	Notice Notice
	// Member is who is signed in; nil on public pages (no profile menu).
	Member *MemberView
	// Brand is the URL name of the organisation whose branding a public
	// page shows (its own sign-in page); members' pages use theirs.
	Brand string
}

// BrandStylesheet is the organisation's branding for the page: its own
// sign-in page's, or the signed-in member's organisation's; "" for none.
func (l Layout) BrandStylesheet() string {
	switch {
	case l.Brand != "":
		return BrandStylesheetPath(l.Brand)
	case l.Member != nil && l.Member.URLName != "":
		return BrandStylesheetPath(l.Member.URLName)
	}
	return ""
}

// BrandStylesheetPath and BrandLogoPath are where an organisation's
// branding is served (internal/branding).
func BrandStylesheetPath(urlName string) string {
	return "/brand/" + url.PathEscape(urlName) + "/style.css"
}
func BrandLogoPath(urlName string) string { return "/brand/" + url.PathEscape(urlName) + "/logo.png" }

// MemberView is the signed-in member as the profile menu shows them.
type MemberView struct {
	URLName      string // the organisation's, for its branding
	Name         string
	Email        string
	Organisation string
	Role         string
	PictureURL   string // empty: the initials stand in
	Admin        bool   // holds any admin permission: the menu offers Admin Settings
}

// Notice is a message shown at the top of a page, or at the top of the
// form it concerns.
type Notice struct {
	Kind string // "success", "error", "warning" or "info"
	Text string
	// Detail, if any, is a second, plainer sentence under the text.
	Detail string
	// Items, if any, follow the text as a list; behind a disclosure named
	// Why when Why is set, so a short message stays short.
	Items []string
	Why   string
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Layout
	Organisation string
	// URLName is set on an organisation's own sign-in page: the
	// organisation is shown, not asked, and the form posts there.
	URLName    string
	Email      string
	RememberMe bool
	ReturnTo   string
	// RememberedOrganisation says the organisation was filled in from the
	// browser's last sign-in (see RememberOrganisation).
	RememberedOrganisation bool
	// Services are the organisation's login services, as buttons.
	Services []ServiceButton
}

// Focus names the field the cursor starts in: the first empty one, or the
// password after a failed attempt (the other fields are kept).
func (p LoginPage) Focus() string {
	switch {
	case p.Organisation == "" && p.URLName == "":
		return "organisation"
	case p.Email == "" || p.Notice.Kind != "error":
		return "email"
	}
	return "password"
}

// Action is where the sign-in form posts.
func (p LoginPage) Action() string {
	if p.URLName != "" {
		return OrganisationSignInPath(p.URLName)
	}
	return "/login"
}

// OrganisationSignInPath is the path of an organisation's own sign-in page.
func OrganisationSignInPath(urlName string) string { return "/o/" + url.PathEscape(urlName) + "/login" }

// Login renders the sign-in page.
func (r *Renderer) Login(w http.ResponseWriter, status int, p LoginPage) {
	if p.Title == "" {
		p.Title = "Sign in"
	}
	if p.Brand == "" {
		p.Brand = p.URLName
	}
	r.render(w, status, "login", p)
}

// DashboardPage is the landing page after sign-in.
type DashboardPage struct {
	Layout
	SignedInAt time.Time
	// EmailUnverified shows the banner that points to My Profile.
	EmailUnverified bool
	// SecondFactor says the member has set up a second factor (an
	// authenticator app, a security key or a phone).
	SecondFactor bool
	// Portals are the portals the member may open, each linking to its
	// home URL.
	Portals []Link
	// PortalsUnavailable says the portals could not be listed just now.
	PortalsUnavailable bool
	// Links are further pages other features add to the Dashboard.
	Links []Link
}

// Link is a titled link with a one-line description.
type Link struct {
	Title, Href, Description string
}

// Dashboard renders the Dashboard.
func (r *Renderer) Dashboard(w http.ResponseWriter, p DashboardPage) {
	p.Title = "Dashboard"
	r.render(w, http.StatusOK, "dashboard", p)
}

// ErrorPage explains why a request could not be served.
type ErrorPage struct {
	Layout
	Heading string
	Message string
}

// Error renders an error page with the given status.
func (r *Renderer) Error(w http.ResponseWriter, status int, p ErrorPage) {
	if p.Title == "" {
		p.Title = p.Heading
	}
	r.render(w, status, "error", p)
}

// NotFound renders the site's "Page not found" (404).
func (r *Renderer) NotFound(w http.ResponseWriter) {
	r.Error(w, http.StatusNotFound, ErrorPage{Heading: "Page not found",
		Message: "There is no page at this address. Check the link, or start again from the sign-in page."})
}

func initials(name string) string {
	var out []rune
	for _, word := range strings.Fields(name) {
		for _, c := range word {
			out = append(out, c)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// MemberViewOf is the profile menu's view of a signed-in member.
func MemberViewOf(si store.SignedIn) *MemberView {
	return &MemberView{URLName: si.Organisation.URLName, Name: si.Member.Name, Email: si.Member.Email, Organisation: si.Organisation.Name,
		Role: roleTitle(si.Member.Role), PictureURL: PictureURL(si.Member), Admin: access.OfSignedIn(si) != 0}
}

func roleTitle(r store.Role) string { return access.RoleTitle(r) }

// PictureURL is where a member's profile picture is served, with its
// version so a new picture is not hidden by a cached one; empty if none.
func PictureURL(m store.Member) string {
	if m.PictureAt.IsZero() {
		return ""
	}
	return fmt.Sprintf("/pictures/%d?v=%d", m.ID, m.PictureAt.UnixMilli())
}
