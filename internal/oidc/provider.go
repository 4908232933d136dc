// Package oidc makes every organisation an OpenID Connect provider for its
// portals, with github.com/zitadel/oidc/v3/pkg/op doing the protocol: one
// op.Provider serves every organisation, each request carrying its
// organisation (found by the URL name in /o/{url-name}/) on its context,
// and storage scoped to it. This package stores what the library leaves to
// storage, and joins the authorization request to IMS Login's sign-in.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/cookie"
	"imslogin/internal/secretbox"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// Organisations finds an organisation by its URL name.
type Organisations interface {
	OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error)
}

// Paths of the provider's own steps, under the issuer.
const (
	continuePath   = "/authorize/continue" // after the authorization request: find or ask for a sign-in
	switchPath     = "/authorize/switch"   // Access Denied's "Sign in with a different account"
	endSessionPath = "/end_session"        // RP-initiated logout (the library's default path)
	// afterForm marks a return to continuePath at the end of a chain of
	// redirects that began with a form (sign-in, reauthentication): the
	// last hop, to the portal, is then a page of its own (see pageHop).
	afterForm  = "&after=form"
	bindCookie = "ims_authorize" // binds authorization requests to the browser
)

// Deps are what the provider is built from.
type Deps struct {
	Orgs      Organisations
	Store     Store
	Portals   Portals
	Sessions  *session.Manager
	Keys      *Keys
	Box       *secretbox.Box // the server's secret key: derives the token and subject keys
	Pages     *web.Renderer
	Log       *slog.Logger
	Now       func() time.Time
	PublicURL string // without a trailing slash
	// SignInPath is the organisation's sign-in page, coming back to returnTo.
	SignInPath func(org store.Organisation, urlName, returnTo string) string
	// AccountName names the account of a sign-in through a login service
	// ("jdoe (NIH Network Login)") for Access Denied; "" or nil: the email.
	AccountName func(ctx context.Context, orgID, memberID int64, amr []string) (string, error)
}

// Provider serves /o/{url-name}/ for every organisation.
type Provider struct {
	d       Deps
	orgs    *orgCache
	portals *portalCache
	st      *storage
	op      *op.Provider
}

// New builds the provider.
func New(d Deps) (*Provider, error) {
	if d.SignInPath == nil {
		d.SignInPath = func(org store.Organisation, urlName, returnTo string) string {
			return web.OrganisationSignInPath(urlName) + "?return_to=" + url.QueryEscape(returnTo)
		}
	}
	insecure := strings.HasPrefix(d.PublicURL, "http://")
	portals := newPortalCache(d.Portals)
	st := &storage{store: d.Store, portals: portals, keys: d.Keys, subKey: d.Box.DeriveKey("oidc subjects"),
		insecure: insecure, now: d.Now, log: d.Log}
	cfg := &op.Config{
		CryptoKey:                [32]byte(d.Box.DeriveKey("oidc opaque tokens")),
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          Scopes,
		SupportedClaims:          append(append([]string{}, op.DefaultSupportedClaims...), "org", "roles", "sid"),
		DefaultLogoutRedirectURI: "/login",
	}
	opts := []op.Option{op.WithCrypto(newTokenCrypto(cfg.CryptoKey)), op.WithCORSOptions(&corsOptions)}
	if insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	issuer := func(bool) (op.IssuerFromRequest, error) {
		return func(r *http.Request) string { return tenantFrom(r.Context()).issuer }, nil
	}
	o, err := op.NewProvider(cfg, st, issuer, opts...)
	if err != nil {
		return nil, err
	}
	return &Provider{d: d, orgs: newOrgCache(d.Orgs), portals: portals, st: st, op: o}, nil
}

// PortalsChanged is called after a portal is registered, changed, deleted
// or given a new secret through this node: the change takes effect here
// at once.
func (p *Provider) PortalsChanged() { p.portals.forget() }

// corsOptions let browser apps on any origin call the provider's
// endpoints, never with the browser's credentials: the library's default
// echoes any Origin with Access-Control-Allow-Credentials. Every answer
// worth reading needs a code, a secret or a token the caller sends itself.
var corsOptions = cors.Options{
	AllowedOrigins: []string{"*"},
	AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost},
	AllowedHeaders: []string{"Origin", "Accept", "Accept-Language", "Authorization", "Content-Type", "X-Requested-With"},
	ExposedHeaders: []string{"Location", "Content-Length"},
}

