package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestEveryPageRendersAndEscapesMemberText(t *testing.T) {
	r, err := NewRenderer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	evil := `<script>alert(1)</script>`
	member := &MemberView{Name: evil, Email: "a@b.test", Organisation: evil, Role: "Owner"}
	dashboard := DashboardPage{Layout: Layout{Member: member}, Portals: []Link{{Title: evil, Href: "javascript:alert(1)"}}}
	pages := map[string]func(w http.ResponseWriter){
		"login":     func(w http.ResponseWriter) { r.Login(w, 200, LoginPage{Organisation: evil, Email: evil}) },
		"dashboard": func(w http.ResponseWriter) { r.Dashboard(w, dashboard) },
		"error":     func(w http.ResponseWriter) { r.Error(w, 404, ErrorPage{Layout: Layout{Member: member}, Heading: evil}) },
		"access-denied": func(w http.ResponseWriter) {
			r.AccessDenied(w, AccessDeniedPage{Email: evil, Organisation: evil, Portal: evil, Reason: evil, SwitchAction: "/o/acme/authorize/switch?id=x"})
		},
		"consent": func(w http.ResponseWriter) {
			r.Consent(w, ConsentPage{Layout: Layout{Member: member}, Portal: evil, Organisation: evil, Email: evil,
				Asked: []string{evil}, Granted: []string{evil}, Action: "/o/acme/authorize/consent?id=x"})
		},
		"portals": func(w http.ResponseWriter) {
			r.Portals(w, PortalsPage{Layout: Layout{Member: member}, Portals: []PortalUseView{{ClientID: evil, Name: evil,
				Consented: true, Receives: []string{evil}}}})
		},
		"to-portal": func(w http.ResponseWriter) {
			r.ToPortal(w, ToPortalPage{Portal: evil, URL: "https://wiki.acme.test/callback?code=a&state=" + evil})
		},
		"reauth": func(w http.ResponseWriter) {
			r.Reauth(w, 200, ReauthPage{Layout: Layout{Member: member}})
		},
		"mfa": func(w http.ResponseWriter) {
			r.MFA(w, 200, MFAPage{Layout: Layout{Member: member}, MethodLabel: evil, Instructions: evil, CodeInput: true,
				Others: []MethodChoice{{Name: "sms", Label: evil}}})
		},
		"phone": func(w http.ResponseWriter) {
			r.Phone(w, 200, PhonePage{Layout: Layout{Member: member}, Number: evil, CodeSentTo: evil,
				Countries: []CountryOption{{Region: "GB", Name: evil, Code: 44}}})
		},
		"security": func(w http.ResponseWriter) {
			r.Security(w, 200, SecurityPage{Layout: Layout{Member: member}, Apps: []FactorView{{Name: evil}},
				Devices: []DeviceView{{Device: evil}}, NewBackupCodes: []string{evil}})
		},
		"sessions": func(w http.ResponseWriter) {
			r.Sessions(w, SessionsPage{Layout: Layout{Member: member}, Sessions: []SessionView{{ID: 1, Device: evil, Address: evil}}})
		},
		"forgot-password": func(w http.ResponseWriter) {
			r.ForgotPassword(w, 200, ForgotPasswordPage{Organisation: evil, Email: evil})
		},
		"set-password": func(w http.ResponseWriter) {
			r.SetPassword(w, 400, SetPasswordPage{Heading: "Reset", Intro: evil, Token: evil, NewPassword: NewPassword{
				MinLength: 15, Strength: &StrengthView{Label: "Weak", Feedback: []string{evil}}}})
		},
		"change-password": func(w http.ResponseWriter) {
			r.ChangePassword(w, 200, ChangePasswordPage{Layout: Layout{Member: member}, NewPassword: NewPassword{MinLength: 15}})
		},
		"verify-email": func(w http.ResponseWriter) {
			r.VerifyEmail(w, 200, VerifyEmailPage{Layout: Layout{Notice: Notice{Kind: "error", Text: evil}}, Email: evil})
		},
		"email-address": func(w http.ResponseWriter) {
			r.EmailAddress(w, 200, EmailAddressPage{Layout: Layout{Member: member}, Email: evil, Pending: evil, NewEmail: evil})
		},
		"dev-mail": func(w http.ResponseWriter) {
			r.Mailbox(w, MailboxPage{Messages: []MailView{{Subject: evil, Text: evil, Links: []string{"javascript:alert(1)"}}}, Texts: []TextView{{Body: evil}}})
		},
	}
	if len(pages) != len(pageNames) {
		t.Fatalf("test covers %d pages, renderer has %d", len(pages), len(pageNames))
	}
	for name, render := range pages {
		w := httptest.NewRecorder()
		render(w)
		body := w.Body.String()
		if !strings.Contains(body, "</html>") {
			t.Errorf("%s: incomplete page", name)
		}
		if strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: member text is not escaped", name)
		}
		if strings.Contains(body, `href="javascript:`) {
			t.Errorf("%s: a javascript: link was rendered", name)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: pages must not be cached", name)
		}
	}
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{"Ana Lima": "AL", "ana": "A", "Élodie de la Tour": "ÉD", "": ""} {
		if got := initials(name); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
	}
}

func newTestRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := NewRenderer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func body(render func(w http.ResponseWriter)) string {
	w := httptest.NewRecorder()
	render(w)
	return w.Body.String()
}

// TestFailedSignInNoticeInsideTheCard: one short message inside the card,
// the causes behind "Why can this happen?", the cursor in the password field.
func TestFailedSignInNoticeInsideTheCard(t *testing.T) {
	r := newTestRenderer(t)
	notice := Notice{Kind: "error", Text: "We couldn't sign you in.", Why: "Why can this happen?", Items: []string{"the email address is misspelt"}}
	page := body(func(w http.ResponseWriter) {
		r.Login(w, 401, LoginPage{Layout: Layout{Notice: notice}, Organisation: "Acme", Email: "ana@acme.test"})
	})
	if n := strings.Count(page, "We couldn&#39;t sign you in."); n != 2 { // the notice, and the password's description
		t.Errorf("the message appears %d times, want once plus the field's description", n)
	}
	card := page[strings.Index(page, `<section class="card narrow">`):]
	if !strings.Contains(card, `<div class="notice notice-error" role="alert">`) {
		t.Error("the notice is not inside the card")
	}
	if !strings.Contains(page, "<details><summary>Why can this happen?</summary><ul><li>the email address is misspelt</li>") {
		t.Error("the causes are not behind the disclosure")
	}
	if !regexp.MustCompile(`id="password"[^>]*autofocus`).MatchString(page) || regexp.MustCompile(`id="email"[^>]*autofocus`).MatchString(page) {
		t.Error("the cursor does not start in the password field")
	}
}

// TestSecurityOffersOnlyAllowedMethods: when the organisation requires a
// second step the page sets up only the methods it accepts; it never says
// one thing and offers another, and speaks no standards to members.
func TestSecurityOffersOnlyAllowedMethods(t *testing.T) {
	r := newTestRenderer(t)
	emailOnly := body(func(w http.ResponseWriter) {
		r.Security(w, 200, SecurityPage{Required: true, Allowed: []MethodChoice{{Name: "email", Label: "Email code", Weak: true}}, KeysAvailable: true})
	})
	for _, unwanted := range []string{`action="/profile/security/totp"`, `action="/profile/security/webauthn"`, "NIST", "800-63"} {
		if strings.Contains(emailOnly, unwanted) {
			t.Errorf("with email codes only, the page has %s", unwanted)
		}
	}
	app := body(func(w http.ResponseWriter) {
		r.Security(w, 200, SecurityPage{Allowed: []MethodChoice{{Name: "totp", Label: "Authenticator app"}, {Name: "email", Label: "Email code", Weak: true}}})
	})
	if !strings.Contains(app, `action="/profile/security/totp"`) || strings.Contains(app, "NIST") {
		t.Error("with authenticator apps allowed, the page does not offer one, or cites NIST")
	}
	optional := body(func(w http.ResponseWriter) {
		r.Security(w, 200, SecurityPage{Allowed: []MethodChoice{{Name: "email", Label: "Email code", Weak: true}}, KeysAvailable: true})
	})
	if !strings.Contains(optional, `action="/profile/security/totp"`) || strings.Contains(optional, "accepts: Email code") {
		t.Error("without a required second step, the member may set up any method, and the page must not say only email codes are accepted")
	}
}

