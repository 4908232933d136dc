package signin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/internal/throttle"
	"imslogin/web"
)

// Throttle limits password attempts per client address and per
// organisation name (as typed, so unknown names are limited too). It is
// checked before any password is hashed. A nil Throttle limits nothing.
type Throttle struct {
	Address      *throttle.Limiter
	Organisation *throttle.Limiter
}

// allow takes a token from the address's bucket, then the organisation's.
// It names the limit that refused: "address" or "organisation".
func (t *Throttle) allow(r *http.Request, organisation string) (time.Duration, string, bool) {
	if t == nil {
		return 0, "", true
	}
	if ok, wait := t.Address.Allow(throttle.AddressKey(session.ClientAddress(r))); !ok {
		return wait, "address", false
	}
	if organisation == "" {
		return 0, "", true
	}
	ok, wait := t.Organisation.Allow(strings.ToLower(strings.TrimSpace(organisation)))
	return wait, "organisation", ok
}

// throttled answers a throttled attempt: a Retry-After header and the
// notice for a 429 page, before any database or hashing work.
func throttled(w http.ResponseWriter, wait time.Duration) web.Notice {
	secs := throttle.RetryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return web.Notice{Kind: "error",
		Text: fmt.Sprintf("Too many sign-in attempts. Please wait %s and try again.", web.InWords(time.Duration(secs)*time.Second))}
}

// auditFailure is a sign-in failure entry (see lockout.Guard.FailureEvent).
func (h *Handler) auditFailure(o audit.Origin, org store.Organisation, m store.Member, email, reason string) store.AuditEvent {
	return h.Lockout.FailureEvent(o, org, m, email, reason)
}

// appendAudit writes an entry that records no other change.
func (h *Handler) appendAudit(ctx context.Context, e store.AuditEvent) {
	if err := h.Store.AppendAuditEvent(ctx, &e); err != nil {
		h.Log.Error("audit", "kind", e.Kind, "err", err)
	}
}
