package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"imslogin/internal/admin"
	"imslogin/internal/branding"
	"imslogin/internal/dashboard"
	"imslogin/internal/emailverify"
	"imslogin/internal/membership"
	"imslogin/internal/mfa"
	"imslogin/internal/mfa/backup"
	"imslogin/internal/mfa/code"
	"imslogin/internal/mfa/step"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/mfa/trusted"
	mfawebauthn "imslogin/internal/mfa/webauthn"
	"imslogin/internal/oidc"
	"imslogin/internal/otpcode"
	"imslogin/internal/portal"
	"imslogin/internal/profile"
	"imslogin/internal/recovery"
	"imslogin/internal/session"
	"imslogin/internal/signin"
	"imslogin/internal/throttle"
	"imslogin/web"
)

// routeGroups are the site's route groups, each mounting its own routes;
// the deployment's extra ones (the demo's mailbox) come last.
func (p *parts) routeGroups() ([]Mounter, error) {
	codeKey := otpcode.KeyFrom(p.opts.Secrets.Box())
	codes := &otpcode.Issuer{Key: codeKey, Now: p.opts.Now}
	backupCodes := &backup.Method{Store: p.db, Key: backup.KeyFrom(p.opts.Secrets.Box())}
	keys, err := mfawebauthn.New(p.db, p.cfg.PublicBaseURL())
	if err != nil {
		return nil, err
	}
	provider, err := p.oidcProvider(p.portalRegistry())
	if err != nil {
		return nil, err
	}
	// Every sign-out ends the tokens issued from its sessions and tells
	// their portals: set before anything can end a session.
	ended := provider.Logout()
	p.sessions.SetHook(ended)
	p.logouts = provider.LogoutWorker(p.db)
	methods := mfa.NewRegistry(&code.Email{Store: p.db, Key: codeKey, Logos: p.links.LogoURL}, &code.SMS{Store: p.db, Key: codeKey}, &totp.Method{Store: p.db, Secrets: p.opts.Secrets},
		keys, backupCodes)
	adminService := &admin.Service{Store: p.db, Links: p.links, Lockout: p.guard, Now: p.opts.Now, Ended: ended,
		Members: &membership.Service{Store: p.db, Hasher: p.hasher, Now: p.opts.Now, Invitations: p.links}}
	p.portals = &portal.Service{Store: p.db, PublicURL: p.cfg.PublicBaseURL(), Now: p.opts.Now, Changed: provider.PortalsChanged}
	signIn := p.signIn(p.signInSteps(codes, methods))
	loginServices := p.loginServices(signIn)
	groups := []Mounter{
		health{db: p.db, log: p.log},
		static{},
		whoAmI{sessions: p.sessions},
		&admin.Handler{Service: adminService, Portals: p.portals, LoginServices: p.loginServiceAdmin(),
			Registrations: p.registrations(), Sessions: p.sessions, Pages: p.pages, Log: p.log},
		signIn,
		loginServices,
		p.registration(signIn, loginServices),
		p.countGrants(provider),
		&emailverify.ChangeHandler{Store: p.db, Sessions: p.sessions, Codes: codes, Pages: p.pages, Log: p.log, Logos: p.links.LogoURL},
		&dashboard.Handler{Sessions: p.sessions, Portals: p.db, Pages: p.pages, Log: p.log, Links: p.dashboardLinks()},
		&branding.Handler{Store: p.db, Sessions: p.sessions, Pages: p.pages, Log: p.log, Now: p.opts.Now},
		&profile.SessionsHandler{Sessions: p.sessions, Audit: p.db, Pages: p.pages, Log: p.log, Now: p.opts.Now},
		&profile.SecurityHandler{Store: p.db, Sessions: p.sessions, Methods: methods, Keys: keys, Secrets: p.opts.Secrets, Backup: backupCodes,
			Pages: p.pages, Log: p.log, Now: p.opts.Now},
		&profile.PortalsHandler{Store: p.db, Portals: p.portalRegistry(), Sessions: p.sessions, Pages: p.pages, Log: p.log,
			Now: p.opts.Now},
		&recovery.Handler{Store: p.db, Hasher: p.hasher, Pages: p.pages, Links: p.links, SignIn: signIn.Continue,
			Blocklist: p.blocklist, Log: p.log, Now: p.opts.Now, MinResponse: 250 * time.Millisecond, Ended: ended,
			Throttle: p.recoveryThrottle()},
		&profile.Handler{Store: p.db, Hasher: p.hasher, Sessions: p.sessions, Pages: p.pages, Links: p.links,
			Blocklist: p.blocklist, Lockout: p.guard, Log: p.log, Now: p.opts.Now},
	}
	return append(groups, p.opts.Extra...), nil
}