// TestAdminPagesSpeakPlainly: permissions, events and browsers are named as
// people say them, raw values on demand, and a refused field is marked.
func TestAdminPagesSpeakPlainly(t *testing.T) {
	r := newTestRenderer(t)
	roles := body(func(w http.ResponseWriter) {
		r.AdminRoles(w, 200, AdminRolesPage{Catalogue: []Checkbox{{Name: "permissions", Value: "members.read", Hint: "See team members, their roles"}}})
	})
	if !strings.Contains(roles, `<label for="new-members.read">See team members</label>`) || strings.Contains(roles, `>members.read<`) {
		t.Error("a permission is labelled with its code")
	}
	const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	audit := body(func(w http.ResponseWriter) {
		r.AdminAudit(w, 200, AdminAuditPage{Rows: []AuditRow{{Kind: EventLabel("mfa-change"), UserAgent: chrome}}})
	})
	for _, want := range []string{"Changed multi-factor authentication", "<summary>Chrome on Linux</summary>", chrome} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
	form := body(func(w http.ResponseWriter) {
		r.AdminNewMember(w, 422, AdminNewMemberPage{Errors: map[string]string{"name": "name must not be empty"}})
	})
	if !strings.Contains(form, `aria-invalid="true" aria-describedby="name-error"`) ||
		!strings.Contains(form, `<p class="field-error" id="name-error">Name must not be empty.</p>`) {
		t.Error("the refused field is not marked beside its sentence")
	}
}

// TestDashboardSaysWhereTheMemberStands: email, second factor and, for
// those with permissions, the way to Admin Settings.
func TestDashboardSaysWhereTheMemberStands(t *testing.T) {
	r := newTestRenderer(t)
	member := &MemberView{Name: "Bo", Email: "bo@acme.test", Organisation: "Acme"}
	plain := body(func(w http.ResponseWriter) {
		r.Dashboard(w, DashboardPage{Layout: Layout{Member: member}, EmailUnverified: true})
	})
	for _, want := range []string{"Not verified", `<a href="/profile/email">Verify it</a>`, "Not set up", `<a href="/profile/security">Set one up</a>`} {
		if !strings.Contains(plain, want) {
			t.Errorf("an unverified member without a second factor: the Dashboard lacks %s", want)
		}
	}
	if strings.Contains(plain, `<a href="/admin">Admin Settings</a></li>`) {
		t.Error("a member without permissions is offered Admin Settings")
	}
	admin := *member
	admin.Admin = true
	set := body(func(w http.ResponseWriter) {
		r.Dashboard(w, DashboardPage{Layout: Layout{Member: &admin}, SecondFactor: true})
	})
	if !strings.Contains(set, "Verified") || strings.Contains(set, "Not set up") || !strings.Contains(set, `<a href="/admin">Admin Settings</a></li>`) {
		t.Error("a verified administrator with a second factor is not told so")
	}
}

