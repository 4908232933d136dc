// Package demoportal is a small sample portal: a web application of an
// organisation that signs its members in through IMS Login's single
// sign-on with an ordinary relying-party library (go-oidc and oauth2), as
// any portal would. `ims demo` serves one beside the server, and the
// browser tests run two. It keeps its sign-ins in memory.
package demoportal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is how the portal is registered with IMS Login.
type Config struct {
	Name         string // shown on its pages
	Issuer       string // the organisation's issuer, {public URL}/o/{url-name}
	ClientID     string
	ClientSecret string // empty for a public portal (PKCE alone)
	URL          string // where the portal is served, without a trailing slash
}

// The portal's addresses, as they are registered.
func RedirectURI(base string) string   { return base + "/callback" }
func PostLogoutURI(base string) string { return base + "/signed-out" }
func HomeURL(base string) string       { return base + "/" }

// flowLifetime bounds a sign-in begun and not finished.
const flowLifetime = 10 * time.Minute

// App is the sample portal's HTTP handler.
type App struct {
	cfg     Config
	cookie  string // names the portal's cookies: portals on one host share cookies across ports
	mu      sync.Mutex
	rp      *relyingParty
	flows   map[string]flow      // by the flow cookie
	signins map[string]*Account  // by the session cookie
	ended   map[string]time.Time // session cookies whose sign-in IMS Login ended, and when
	now     func() time.Time
}

// flow is a sign-in under way: what the callback must find again.
type flow struct {
	state, nonce, verifier string
	started                time.Time
}

// Account is who is signed in, from the verified ID token.
type Account struct {
	Subject, Name, Email, Org string
	SessionID                 string // the ID token's sid: the IMS Login session, as back-channel logout names it
	Roles, AMR                []string
	AuthTime                  time.Time
	idToken                   string
}

// relyingParty is the provider's metadata, read once it answers.
type relyingParty struct {
	provider   *gooidc.Provider
	verifier   *gooidc.IDTokenVerifier
	oauth      *oauth2.Config
	endSession string
}

// New returns the portal; it reads the provider's discovery document at
// its first sign-in, so it may start before the provider does.
func New(cfg Config) *App {
	return &App{cfg: cfg, cookie: "portal_" + cfg.ClientID, flows: map[string]flow{}, signins: map[string]*Account{},
		ended: map[string]time.Time{}, now: time.Now}
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Sign-out is a form posted here that the browser follows to the
	// provider: form-action must allow the issuer's origin too.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' "+origin(a.cfg.Issuer))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		a.home(w, r, "")
	case r.URL.Path == "/signed-out" && r.Method == http.MethodGet:
		a.home(w, r, "You have signed out of "+a.cfg.Name+" and of IMS Login.")
	case r.URL.Path == "/login" && r.Method == http.MethodGet:
		a.login(w, r)
	case r.URL.Path == "/callback" && r.Method == http.MethodGet:
		a.callback(w, r)
	case r.URL.Path == "/logout" && r.Method == http.MethodPost:
		a.logout(w, r)
	case r.URL.Path == "/backchannel-logout" && r.Method == http.MethodPost:
		a.backchannelLogout(w, r)
	case r.URL.Path == "/style.css":
		h.Set("Content-Type", "text/css; charset=utf-8")
		h.Set("Cache-Control", "max-age=3600")
		w.Write(styleCSS)
	default:
		a.render(w, http.StatusNotFound, page{Error: "There is no page at this address."})
	}
}

// relyingParty discovers the provider once.
func (a *App) relyingParty(ctx context.Context) (*relyingParty, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rp != nil {
		return a.rp, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := gooidc.NewProvider(ctx, a.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, err
	}
	a.rp = &relyingParty{provider: p, verifier: p.Verifier(&gooidc.Config{ClientID: a.cfg.ClientID, Now: a.now}), endSession: meta.EndSession,
		oauth: &oauth2.Config{ClientID: a.cfg.ClientID, ClientSecret: a.cfg.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: RedirectURI(a.cfg.URL), Scopes: []string{gooidc.ScopeOpenID, "profile", "email", "roles"}}}
	return a.rp, nil
}

// login starts a sign-in: a fresh state, nonce and PKCE verifier, kept
// here and bound to this browser by a cookie, then off to IMS Login.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	rp, err := a.relyingParty(r.Context())
	if err != nil {
		a.render(w, http.StatusBadGateway, page{Error: "IMS Login does not answer: " + err.Error()})
		return
	}
	id := rand.Text()
	f := flow{state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier(), started: time.Now()}
	a.mu.Lock()
	a.forgetOldFlows(f.started)
	a.flows[id] = f
	a.mu.Unlock()
	a.setCookie(w, "_flow", id, int(flowLifetime.Seconds()))
	http.Redirect(w, r, rp.oauth.AuthCodeURL(f.state, gooidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)), http.StatusSeeOther)
}

