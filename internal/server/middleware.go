package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"imslogin/internal/clientaddr"
	"imslogin/internal/config"
	"imslogin/internal/field"
	"imslogin/internal/oidc"
	"imslogin/internal/profile"
	"imslogin/web"
)

// middleware is the chain every request passes, from the outside in:
// panics become a 500, security headers, 503 with Retry-After when the
// database is out of reach, a cap on the body, cross-origin
// protection, the client's address, a cap on each field; then the routes, or the site's own
// "Page not found".
func middleware(mux *http.ServeMux, cfg config.Config, pages *web.Renderer, log *slog.Logger, lastUnreachable func() time.Time) http.Handler {
	notFound := func(w http.ResponseWriter, r *http.Request) { pages.NotFound(w) }
	handler := routeOrNotFound(mux, notFound)
	handler = limitFields(handler, pages, log)
	handler = clientaddr.Middleware(cfg.TrustedProxyHeader, handler)
	handler = crossOriginProtection(handler, cfg.PublicBaseURL(), pages)
	handler = limitBody(handler, 1<<20, map[string]int64{"/profile/picture": profile.MaxUploadBody})
	handler = retryWhenUnreachable(handler, pages, lastUnreachable)
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
			w = web.SecureResponses(w) // the flash cookie is Secure too
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

// limitFields refuses a query, form or JSON body with a field longer than
// field.Default before any handler stores, logs or keys on it; handlers
// bound their own fields more tightly. The log keeps the field's name and
// a truncated value only.
func limitFields(next http.Handler, pages *web.Renderer, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A query no longer than the bound cannot hold a field over it.
		if len(r.URL.RawQuery) > field.Default {
			var tooLong *field.TooLongError
			if errors.As(field.CheckForm(r.URL.Query()), &tooLong) {
				log.Warn("request refused: query field too long", "path", field.ForLog(r.URL.Path),
					"field", field.ForLog(tooLong.Name), "bytes", tooLong.Len, "address", clientaddr.Of(r))
				refuse(w, r, pages, http.StatusBadRequest, "A part of this address is too long. Check the link you followed.")
				return
			}
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		err := checkFields(r)
		var tooLong *field.TooLongError
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooLong):
			log.Warn("request refused: field too long", "path", field.ForLog(r.URL.Path), "field", field.ForLog(tooLong.Name),
				"bytes", tooLong.Len, "address", clientaddr.Of(r))
			refuse(w, r, pages, http.StatusBadRequest,
				"A field of this request is too long, so nothing was changed. Shorten it and try again.")
		case errors.As(err, &tooBig):
			refuse(w, r, pages, http.StatusRequestEntityTooLarge, "This request is too large, so nothing was changed.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// refuse answers a request refused before its handler: JSON for the API, a
// page otherwise.
func refuse(w http.ResponseWriter, r *http.Request, pages *web.Renderer, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	pages.Error(w, status, web.ErrorPage{Heading: "Request refused", Message: msg})
}

// checkFields checks the fields of a body as the handlers will read them:
// an URL-encoded form, as parsed (a malformed pair does not hide the
// others, which handlers still read), a multipart form's values, and any
// other body as JSON, whatever its declared type (the API decodes what it
// is sent). The body is read within limitBody's cap and put back for the
// handler. Other errors than those of length are the handler's to judge.
func checkFields(r *http.Request) error {
	media, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media == "application/x-www-form-urlencoded" {
		err := r.ParseForm()
		if tooLong := field.CheckForm(r.PostForm); tooLong != nil {
			return tooLong
		}
		return err
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if media == "multipart/form-data" {
		if err != nil {
			// An upload over the route's cap: its handler meets the same
			// error reading the rest and says what is too large.
			return nil
		}
		return field.CheckMultipart(body, params["boundary"])
	}
	if err != nil {
		return err
	}
	return field.CheckJSON(body)
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