// TestPortalLifetimeErrorsMarkTheirFields: an error about a token lifetime
// marks the field it concerns (whose name differs from the portal field's:
// minutes, hours) and is read with it.
func TestPortalLifetimeErrorsMarkTheirFields(t *testing.T) {
	r := newTestRenderer(t)
	errs := map[string]string{"access_token_lifetime": "access token lifetime must be between 1 minute and 24 hours",
		"refresh_grace": "refresh grace must be at most 60 seconds"}
	page := body(func(w http.ResponseWriter) {
		r.AdminPortal(w, 422, AdminPortalPage{Form: PortalForm{Name: "Wiki", Errors: errs}})
	})
	for input, key := range map[string]string{"access_token_minutes": "access_token_lifetime", "refresh_grace_seconds": "refresh_grace"} {
		start := strings.Index(page, `<input id="`+input+`"`)
		if start < 0 {
			t.Fatalf("no %s field", input)
		}
		tag := page[start : start+strings.Index(page[start:], ">")]
		if !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, key+`-error`) {
			t.Errorf("%s is not marked invalid and described by its error: %s", input, tag)
		}
		if !strings.Contains(page, `id="`+key+`-error"`) {
			t.Errorf("no error element %s-error", key)
		}
	}
	if tag := page[strings.Index(page, `<input id="id_token_minutes"`):]; strings.Contains(tag[:strings.Index(tag, ">")], "aria-invalid") {
		t.Error("a field without an error is marked invalid")
	}
}

func TestPasswordErrorsShowBesideTheirFields(t *testing.T) {
	r := newTestRenderer(t)
	errs := PasswordErrors([]string{"your current password is not correct"},
		[]string{"use at least 15 characters (this has 5)", "do not include your email address"}, []string{"the two passwords do not match"})
	page := body(func(w http.ResponseWriter) {
		r.ChangePassword(w, 400, ChangePasswordPage{Layout: Layout{Member: &MemberView{Name: "Ana"}}, NewPassword: NewPassword{MinLength: 15, Errors: errs}})
	})
	for _, want := range []string{
		`aria-invalid="true" aria-describedby="current_password-error"`,
		`<p class="field-error" id="current_password-error">Your current password is not correct.</p>`,
		`aria-invalid="true" aria-describedby="password-error password-hint strength"`,
		`<p class="field-error" id="password-error">Use at least 15 characters (this has 5). Do not include your email address.</p>`,
		`aria-invalid="true" aria-describedby="password_confirm-error"`,
		`<p class="field-error" id="password_confirm-error">The two passwords do not match.</p>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	clean := body(func(w http.ResponseWriter) {
		r.SetPassword(w, 200, SetPasswordPage{Heading: "Reset", NewPassword: NewPassword{MinLength: 15}})
	})
	if strings.Contains(clean, "aria-invalid") || strings.Contains(clean, "field-error") {
		t.Error("a form with no problems marks a field as refused")
	}
	if PasswordErrors(nil, nil, nil) != nil {
		t.Error("no problems should give no errors")
	}
}

// TestChangePasswordFocusesTheFirstMarkedField: after a refusal the cursor
// starts in the first field marked, not always in the current password.
func TestChangePasswordFocusesTheFirstMarkedField(t *testing.T) {
	r := newTestRenderer(t)
	for _, c := range []struct {
		errs map[string]string
		want string
	}{
		{nil, "current_password"},
		{map[string]string{"current_password": "x", "password": "y"}, "current_password"},
		{map[string]string{"password_confirm": "The two passwords do not match."}, "password_confirm"},
		{map[string]string{"password": "Too short.", "password_confirm": "x"}, "password"},
	} {
		page := body(func(w http.ResponseWriter) {
			r.ChangePassword(w, 400, ChangePasswordPage{NewPassword: NewPassword{MinLength: 15, Errors: c.errs}})
		})
		if n := strings.Count(page, " autofocus"); n != 1 {
			t.Errorf("errors %v: %d fields take the focus, want one", c.errs, n)
			continue
		}
		start := strings.LastIndex(page[:strings.Index(page, " autofocus")], "<input")
		if tag := page[start:]; !strings.HasPrefix(tag, `<input id="`+c.want+`"`) {
			t.Errorf("errors %v: the focus starts in %.40s, want %s", c.errs, tag, c.want)
		}
	}
}