func (a *App) forgetOldFlows(now time.Time) {
	for id, f := range a.flows {
		if now.Sub(f.started) > flowLifetime {
			delete(a.flows, id)
		}
	}
}

// callback checks the answer against the flow this browser began, redeems
// the code with the verifier and verifies the ID token and its nonce.
func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, ok := a.takeFlow(r)
	switch {
	case !ok || q.Get("state") != f.state:
		a.render(w, http.StatusBadRequest, page{Error: "This sign-in was not started here, or has expired. Sign in again."})
		return
	case q.Get("iss") != "" && q.Get("iss") != a.cfg.Issuer: // RFC 9207
		a.render(w, http.StatusBadRequest, page{Error: "The answer came from another issuer than " + a.cfg.Issuer + "."})
		return
	case q.Get("error") != "":
		a.render(w, http.StatusOK, page{Error: "IMS Login did not sign you in: " + q.Get("error") + " " + q.Get("error_description")})
		return
	}
	rp, err := a.relyingParty(r.Context())
	if err != nil {
		a.render(w, http.StatusBadGateway, page{Error: "IMS Login does not answer: " + err.Error()})
		return
	}
	acct, err := a.redeem(r.Context(), rp, q.Get("code"), f)
	if err != nil {
		a.render(w, http.StatusBadGateway, page{Error: "The sign-in could not be completed: " + err.Error()})
		return
	}
	id := rand.Text()
	a.mu.Lock()
	a.signins[id] = acct
	a.mu.Unlock()
	a.setCookie(w, "_flow", "", -1)
	a.setCookie(w, "", id, 0)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) takeFlow(r *http.Request) (flow, bool) {
	c, err := r.Cookie(a.cookie + "_flow")
	if err != nil {
		return flow{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, ok := a.flows[c.Value]
	delete(a.flows, c.Value) // one answer per flow
	return f, ok && time.Since(f.started) <= flowLifetime
}

func (a *App) redeem(ctx context.Context, rp *relyingParty, code string, f flow) (*Account, error) {
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("no ID token in the answer")
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if idt.Nonce != f.nonce {
		return nil, errors.New("the ID token's nonce is not this sign-in's")
	}
	var c struct {
		Name     string   `json:"name"`
		Email    string   `json:"email"`
		Org      string   `json:"org"`
		Roles    []string `json:"roles"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
		Sid      string   `json:"sid"`
	}
	if err := idt.Claims(&c); err != nil {
		return nil, err
	}
	return &Account{Subject: idt.Subject, Name: c.Name, Email: c.Email, Org: c.Org, Roles: c.Roles, AMR: c.AMR,
		AuthTime: time.Unix(c.AuthTime, 0), SessionID: c.Sid, idToken: raw}, nil
}

// logout ends the portal's own sign-in, then sends the browser to IMS
// Login's end_session (RP-initiated logout) with the ID token as the hint,
// which ends the IMS Login session and comes back to /signed-out.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	acct, id := a.current(r)
	if acct == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.mu.Lock()
	delete(a.signins, id)
	a.mu.Unlock()
	a.setCookie(w, "", "", -1)
	rp, err := a.relyingParty(r.Context())
	if err != nil || rp.endSession == "" {
		a.render(w, http.StatusBadGateway, page{Error: "You have signed out of " + a.cfg.Name + ", but IMS Login could not be told."})
		return
	}
	v := url.Values{"id_token_hint": {acct.idToken}, "post_logout_redirect_uri": {PostLogoutURI(a.cfg.URL)}, "client_id": {a.cfg.ClientID}}
	http.Redirect(w, r, rp.endSession+"?"+v.Encode(), http.StatusSeeOther)
}

// current is the browser's sign-in here, if any.
func (a *App) current(r *http.Request) (*Account, string) {
	c, err := r.Cookie(a.cookie)
	if err != nil {
		return nil, ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.signins[c.Value], c.Value
}

func (a *App) setCookie(w http.ResponseWriter, suffix, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: a.cookie + suffix, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: strings.HasPrefix(a.cfg.URL, "https://"), SameSite: http.SameSiteLaxMode})
}

// origin is scheme://host of a URL, for the Content-Security-Policy.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s://%s", u.Scheme, u.Host)
}
