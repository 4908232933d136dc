// Package server wires the domains' handlers onto one mux and wraps them in
// the security middleware (New); Lifecycle runs the HTTP server and every
// background worker, and shuts them down in order before the database
// closes. It holds no logic of its own.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/lastsignin"
	"imslogin/internal/linkmail"
	"imslogin/internal/lockout"
	"imslogin/internal/loginservice"
	"imslogin/internal/mail"
	"imslogin/internal/metrics"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/oidc"
	"imslogin/internal/password"
	"imslogin/internal/portal"
	"imslogin/internal/registration"
	"imslogin/internal/session"
	"imslogin/internal/signin"
	"imslogin/internal/sms"
	"imslogin/internal/store"
	"imslogin/web"
)

// Database is the store, the domains kept apart from it (portals), and
// the health check /readyz needs.
type Database interface {
	store.Store
	store.SigningKeys
	store.Grants
	store.Consents
	store.Logouts
	store.Portals
	store.LoginServices
	store.Registrations
	store.Jobs
	store.Gauges
	store.Brandings
	Ping(ctx context.Context) error
}

// Mounter is anything that registers routes: each domain's handler.
type Mounter interface{ Mount(mux *http.ServeMux) }

// Options adds what only some deployments have (the demo's mailbox), and
// what is read before the server is built.
type Options struct {
	// Secrets seals authenticator-app secrets with the deployment's key
	// (required: every node of a database must use the same one).
	Secrets        *totp.Secrets
	Now            func() time.Time
	Extra          []Mounter
	DashboardLinks []web.Link
	Steps          []signin.Step
	// Portals is the portal registry single sign-on serves; nil: none.
	Portals oidc.Portals
	// Metrics, if set, is told of requests, sign-ins, lockouts, the
	// hashing pool and token grants, and reads the database's gauges.
	Metrics *metrics.Metrics
}

// Server is the configured HTTP handler, its dependencies and its
// background workers; Lifecycle runs them.
type Server struct {
	Handler  http.Handler
	Sessions *session.Manager
	Hasher   *password.Hasher
	// Mail delivers the email outbox; nil without an SMTP server.
	Mail *mail.Worker
	// SMS delivers the SMS outbox; nil with the development outbox.
	SMS *sms.Worker
	// Logouts delivers the back-channel logout outbox to portals.
	Logouts *oidc.LogoutWorker
	// LastSignIns writes members' last sign-in times every second; the
	// lifecycle flushes it when it stops, and a test flushes it before
	// reading them.
	LastSignIns *lastsignin.Recorder
	// LoginServices keeps organisations' login services (tests set them up with it).
	LoginServices *loginservice.Service
	// Registrations registers people for portals (tests register with it).
	Registrations *registration.Service
	// Portals registers and changes portals; what it changes takes effect
	// on this node at once (tests register with it).
	Portals *portal.Service
	// Cleanup removes profiles never linked; the lifecycle runs it hourly.
	Cleanup *registration.Cleaner
	cfg     config.Config
	log     *slog.Logger
}

// New builds the server: the handler with every route group behind the
// middleware, and the background workers, which Lifecycle runs. It fails if
// a template is broken or the configuration is invalid, before anything
// listens.
func New(cfg config.Config, db Database, log *slog.Logger, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Secrets == nil {
		return nil, errors.New("no secret key to seal authenticator-app secrets with")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p, err := newParts(cfg, db, log, opts)
	if err != nil {
		return nil, err
	}
	groups, err := p.routeGroups()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, g := range groups {
		g.Mount(mux)
	}
	s := &Server{Handler: withMetrics(middleware(mux, cfg, p.pages, log, lastUnreachable(db)), mux, opts.Metrics), Sessions: p.sessions, Hasher: p.hasher,
		LastSignIns: p.lastSignIns, Logouts: p.logouts, Portals: p.portals, LoginServices: p.loginServiceAdmin(),
		Registrations: p.registrations(), Cleanup: &registration.Cleaner{Store: db, Log: log, Now: opts.Now}, cfg: cfg, log: log}
	if s.Mail, err = newMailWorker(cfg, db, log, opts.Now); err != nil {
		return nil, err
	}
	if s.SMS, err = newSMSWorker(cfg, db, log, opts.Now); err != nil {
		return nil, err
	}
	return s, nil
}

// parts are what the route groups share, built once.
type parts struct {
	cfg         config.Config
	db          Database
	log         *slog.Logger
	opts        Options
	pages       *web.Renderer
	hasher      *password.Hasher
	sessions    *session.Manager
	blocklist   password.Blocklist
	links       *linkmail.Sender
	guard       *lockout.Guard
	lastSignIns *lastsignin.Recorder
	logouts     *oidc.LogoutWorker // set by routeGroups with the provider
	portals     *portal.Service    // set by routeGroups with the provider
	loginAdmin  *loginservice.Service
}

func newParts(cfg config.Config, db Database, log *slog.Logger, opts Options) (*parts, error) {
	pages, err := web.NewRenderer(log)
	if err != nil {
		return nil, err
	}
	hasher, err := password.NewHasher(PasswordParams(cfg), cfg.HashWorkers, cfg.HashQueueTimeout)
	if err != nil {
		return nil, err
	}
	var blocklist password.Blocklist
	if cfg.PasswordBlocklist != "" {
		fileList, err := password.OpenBlocklist(cfg.PasswordBlocklist)
		if err != nil {
			return nil, err
		}
		blocklist = fileList
	}
	links := &linkmail.Sender{PublicURL: cfg.PublicBaseURL(), InvitationLifetime: cfg.InvitationLifetime,
		ResetLifetime: cfg.ResetLifetime, Now: opts.Now}
	guard := &lockout.Guard{Store: db, Now: opts.Now, Logos: links.LogoURL}
	if m := opts.Metrics; m != nil {
		hasher.ObserveWaits(m.HashWaited)
		m.WatchHashPool(hasher)
		m.WatchStore(db, opts.Now, 5*time.Second, log)
		guard.Locked = m.Locked
	}
	return &parts{cfg: cfg, db: db, log: log, opts: opts, pages: pages, hasher: hasher,
		sessions: session.NewManager(db, cfg.Secure(), opts.Now), blocklist: blocklist, links: links,
		guard: guard, lastSignIns: lastsignin.New(db, log)}, nil
}

// withMetrics counts every request by the mux's route pattern, outside
// every other middleware, when metrics are on; otherwise it costs nothing.
func withMetrics(h http.Handler, mux *http.ServeMux, m *metrics.Metrics) http.Handler {
	if m == nil {
		return h
	}
	return m.Middleware(h, func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		return pattern
	})
}

// PasswordParams is the configured argon2id cost.
func PasswordParams(cfg config.Config) password.Params {
	return password.Params{MemoryKiB: cfg.Argon2MemoryKiB, Time: cfg.Argon2Time, Threads: cfg.Argon2Threads}
}