// Logout is the session.Hook that ends sessions' tokens and queues the
// back-channel logout of their portals.
func (p *Provider) Logout() *Logout {
	return &Logout{Store: p.d.Store, Portals: p.d.Portals, Now: p.d.Now, Log: p.d.Log}
}

// LogoutWorker delivers the back-channel logouts queued by Logout.
func (p *Provider) LogoutWorker(orgs OrganisationsByID) *LogoutWorker {
	return &LogoutWorker{Store: p.d.Store, Orgs: orgs, Portals: p.d.Portals, Keys: p.d.Keys, Log: p.d.Log,
		Now: p.d.Now, PublicURL: p.d.PublicURL, opaque: p.st.opaque}
}

// Mount serves every organisation's issuer.
func (p *Provider) Mount(mux *http.ServeMux) { mux.Handle("/o/{org}/", p) }

// BypassPatterns are the endpoints portals' back ends and browser apps
// call from other origins without cookies: cross-origin protection, which
// guards cookie-authenticated forms, does not apply to them.
var BypassPatterns = []string{"/o/{org}/oauth/token", "/o/{org}/oauth/introspect", "/o/{org}/revoke", "/o/{org}/userinfo"}

// Issuer is an organisation's issuer URL.
func (p *Provider) Issuer(urlName string) string { return p.d.PublicURL + "/o/" + urlName }

func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	urlName := r.PathValue("org")
	org, err := p.orgs.OrganisationByURLName(r.Context(), urlName)
	if errors.Is(err, store.ErrNotFound) {
		p.d.Pages.Error(w, http.StatusNotFound, web.ErrorPage{Heading: "Page not found",
			Message: "There is no organisation at this address. Check the link you were given."})
		return
	}
	if err != nil {
		p.unavailable(w, err)
		return
	}
	t := &tenant{org: org, urlName: urlName, issuer: p.Issuer(urlName), r: r,
		signedOut: p.d.SignInPath(org, urlName, "/dashboard")}
	if raw := cookie.Value(r, bindCookie, p.d.Sessions.Secure()); raw != "" {
		t.browser = hashOf(raw)
	}
	t.endSession = func(sub, clientID string) { p.endSession(w, r, org, sub, clientID) }
	rest := strings.TrimPrefix(r.URL.Path, "/o/"+urlName)
	if rest == "/authorize" && r.ParseForm() == nil && r.Form.Has("request_uri") {
		t.requestURI = true
	}
	inner := r.Clone(withTenant(r.Context(), t))
	inner.URL.Path, inner.URL.RawPath = rest, ""
	if rest == continuePath {
		p.continueAuthorization(w, inner, t) // wraps w itself
		return
	}
	if rest == "/authorize" {
		p.bindBrowser(w, t)
		t.atOnce = true
		p.op.ServeHTTP(&answerAtOnce{direct: w, to: &issWriter{ResponseWriter: w, issuer: t.issuer, on: true},
			header: http.Header{}, p: p, r: inner, t: t}, inner)
		return
	}
	w = &issWriter{ResponseWriter: w, issuer: t.issuer, on: strings.HasPrefix(rest, "/authorize/")}
	switch rest {
	case endSessionPath:
		// The library answers a query it cannot parse with a 500 and the
		// parser's error; it is the request that is wrong.
		if r.ParseForm() != nil {
			p.d.Pages.Error(w, http.StatusBadRequest, web.ErrorPage{Heading: "Sign-out refused",
				Message: "This sign-out link is malformed. Sign out from your profile menu instead."})
			return
		}
		p.op.ServeHTTP(w, inner)
	case switchPath:
		p.switchAccount(w, inner, t)
	case consentPath:
		p.consentDecision(w, inner, t)
	case "/.well-known/openid-configuration":
		p.discovery(w, inner)
	default:
		p.op.ServeHTTP(w, inner)
	}
}

func (p *Provider) unavailable(w http.ResponseWriter, err error) {
	p.d.Log.Error("oidc", "err", err)
	p.d.Pages.Error(w, http.StatusServiceUnavailable, web.ErrorPage{Heading: "Service unavailable",
		Message: "The service is unavailable. Please try again shortly."})
}

