// Package server wires the domains' handlers onto one mux, wraps them in the
// security middleware, and runs the HTTP server with timeouts and graceful
// shutdown. It holds no logic of its own.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"imslogin/internal/admin"
	"imslogin/internal/clientaddr"
	"imslogin/internal/config"
	"imslogin/internal/dashboard"
	"imslogin/internal/emailverify"
	"imslogin/internal/lastsignin"
	"imslogin/internal/linkmail"
	"imslogin/internal/lockout"
	"imslogin/internal/membership"
	"imslogin/internal/mfa"
	"imslogin/internal/mfa/backup"
	"imslogin/internal/mfa/code"
	"imslogin/internal/mfa/step"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/mfa/trusted"
	mfawebauthn "imslogin/internal/mfa/webauthn"
	"imslogin/internal/otpcode"
	"imslogin/internal/password"
	"imslogin/internal/profile"
	"imslogin/internal/recovery"
	"imslogin/internal/session"
	"imslogin/internal/signin"
	"imslogin/internal/sms"
	"imslogin/internal/store"
	"imslogin/internal/throttle"
	"imslogin/web"
)

// Database is the store plus the health check /readyz needs.
type Database interface {
	store.Store
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
}

// lastSignInInterval is how often members' last sign-in times are written.
const lastSignInInterval = time.Second

// maxThrottleKeys bounds each throttle's table (about 200 bytes a key).
const maxThrottleKeys = 100_000

// Server is the configured HTTP handler and its dependencies.
type Server struct {
	Handler  http.Handler
	Sessions *session.Manager
	Hasher   *password.Hasher
	// SMS delivers the SMS outbox; nil with the development outbox.
	SMS *sms.Worker
	// LastSignIns writes members' last sign-in times every second; Run
	// flushes it, and a test flushes it before reading them.
	LastSignIns *lastsignin.Recorder
	cfg         config.Config
	log         *slog.Logger
}

