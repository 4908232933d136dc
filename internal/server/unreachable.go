package server

import (
	"net/http"
	"time"

	"imslogin/internal/store"
	"imslogin/web"
)

// retryAfter is the wait a 503 asks for, in seconds: a database restart or
// a lost connection is over in about that time.
const retryAfter = "2"

// retryWhenUnreachable is the one place a failure becomes "try again": a
// request whose database work met an unreachable database (a restart, a
// dropped connection, no free connection), or that ran while the database
// was found so, and whose handler answers with a server error gets 503
// with Retry-After instead, as a page or, under /api/, as JSON. Any 503
// without Retry-After (a busy hashing pool, a session that could not be
// read) gets one. Nothing a request wrote is kept half-done: each change
// is one transaction.
func retryWhenUnreachable(next http.Handler, pages *web.Renderer, lastUnreachable func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, u := store.WithUnreachable(r.Context())
		r = r.WithContext(ctx)
		away := func() bool { return u.Seen() || !lastUnreachable().Before(start) }
		next.ServeHTTP(&retryWriter{ResponseWriter: w, r: r, pages: pages, away: away}, r)
	})
}

// lastUnreachable is the database's record of when it was last found out
// of reach, if it keeps one.
func lastUnreachable(db any) func() time.Time {
	if d, ok := db.(interface{ LastUnreachable() time.Time }); ok {
		return d.LastUnreachable
	}
	return func() time.Time { return time.Time{} }
}

// retryWriter rewrites the status as retryWhenUnreachable says, dropping
// the handler's own body when it replaces the answer.
type retryWriter struct {
	http.ResponseWriter
	r        *http.Request
	pages    *web.Renderer
	away     func() bool // the database was out of reach for this request
	answered bool        // a final status went out
	replaced bool        // the handler's body is dropped
}

func (w *retryWriter) WriteHeader(code int) {
	if code < 200 || w.answered {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.answered = true
	h := w.Header()
	switch {
	case code >= 500 && code != http.StatusServiceUnavailable && w.away():
		w.replaced = true
		h.Del("Content-Length")
		h.Set("Retry-After", retryAfter)
		refuse(w.ResponseWriter, w.r, w.pages, http.StatusServiceUnavailable,
			"The service is briefly unavailable. Please try again in a moment.")
		return
	case code == http.StatusServiceUnavailable && h.Get("Retry-After") == "":
		h.Set("Retry-After", retryAfter)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *retryWriter) Write(b []byte) (int, error) {
	if !w.answered {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines).
func (w *retryWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
