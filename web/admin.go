package web

import (
	"net/http"
	"time"
)

// adminPageNames are the Admin Settings and My Profile pages.
var adminPageNames = []string{"admin_members", "admin_member", "admin_member_new", "admin_roles", "admin_settings",
	"admin_audit", "admin_tokens", "profile", "admin_portals", "admin_portal", "admin_portal_delete", "admin_branding"}

// adminFlashes are the confirmations of admin and My Profile actions,
// shown after the redirect that follows each form; their keys all start
// with "admin-" so they never collide with the others.
var adminFlashes = map[string]Notice{
	"admin-member-added":      {Kind: "success", Text: "The team member has been added and the invitation email is on its way."},
	"admin-member-saved":      {Kind: "success", Text: "The team member's access has been saved."},
	"admin-disable":           {Kind: "success", Text: "The team member has been disabled and signed out everywhere."},
	"admin-enable":            {Kind: "success", Text: "The team member has been re-enabled."},
	"admin-unlock":            {Kind: "success", Text: "The team member has been unlocked and can sign in again."},
	"admin-signout":           {Kind: "success", Text: "The team member has been signed out everywhere."},
	"admin-password-reset":    {Kind: "success", Text: "A password reset email has been sent to the team member."},
	"admin-resend-invitation": {Kind: "success", Text: "A new invitation has been sent; earlier invitation links no longer work."},
	"admin-role-created":      {Kind: "success", Text: "The role has been created."},
	"admin-role-saved":        {Kind: "success", Text: "The role has been saved."},
	"admin-role-deleted":      {Kind: "success", Text: "The role has been deleted."},
	"admin-settings-saved":    {Kind: "success", Text: "The settings have been saved."},
	"admin-token-revoked":     {Kind: "success", Text: "The API token has been revoked and no longer works."},
	"admin-portal-saved":      {Kind: "success", Text: "The portal has been saved."},
	"admin-portal-deleted":    {Kind: "success", Text: "The portal has been deleted: its client ID and secrets no longer work."},
	"admin-profile-saved":     {Kind: "success", Text: "Your profile has been saved."},
	"admin-picture-saved":     {Kind: "success", Text: "Your profile picture has been updated."},
}

// AdminNav is the Admin Settings tab bar: only the sections the member may open.
type AdminNav struct {
	Current                                          string
	Members, Roles, Settings, Audit, Tokens, Portals bool
	Users                                            bool // Users of portals (portals.register)
}

// Option is a choice in a select list.
type Option struct {
	Value, Label string
	Selected     bool
}

// Checkbox is one permission or setting check box.
type Checkbox struct {
	Name, Value, Label, Hint string
	Checked, Disabled        bool
}

// MemberRowView is one row of Team Members.
type MemberRowView struct {
	ID                   int64
	Name, Email          string
	Verified             bool
	Role                 string
	DataAccess, Licensed bool
	MFA                  string
	Status               string // invited, active, locked or disabled
	LastSignIn           time.Time
	PictureURL           string
}

// SortLink is a column heading that sorts the list.
type SortLink struct {
	Label, Href string
	Sorted      string // "ascending", "descending" or "" (for aria-sort)
}

// AdminMembersPage is Team Members.
type AdminMembersPage struct {
	Layout
	Nav              AdminNav
	Search           string
	Columns          []SortLink
	Rows             []MemberRowView
	Total            int
	TotalCapped      bool // more than Total match
	PrevURL, NextURL string
	Used, Licences   int
	CanAdd           bool
}

// AdminMemberPage is one team member: access form and actions.
type AdminMemberPage struct {
	Layout
	Nav         AdminNav
	Target      MemberRowView
	AboutMe     string
	Roles       []Option
	Permissions []Checkbox
	Licensed    bool
	DataAccess  bool
	// What the viewer may do.
	CanWrite, CanSecurity, CanDataAccess bool
	Invited, Disabled, Locked            bool
	LockedUntil                          time.Time
	Errors                               map[string]string
}

// AdminNewMemberPage is the form that adds a team member.
type AdminNewMemberPage struct {
	Layout
	Nav                  AdminNav
	Email, Name          string
	Roles                []Option
	Licensed, DataAccess bool
	CanDataAccess        bool
	Used, Licences       int
	Errors               map[string]string
}

// RoleView is a role on Roles & Permissions.
type RoleView struct {
	ID          int64
	Name        string
	Builtin     bool
	Summary     []string // a built-in role's permissions
	Permissions []Checkbox
}

// AdminRolesPage is Roles & Permissions.
type AdminRolesPage struct {
	Layout
	Nav       AdminNav
	Catalogue []Checkbox // the permission catalogue, for reference and the new-role form
	Roles     []RoleView
	NewName   string
	Errors    map[string]string
	ErrorRole int64 // the role whose form Errors belong to; 0 for the new-role form
}

// SettingField is one field of Details.
type SettingField struct {
	Name, Label, Value, Hint, Unit, Error string
	Min, Max                              int
	Number                                bool
}

