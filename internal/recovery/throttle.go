package recovery

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"imslogin/internal/session"
	"imslogin/internal/throttle"
	"imslogin/web"
)

// Throttle limits, per client address, the anonymous requests that cost
// the server: reset emails queued and password strength estimates. A nil
// Throttle, or a nil limiter, limits nothing.
type Throttle struct {
	Forgot   *throttle.Limiter
	Strength *throttle.Limiter
}

// allow takes a token from the client address's bucket of l.
func allow(l *throttle.Limiter, r *http.Request) (time.Duration, bool) {
	if l == nil {
		return 0, true
	}
	ok, wait := l.Allow(throttle.AddressKey(session.ClientAddress(r)))
	return wait, ok
}

func (t *Throttle) forgot() *throttle.Limiter {
	if t == nil {
		return nil
	}
	return t.Forgot
}

func (t *Throttle) strength() *throttle.Limiter {
	if t == nil {
		return nil
	}
	return t.Strength
}

// retryAfter sets the Retry-After header and returns the wait in words.
func retryAfter(w http.ResponseWriter, wait time.Duration) string {
	secs := throttle.RetryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return web.InWords(time.Duration(secs) * time.Second)
}

// tooManyResets answers a throttled reset request, before any lookup.
func (h *Handler) tooManyResets(w http.ResponseWriter, r *http.Request, page web.ForgotPasswordPage, wait time.Duration) {
	h.Log.Warn("password reset request throttled", "address", session.ClientAddress(r))
	page.Notice = web.Notice{Kind: "error",
		Text: fmt.Sprintf("Too many reset requests from your network. Please wait %s and try again.", retryAfter(w, wait))}
	h.Pages.ForgotPassword(w, http.StatusTooManyRequests, page)
}

// tooManyEstimates answers a throttled strength request: the meter shows
// nothing until tokens are back, and the form still works.
func tooManyEstimates(w http.ResponseWriter, wait time.Duration) {
	retryAfter(w, wait)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	json.NewEncoder(w).Encode(map[string]string{"error": "Too many requests; try again shortly."})
}