// New builds the server. It fails if a template is broken or the
// configuration is invalid, before anything listens.
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
	pages, err := web.NewRenderer(log)
	if err != nil {
		return nil, err
	}
	hasher, err := password.NewHasher(PasswordParams(cfg), cfg.HashWorkers, cfg.HashQueueTimeout)
	if err != nil {
		return nil, err
	}
	sessions := session.NewManager(db, cfg.Secure(), opts.Now)
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
	mux := http.NewServeMux()
	mux.Handle("GET /static/", web.Static())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			log.Warn("readiness check", "err", err)
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	guard := &lockout.Guard{Store: db, Now: opts.Now}
	throttles := &signin.Throttle{
		Address:      throttle.New(cfg.ThrottleAddressPerMinute, cfg.ThrottleAddressBurst, maxThrottleKeys, opts.Now),
		Organisation: throttle.New(cfg.ThrottleOrganisationPerMinute, cfg.ThrottleOrganisationBurst, maxThrottleKeys, opts.Now),
	}
	dashboardLinks := append([]web.Link{{Title: "Where you're signed in", Href: "/profile/sessions",
		Description: "See the browsers signed in to your account and sign any of them out."}}, opts.DashboardLinks...)
	mux.HandleFunc("GET /whoami", sessions.WhoAmI)
	adminService := &admin.Service{Store: db, Links: links, Lockout: guard, Now: opts.Now,
		Members: &membership.Service{Store: db, Hasher: hasher, Now: opts.Now, Invitations: links}}
	codes := &otpcode.Issuer{Now: opts.Now}
	keys, err := mfawebauthn.New(db, cfg.PublicBaseURL())
	if err != nil {
		return nil, err
	}
	methods := mfa.NewRegistry(&code.Email{Store: db}, &code.SMS{Store: db}, &totp.Method{Store: db, Secrets: opts.Secrets},
		keys, &backup.Method{Store: db})
	mfaSteps := &step.Deps{Store: db, Methods: methods, Devices: &trusted.Devices{Store: db, Secure: cfg.Secure()},
		Secrets: opts.Secrets, Pages: pages, Log: log, Now: opts.Now}
	// The steps of a sign-in after the password, in order: email
	// verification, any given, then the second factor.
	steps := append([]signin.Step{
		&emailverify.Step{Store: db, Codes: codes, Pages: pages, Log: log},
	}, opts.Steps...)
	steps = append(steps, &step.Phone{Deps: mfaSteps}, &step.Second{Deps: mfaSteps})
	dashboardLinks = append(dashboardLinks, web.Link{Title: "Security", Href: "/profile/security",
		Description: "Set up an authenticator app, a mobile number or backup codes, and manage remembered browsers."})
	lastSignIns := lastsignin.New(db, log)
	signIn := &signin.Handler{Store: db, Hasher: hasher, Sessions: sessions, Pages: pages, Log: log, Now: opts.Now,
		Steps: steps, Lockout: guard, Throttle: throttles, LastSignIns: lastSignIns}
	mounters := []Mounter{
		&admin.Handler{Service: adminService, Sessions: sessions, Pages: pages, Log: log},
		signIn,
		&emailverify.ChangeHandler{Store: db, Sessions: sessions, Codes: codes, Pages: pages, Log: log},
		&dashboard.Handler{Sessions: sessions, Pages: pages, Links: dashboardLinks},
		&profile.SessionsHandler{Sessions: sessions, Pages: pages, Log: log, Now: opts.Now},
		&profile.SecurityHandler{Store: db, Sessions: sessions, Methods: methods, Keys: keys, Secrets: opts.Secrets,
			Pages: pages, Log: log, Now: opts.Now},
		&recovery.Handler{Store: db, Hasher: hasher, Pages: pages, Links: links, SignIn: signIn.Continue,
			Blocklist: blocklist, Log: log, Now: opts.Now, MinResponse: 250 * time.Millisecond},
		&profile.Handler{Store: db, Hasher: hasher, Sessions: sessions, Pages: pages, Links: links,
			Blocklist: blocklist, Lockout: guard, Log: log, Now: opts.Now},
	}
	for _, m := range append(mounters, opts.Extra...) {
		m.Mount(mux)
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		pages.Error(w, http.StatusNotFound, web.ErrorPage{Heading: "Page not found",
			Message: "There is no page at this address. Check the link, or start again from the sign-in page."})
	}
	handler := routeOrNotFound(mux, notFound)
	handler = clientaddr.Middleware(cfg.TrustedProxyHeader, handler)
	handler = crossOriginProtection(handler, cfg.PublicBaseURL(), pages)
	handler = limitBody(handler, 1<<20, map[string]int64{"/profile/picture": profile.MaxUploadBody})
	handler = securityHeaders(handler, cfg.Secure())
	handler = recoverPanics(handler, log)
	provider, err := sms.FromURL(cfg.SMSURL)
	if err != nil {
		return nil, err
	}
	var smsWorker *sms.Worker
	if provider != nil {
		smsWorker = &sms.Worker{Store: db, Provider: provider, Log: log, Now: opts.Now}
	} else {
		log.Info("text messages stay in the SMS outbox: set IMS_SMS_URL to deliver them")
	}
	return &Server{Handler: handler, Sessions: sessions, Hasher: hasher, SMS: smsWorker, LastSignIns: lastSignIns,
		cfg: cfg, log: log}, nil
}

// PasswordParams is the configured argon2id cost.
func PasswordParams(cfg config.Config) password.Params {
	return password.Params{MemoryKiB: cfg.Argon2MemoryKiB, Time: cfg.Argon2Time, Threads: cfg.Argon2Threads}
}

// Run listens on the configured address until ctx ends, then lets
// in-flight requests finish within the shutdown timeout.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// The workers outlive ctx until the requests in flight have finished,
	// which may still sign members in and queue text messages. The last
	// sign-ins are written before Run returns, with time of their own:
	// requests may have used up the whole grace period.
	workerCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	recorded := make(chan struct{})
	defer func() {
		stopWorkers()
		<-recorded
	}()
	if s.SMS != nil {
		go s.SMS.Run(workerCtx)
	}
	go func() {
		defer close(recorded)
		s.LastSignIns.Run(workerCtx, lastSignInInterval)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