// AdminSettingsPage is Details.
type AdminSettingsPage struct {
	Layout
	Nav           AdminNav
	Groups        []SettingGroup
	Notifications []Checkbox
	// RequireVerifiedEmail is the email verification setting.
	RequireVerifiedEmail Checkbox
	CanWrite             bool
	Used, Licences       int
	// URLName and the address of the organisation's own sign-in page are
	// shown, not edited: operators set the URL name.
	URLName, SignInPage string
	MFA                 MFASection
	// Section is the part of Details shown: "" (organisation and
	// policies, one form) or "mfa" (Multi-Factor Authentication, its own).
	Section string
}

// SettingGroup is a titled group of fields.
type SettingGroup struct {
	Title  string
	Fields []SettingField
}

// AuditRow is one audit log entry.
type AuditRow struct {
	At                                     time.Time
	Kind, Email, Actor, Address, UserAgent string
	Detail                                 string
}

// ChartBar is one bar of the activity chart, in SVG units.
type ChartBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// ChartLabel is a piece of text on the chart.
type ChartLabel struct {
	X, Y int
	Text string
	End  bool // X is where the text ends, not where it starts
}

// ActivityChart is the server-drawn SVG of sign-ins, failures and lockouts.
type ActivityChart struct {
	Width, Height int
	Bars          []ChartBar
	Labels        []ChartLabel
	Legend        []Option // Value is the CSS class, Label the series name
	Summary       string   // the chart in words, for screen readers
}

// AdminAuditPage is the audit log.
type AdminAuditPage struct {
	Layout
	Nav                 AdminNav
	Email, Since, Until string
	Kinds               []Option
	Rows                []AuditRow
	Chart               ActivityChart
	Errors              map[string]string
}

// TokenView is an API token in the list.
type TokenView struct {
	ID                    int64
	Name, Permissions     string
	CreatedBy             string
	CreatedAt, LastUsedAt time.Time
}

// AdminTokensPage lists API tokens and creates them.
type AdminTokensPage struct {
	Layout
	Nav         AdminNav
	Tokens      []TokenView
	Permissions []Checkbox
	Name        string
	NewToken    string // shown once, right after creation
	Errors      map[string]string
}

// ProfilePage is My Profile.
type ProfilePage struct {
	Layout
	Name, AboutMe, Email, Role, Organisation string
	PictureURL                               string
	Errors                                   map[string]string
}

func (r *Renderer) page(w http.ResponseWriter, status int, name, title string, l *Layout, data any) {
	if l.Title == "" {
		l.Title = title
	}
	r.render(w, status, name, data)
}

// AdminMembers renders Team Members.
func (r *Renderer) AdminMembers(w http.ResponseWriter, p AdminMembersPage) {
	r.page(w, http.StatusOK, "admin_members", "Team Members", &p.Layout, p)
}

// AdminMember renders one team member.
func (r *Renderer) AdminMember(w http.ResponseWriter, status int, p AdminMemberPage) {
	r.page(w, status, "admin_member", p.Target.Name, &p.Layout, p)
}

// AdminNewMember renders the add-a-member form.
func (r *Renderer) AdminNewMember(w http.ResponseWriter, status int, p AdminNewMemberPage) {
	r.page(w, status, "admin_member_new", "Add a team member", &p.Layout, p)
}

// AdminRoles renders Roles & Permissions.
func (r *Renderer) AdminRoles(w http.ResponseWriter, status int, p AdminRolesPage) {
	r.page(w, status, "admin_roles", "Roles & Permissions", &p.Layout, p)
}

// AdminSettings renders Details.
func (r *Renderer) AdminSettings(w http.ResponseWriter, status int, p AdminSettingsPage) {
	r.page(w, status, "admin_settings", "Details", &p.Layout, p)
}

// AdminAudit renders the audit log.
func (r *Renderer) AdminAudit(w http.ResponseWriter, status int, p AdminAuditPage) {
	r.page(w, status, "admin_audit", "Audit log", &p.Layout, p)
}

// AdminTokens renders API tokens.
func (r *Renderer) AdminTokens(w http.ResponseWriter, status int, p AdminTokensPage) {
	r.page(w, status, "admin_tokens", "API tokens", &p.Layout, p)
}

// Profile renders My Profile.
func (r *Renderer) Profile(w http.ResponseWriter, status int, p ProfilePage) {
	r.page(w, status, "profile", "My Profile", &p.Layout, p)
}

// AdminBrandingPage is Details → Branding: the organisation's accent
// colour and logo.
type AdminBrandingPage struct {
	Layout
	Nav      AdminNav
	Custom   bool   // an accent colour of the organisation's own
	Accent   string // "#rrggbb" as saved or typed
	LogoURL  string // the current logo; empty for none
	CanWrite bool
	Errors   map[string]string
}

// AccentValue is what the colour picker starts at.
func (p AdminBrandingPage) AccentValue() string {
	if p.Accent == "" {
		return "#0b5cad"
	}
	return p.Accent
}

// AdminBranding renders Details → Branding.
func (r *Renderer) AdminBranding(w http.ResponseWriter, status int, p AdminBrandingPage) {
	r.page(w, status, "admin_branding", "Branding", &p.Layout, p)
}