// endSession signs the browser out if its session is sub's in org. Every
// other portal the session signed in to is told (back-channel logout);
// clientID, which asked, is not.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request, org store.Organisation, sub, clientID string) {
	si, err := p.d.Sessions.Current(r)
	if err != nil || si.Organisation.ID != org.ID || p.st.subject(org.ID, si.Member.ID) != sub {
		return
	}
	if err := p.d.Sessions.End(w, r.WithContext(withInitiator(r.Context(), clientID))); err != nil {
		p.d.Log.Error("oidc: end session", "err", err)
	}
}

// discovery adds what the library's document lacks: the authorization
// response carries iss (RFC 9207), and only query responses are made.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	p.op.ServeHTTP(rec, r)
	var doc map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
		copyResponse(w, rec)
		return
	}
	doc["authorization_response_iss_parameter_supported"] = true
	doc["response_modes_supported"] = []string{"query"}
	doc["code_challenge_methods_supported"] = []string{"S256"}
	doc["request_parameter_supported"] = false
	doc["request_uri_parameter_supported"] = false
	doc["acr_values_supported"] = []string{ACRPassword, ACRMultiFactor}
	doc["backchannel_logout_supported"] = true
	doc["backchannel_logout_session_supported"] = true
	body, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	w.Write(body)
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// answerAtOnce takes, within the authorization request, the step the
// library would redirect the browser to next (continuePath, with the
// request's ID): a browser whose session already answers the request gets
// the portal's code in one round trip and one write instead of two and
// three, and the request is stored only when the member must be asked
// something first. Every other answer of the library (an error) passes
// through to to unchanged.
type answerAtOnce struct {
	direct   http.ResponseWriter // the browser's, for our own answer
	to       http.ResponseWriter // the library's answers pass through here
	header   http.Header         // the library's headers, dropped if we answer
	p        *Provider
	r        *http.Request
	t        *tenant
	wrote    bool
	answered bool
}

func (w *answerAtOnce) Header() http.Header { return w.header }

func (w *answerAtOnce) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if w.t.pending != nil && status == http.StatusFound {
		w.answered = true
		w.p.decidePending(w.direct, w.r, w.t)
		return
	}
	maps.Copy(w.to.Header(), w.header)
	w.to.WriteHeader(status)
}

func (w *answerAtOnce) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.answered {
		return len(b), nil
	}
	return w.to.Write(b)
}

// issWriter adds iss (RFC 9207) to every authorization response a portal
// receives (with a code or an error): each organisation is its own issuer,
// so a portal using several can tell which answered.
type issWriter struct {
	http.ResponseWriter
	issuer string
	on     bool
}

func (w *issWriter) WriteHeader(status int) {
	if w.on && status >= 300 && status < 400 {
		if loc := w.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "/") {
			if u, err := url.Parse(loc); err == nil {
				q := u.Query()
				if q.Has("code") || q.Has("error") {
					q.Set("iss", w.issuer)
					u.RawQuery = q.Encode()
					w.Header().Set("Location", u.String())
				}
			}
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

// pageHop answers a redirect to another origin with a page that moves on
// to it, when on. Chrome applies the form-action of the page that posted
// a form to every redirect that follows it, so sign-in POST → 303 to
// continuePath → 302 to the portal would be refused by IMS Login's
// "form-action 'self'" (the CSP of the redirect's own response does not
// count). The page's meta refresh is a new navigation, not the form's.
type pageHop struct {
	http.ResponseWriter
	on     bool
	pages  *web.Renderer
	portal string
	done   bool
}

func (w *pageHop) WriteHeader(status int) {
	loc := w.Header().Get("Location")
	if w.on && status >= 300 && status < 400 && loc != "" && !strings.HasPrefix(loc, "/") {
		w.Header().Del("Location")
		w.Header().Del("Content-Type")
		w.pages.ToPortal(w.ResponseWriter, web.ToPortalPage{Portal: w.portal, URL: loc})
		w.done = true
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write drops the redirect's own body once the page is written.
func (w *pageHop) Write(b []byte) (int, error) {
	if w.done {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
