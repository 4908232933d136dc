package web

import (
	"net/http"
	"strings"
	"time"
)

// NewPassword is what the new-password fields and the strength meter show.
type NewPassword struct {
	MinLength int
	// Strength is the meter's reading after a submission; nil before one.
	Strength *StrengthView
	// Errors are the sentences shown beside the fields a submission got
	// wrong, by field: "current_password", "password", "password_confirm".
	Errors map[string]string
}

// Focus names the field the cursor starts in after a refused submission:
// the first one marked, in the form's order; "" when none is.
func (p NewPassword) Focus() string {
	for _, field := range []string{"current_password", "password", "password_confirm"} {
		if p.Errors[field] != "" {
			return field
		}
	}
	return ""
}

// PasswordErrors words each field's problems (as the password package
// reports them) as sentences to show beside it; nil when there are none.
func PasswordErrors(current, newPassword, confirmation []string) map[string]string {
	errs := map[string]string{}
	for field, problems := range map[string][]string{"current_password": current, "password": newPassword, "password_confirm": confirmation} {
		var sentences []string
		for _, p := range problems {
			sentences = append(sentences, sentence(p))
		}
		if len(sentences) > 0 {
			errs[field] = strings.Join(sentences, " ")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// StrengthView is the strength meter's content.
type StrengthView struct {
	Score     int
	Label     string
	CrackTime string
	Feedback  []string
}

// ForgotPasswordPage asks for the organisation and email to send a reset to.
type ForgotPasswordPage struct {
	Layout
	Organisation string
	Email        string
}

// ForgotPassword renders the "Forgot password?" page.
func (r *Renderer) ForgotPassword(w http.ResponseWriter, status int, p ForgotPasswordPage) {
	p.Title = "Forgot password"
	r.render(w, status, "forgot-password", p)
}

// SetPasswordPage is the form an emailed link opens: accept an invitation
// or reset a forgotten password.
type SetPasswordPage struct {
	Layout
	NewPassword
	Heading, Intro string
	Action         string // where the form posts
	Token          string // the link's token, sent back with the form
	Email          string // the member's, for password managers
	Button         string
}

// Refuse marks the page with the policy's refusal of the new password: each
// problem beside its field, and the notice above. It reports false, and
// marks nothing, when there is no problem to show (the check itself failed).
func (p *SetPasswordPage) Refuse(newPassword, confirmation []string) bool {
	if newPassword == nil && confirmation == nil {
		return false
	}
	p.Errors = PasswordErrors(nil, newPassword, confirmation)
	p.Notice = Notice{Kind: "error", Text: "Please choose another password. Check the fields marked below."}
	return true
}

// SetPassword renders a set-password page.
func (r *Renderer) SetPassword(w http.ResponseWriter, status int, p SetPasswordPage) {
	p.Title = p.Heading
	r.render(w, status, "set-password", p)
}

// ChangePasswordPage is My Profile → Change Password.
type ChangePasswordPage struct {
	Layout
	NewPassword
}

// ChangePassword renders the change-password page.
func (r *Renderer) ChangePassword(w http.ResponseWriter, status int, p ChangePasswordPage) {
	p.Title = "Change password"
	r.render(w, status, "change-password", p)
}

// MailboxPage is the demo's development mailbox.
type MailboxPage struct {
	Layout
	Messages []MailView
	Texts    []TextView // the SMS outbox
}

// TextView is one text message in the development mailbox.
type TextView struct {
	To, Body, Status string
	CreatedAt        time.Time
}

// MailView is one message in the development mailbox.
type MailView struct {
	ID        int64
	To        string
	Subject   string
	Kind      string
	Status    string
	Attempts  int
	LastError string
	CreatedAt time.Time
	Text      string
	Links     []string
}

// Mailbox renders the development mailbox.
func (r *Renderer) Mailbox(w http.ResponseWriter, p MailboxPage) {
	p.Title = "Development mailbox"
	r.render(w, http.StatusOK, "dev-mail", p)
}
