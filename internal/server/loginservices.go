package server

import (
	"net/http"
	"time"

	"imslogin/internal/loginservice"
	"imslogin/internal/registration"
	"imslogin/internal/signin"
)

// loginServices is the sign-in through external login services, with the
// buttons it puts on the sign-in pages.
func (p *parts) loginServices(signIn *signin.Handler) *loginservice.Handler {
	svc := p.loginServiceAdmin()
	h := &loginservice.Handler{Store: p.db, Service: svc, Pages: p.pages, Log: p.log, Now: p.opts.Now,
		Secure: p.cfg.Secure(), SignIn: signIn.ContinueExternal}
	signIn.Services = h.ButtonsFor
	return h
}

// registration serves the pages of registration emails and links the
// accounts login services prove.
func (p *parts) registration(signIn *signin.Handler, services *loginservice.Handler) *registration.Handler {
	h := &registration.Handler{Store: p.db, Services: services, Hasher: p.hasher, Blocklist: p.blocklist, Pages: p.pages,
		Log: p.log, Now: p.opts.Now, SignIn: signIn.Continue, SignInExternal: signIn.ContinueExternal}
	services.Linker = h
	return h
}

// registrations is the service Site Administrators register people with.
func (p *parts) registrations() *registration.Service {
	return &registration.Service{Store: p.db, Links: p.links, Now: p.opts.Now}
}

// loginServiceAdmin is the service administrators keep login services
// with, made once: its OpenID Connect kind caches discovery documents.
func (p *parts) loginServiceAdmin() *loginservice.Service {
	if p.loginAdmin != nil {
		return p.loginAdmin
	}
	kinds := loginservice.Registry{
		loginservice.KindOIDC: &loginservice.OIDC{Client: &http.Client{Timeout: 10 * time.Second}, Now: p.opts.Now},
	}
	p.loginAdmin = &loginservice.Service{Store: p.db, Box: p.opts.Secrets.Box(), Kinds: kinds, Now: p.opts.Now,
		PublicURL: p.cfg.PublicBaseURL()}
	return p.loginAdmin
}
