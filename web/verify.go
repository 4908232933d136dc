package web

import "net/http"

// VerifyEmailPage is the "Verify your email" step of the sign-in.
type VerifyEmailPage struct {
	Layout
	Email        string // where the code went
	AttemptsLeft int    // wrong codes this sign-in may still take
}

// VerifyEmail renders the sign-in's email code step.
func (r *Renderer) VerifyEmail(w http.ResponseWriter, status int, p VerifyEmailPage) {
	p.Title = "Verify your email"
	r.render(w, status, "verify-email", p)
}

// EmailAddressPage is My Profile → Email Address.
type EmailAddressPage struct {
	Layout
	Email    string
	Verified bool
	// Pending is the address a code went to and waits for: a new address,
	// or the current one when the member asked to verify it.
	Pending  string
	NewEmail string // the new address as typed, shown again after an error
}

// EmailAddress renders My Profile → Email Address.
func (r *Renderer) EmailAddress(w http.ResponseWriter, status int, p EmailAddressPage) {
	p.Title = "Email Address"
	r.render(w, status, "email-address", p)
}

// StepPage is the page of a sign-in step. A step returns one as data; the
// sign-in flow renders it with Renderer.Step.
type StepPage interface {
	renderStep(r *Renderer, w http.ResponseWriter, status int)
}

// Step renders a sign-in step's page.
func (r *Renderer) Step(w http.ResponseWriter, status int, p StepPage) { p.renderStep(r, w, status) }

func (p VerifyEmailPage) renderStep(r *Renderer, w http.ResponseWriter, status int) {
	r.VerifyEmail(w, status, p)
}

func (p PhonePage) renderStep(r *Renderer, w http.ResponseWriter, status int) { r.Phone(w, status, p) }

func (p MFAPage) renderStep(r *Renderer, w http.ResponseWriter, status int) { r.MFA(w, status, p) }
