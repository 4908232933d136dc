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
