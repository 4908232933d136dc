package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MethodChoice is a second factor the member may switch to.
type MethodChoice struct {
	Name, Label string
	Weak        bool // NIST SP 800-63B restricts it (email, SMS)
}

// MFAPage is the sign-in's second-factor step.
type MFAPage struct {
	Layout
	Method       string
	MethodLabel  string
	Instructions string
	CodeInput    bool
	CanResend    bool
	Script       string // JSON for the WebAuthn script, when that method is chosen
	Others       []MethodChoice
	RememberDays int // 0: "Remember me" is off in this organisation
	// An authenticator app being set up at sign-in: its key and QR code.
	SetupSecret string
	SetupQR     template.URL // a data: URL of the PNG, made here
}

// MFA renders the second-factor step.
func (r *Renderer) MFA(w http.ResponseWriter, status int, p MFAPage) {
	p.Title = "Confirm it's you"
	r.render(w, status, "mfa", p)
}

// CountryOption is one entry of a country selector.
type CountryOption struct {
	Region, Name string
	Code         int
	Selected     bool
}

// PhonePage asks for a mobile number and then for the code sent to it.
type PhonePage struct {
	Layout
	Action       string // where the forms post
	Countries    []CountryOption
	Number       string
	CodeSentTo   string // masked number once a code is on its way
	RememberDays int    // at sign-in: offer "Remember me"
	Cancel       string // where "Cancel" leads; empty for none
}

// Phone renders phone enrolment (at sign-in and in My Profile).
func (r *Renderer) Phone(w http.ResponseWriter, status int, p PhonePage) {
	p.Title = "Verify your mobile number"
	r.render(w, status, "phone", p)
}

// FactorView is one enrolled factor as the member sees it.
type FactorView struct {
	ID       int64
	Name     string
	Added    time.Time
	LastUsed time.Time
}

// DeviceView is one remembered browser.
type DeviceView struct {
	ID      int64
	Device  string
	Added   time.Time
	Expires time.Time
}

// SecurityPage is My Profile → Security.
type SecurityPage struct {
	Layout
	Required       bool
	Allowed        []MethodChoice
	Apps           []FactorView
	AllowsSMS      bool
	Phone          string // masked
	BackupLeft     int
	HasBackupCodes bool
	NewBackupCodes []string // shown once, right after generating
	Devices        []DeviceView
	// Enrolment of an authenticator app in progress.
	AppSecret     string
	AppQR         string // URL of the QR code image
	Keys          []FactorView
	KeysAvailable bool // the server's address allows WebAuthn
	// KeyOptions is the WebAuthn options of a key being added.
	KeyOptions string
}

// Offers reports whether the page offers to set up method: when the
// organisation requires a second step, only the methods it accepts; when
// it does not, any the member chooses for their own protection.
func (p SecurityPage) Offers(method string) bool {
	if !p.Required {
		return true
	}
	for _, m := range p.Allowed {
		if m.Name == method {
			return true
		}
	}
	return false
}

// Enrollable says the member can set up a method of their own here: an
// authenticator app, a security key or a phone (email codes need none).
func (p SecurityPage) Enrollable() bool {
	return p.Offers("totp") || (p.KeysAvailable && p.Offers("webauthn")) || p.AllowsSMS
}

// BackupCodesText is the new backup codes as a file's text.
func (p SecurityPage) BackupCodesText() string {
	return "IMS Login backup codes\nEach code works once.\n\n" + strings.Join(p.NewBackupCodes, "\n") + "\n"
}

// BackupCodesFile is the new backup codes as a data: URL to download.
func (p SecurityPage) BackupCodesFile() template.URL {
	return template.URL("data:text/plain;charset=utf-8," + url.PathEscape(p.BackupCodesText()))
}

// Security renders My Profile → Security.
func (r *Renderer) Security(w http.ResponseWriter, status int, p SecurityPage) {
	p.Title = "Security"
	r.render(w, status, "security", p)
}

// MFASection is the Multi-Factor Authentication section of Details.
type MFASection struct {
	Required     bool
	Methods      []Checkbox
	RememberDays string
	CanChange    bool
	Reason       string // why the section is read-only
	Errors       map[string]string
}
