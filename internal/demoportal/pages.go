package demoportal

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strings"
)

//go:embed page.html
var pageHTML string

//go:embed style.css
var styleCSS []byte

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"join": strings.Join, "methods": methods}).Parse(pageHTML))

// amrWords say the authentication methods (RFC 8176) in words.
var amrWords = map[string]string{"pwd": "password", "otp": "one-time code", "mfa": "multi-factor", "hwk": "security key",
	"swk": "passkey", "sms": "text message", "mail": "email code", "user": "user presence"}

// methods is the ID token's amr for people: "password (pwd), one-time code (otp)".
func methods(amr []string) string {
	out := make([]string, len(amr))
	for i, m := range amr {
		out[i] = m
		if w := amrWords[m]; w != "" {
			out[i] = w + " (" + m + ")"
		}
	}
	return strings.Join(out, ", ")
}

// page is what the portal's one template shows.
type page struct {
	Name      string
	Dashboard string // IMS Login's Dashboard, where the organisation's portals are listed
	Account   *Account
	Notice    string
	Error     string
}

// home shows who is signed in, or the way to sign in.
func (a *App) home(w http.ResponseWriter, r *http.Request, notice string) {
	acct, _ := a.current(r)
	if acct == nil && a.wasEnded(r) {
		notice = "You were signed out of " + a.cfg.Name + ": your IMS Login session ended."
		a.setCookie(w, "", "", -1)
	}
	a.render(w, http.StatusOK, page{Account: acct, Notice: notice})
}

func (a *App) render(w http.ResponseWriter, status int, p page) {
	p.Name = a.cfg.Name
	p.Dashboard = origin(a.cfg.Issuer) + "/dashboard"
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
