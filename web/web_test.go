package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