// maxThrottleKeys bounds each throttle's table (about 200 bytes a key).
const maxThrottleKeys = 100_000

// signIn is the sign-in handler, throttled per client address and per
// organisation.
func (p *parts) signIn(steps []signin.Step) *signin.Handler {
	throttles := &signin.Throttle{
		Address:      throttle.New(p.cfg.ThrottleAddressPerMinute, p.cfg.ThrottleAddressBurst, maxThrottleKeys, p.opts.Now),
		Organisation: throttle.New(p.cfg.ThrottleOrganisationPerMinute, p.cfg.ThrottleOrganisationBurst, maxThrottleKeys, p.opts.Now),
	}
	h := &signin.Handler{Store: p.db, Hasher: p.hasher, Sessions: p.sessions, Pages: p.pages, Log: p.log, Now: p.opts.Now,
		Steps: steps, Lockout: p.guard, Throttle: throttles, LastSignIns: p.lastSignIns}
	if p.opts.Metrics != nil {
		h.Observer = p.opts.Metrics
	}
	return h
}

// countGrants counts the provider's token grants when metrics are on; it
// mounts the provider on the pattern oidc.Provider.Mount uses.
func (p *parts) countGrants(provider *oidc.Provider) Mounter {
	if p.opts.Metrics == nil {
		return provider
	}
	return mounted{pattern: "/o/{org}/", handler: p.opts.Metrics.TokenGrants(provider)}
}

// mounted is a handler on one pattern.
type mounted struct {
	pattern string
	handler http.Handler
}

func (m mounted) Mount(mux *http.ServeMux) { mux.Handle(m.pattern, m.handler) }

// recoveryThrottle limits, per client address, reset requests (each may
// queue an email) to a sixth of the sign-in rate (10 a minute, bursts of 5
// by default) and strength estimates (the meter asks at most every 250 ms
// of typing) to four times it.
func (p *parts) recoveryThrottle() *recovery.Throttle {
	rate, burst := p.cfg.ThrottleAddressPerMinute, p.cfg.ThrottleAddressBurst
	return &recovery.Throttle{
		Forgot:   throttle.New(rate/6, max(burst/4, 1), maxThrottleKeys, p.opts.Now),
		Strength: throttle.New(rate*4, burst*4, maxThrottleKeys, p.opts.Now),
	}
}

// signInSteps are the steps of a sign-in after the password, in order:
// email verification, any given, then the second factor.
func (p *parts) signInSteps(codes *otpcode.Issuer, methods *mfa.Registry) []signin.Step {
	mfaSteps := &step.Deps{Store: p.db, Methods: methods, Devices: &trusted.Devices{Store: p.db, Secure: p.cfg.Secure()},
		Secrets: p.opts.Secrets}
	steps := append([]signin.Step{
		&emailverify.Step{Store: p.db, Codes: codes, Logos: p.links.LogoURL},
	}, p.opts.Steps...)
	return append(steps, &step.Phone{Deps: mfaSteps}, &step.Second{Deps: mfaSteps})
}

// dashboardLinks are the Dashboard's tiles: the signed-in browsers, the
// deployment's own, then Security.
func (p *parts) dashboardLinks() []web.Link {
	links := append([]web.Link{{Title: "Where you're signed in", Href: "/profile/sessions",
		Description: "See the browsers signed in to your account and sign any of them out."}}, p.opts.DashboardLinks...)
	return append(links, web.Link{Title: "Security", Href: "/profile/security",
		Description: "Set up an authenticator app, a mobile number or backup codes, and manage remembered browsers."},
		web.Link{Title: "Portals", Href: "/profile/portals",
			Description: "See the portals you have signed in to and what they receive, and revoke their access."})
}

// health is the load balancer's checks: /healthz answers while the process
// runs, /readyz only while the database answers too.
type health struct {
	db  pinger
	log *slog.Logger
}

type pinger interface {
	Ping(ctx context.Context) error
}

func (h health) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", h.ready)
}

func (h health) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.db.Ping(ctx); err != nil {
		h.log.Warn("readiness check", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// static serves the stylesheet and images.
type static struct{}

func (static) Mount(mux *http.ServeMux) {
	mux.Handle("GET /static/", web.Static())
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
}

// whoAmI is the session check portals make.
type whoAmI struct{ sessions *session.Manager }

func (h whoAmI) Mount(mux *http.ServeMux) { mux.HandleFunc("GET /whoami", h.sessions.WhoAmI) }
