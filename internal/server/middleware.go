package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"

	"imslogin/internal/clientaddr"
	"imslogin/internal/config"
	"imslogin/internal/oidc"
	"imslogin/internal/profile"
	"imslogin/web"
)

// middleware is the chain every request passes, from the outside in:
// panics become a 500, security headers, a cap on the body, cross-origin
// protection, the client's address; then the routes, or the site's own
// "Page not found".
func middleware(mux *http.ServeMux, cfg config.Config, pages *web.Renderer, log *slog.Logger) http.Handler {
	notFound := func(w http.ResponseWriter, r *http.Request) { pages.NotFound(w) }
	handler := routeOrNotFound(mux, notFound)
	handler = clientaddr.Middleware(cfg.TrustedProxyHeader, handler)
	handler = crossOriginProtection(handler, cfg.PublicBaseURL(), pages)
	handler = limitBody(handler, 1<<20, map[string]int64{"/profile/picture": profile.MaxUploadBody})
	handler = securityHeaders(handler, cfg.Secure())
	return recoverPanics(handler, log)
}

// contentSecurityPolicy allows no inline script or style and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler, secure bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginProtection refuses state-changing requests a browser sent from
// another site (Go's Sec-Fetch-Site/Origin check), with a page that says so.
// The configured public URL is trusted even when a proxy rewrites Host.
func crossOriginProtection(next http.Handler, publicURL string, pages *web.Renderer) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.AddTrustedOrigin(publicURL)
	for _, pattern := range oidc.BypassPatterns {
		cop.AddInsecureBypassPattern(pattern)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages.Error(w, http.StatusForbidden, web.ErrorPage{Heading: "Request refused",
			Message: "This form was sent from another website, so it was refused to protect your account. Open the page on this site and try again."})
	}))
	return cop.Handler(next)
}

// limitBody caps request bodies so a client cannot exhaust memory; the
// few paths that take uploads have their own, larger, caps.
func limitBody(next http.Handler, n int64, uploads map[string]int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := n
		if u, ok := uploads[r.URL.Path]; ok {
			limit = u
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func recoverPanics(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "Internal server error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// routeOrNotFound serves the mux, but renders the site's own page when no
// route matches instead of the mux's plain text.
func routeOrNotFound(mux *http.ServeMux, notFound http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				notFound(w, r)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}
