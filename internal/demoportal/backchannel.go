package demoportal

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// BackchannelLogoutURI is where IMS Login tells the portal that a member's
// IMS Login session ended (OpenID Connect Back-Channel Logout 1.0).
func BackchannelLogoutURI(base string) string { return base + "/backchannel-logout" }

// endedMemory is how long the portal remembers that a browser's sign-in was
// ended by IMS Login, to say so on that browser's next page.
const endedMemory = 24 * time.Hour

// iatLeeway is how far in the future a logout token's iat may be: the
// clocks of the portal and IMS Login may differ a little.
const iatLeeway = time.Minute

// backchannelLogout receives a logout token, POSTed by IMS Login's server
// (no browser, no cookie), verifies it and ends the sign-ins it names.
// A token that does not verify is refused with 400, as section 2.8 asks.
func (a *App) backchannelLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	raw := r.PostFormValue("logout_token")
	if raw == "" {
		http.Error(w, "no logout_token", http.StatusBadRequest)
		return
	}
	rp, err := a.relyingParty(r.Context())
	if err != nil {
		http.Error(w, "IMS Login does not answer: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	sub, sid, err := a.verifyLogout(r, rp, raw)
	if err != nil {
		http.Error(w, "logout token refused: "+err.Error(), http.StatusBadRequest)
		return
	}
	a.endSignIns(sub, sid)
}

// verifyLogout checks the logout token with go-oidc (signature against the
// issuer's JWKS, iss, aud, exp, the event, no nonce, sub or sid, jti), and
// what go-oidc leaves: iat present and not ahead of us, the event an object.
func (a *App) verifyLogout(r *http.Request, rp *relyingParty, raw string) (sub, sid string, err error) {
	lt, err := rp.verifier.VerifyLogout(r.Context(), raw)
	if err != nil {
		return "", "", err
	}
	if lt.IssuedAt.IsZero() || lt.IssuedAt.After(a.now().Add(iatLeeway)) {
		return "", "", errors.New("the token has no iat, or one in the future")
	}
	var c struct {
		Events map[string]json.RawMessage `json:"events"`
	}
	if err := lt.Claims(&c); err != nil {
		return "", "", err
	}
	var event map[string]any
	if err := json.Unmarshal(c.Events[backchannelLogoutEvent], &event); err != nil || event == nil {
		return "", "", errors.New("the back-channel logout event is not an object")
	}
	return lt.Subject, lt.SessionID, nil
}

const backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// endSignIns ends the sign-ins of the IMS Login session sid, or with no
// sid every sign-in of sub; with both, both must match. Each browser
// whose sign-in ended is told on its next page.
func (a *App) endSignIns(sub, sid string) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, at := range a.ended {
		if now.Sub(at) > endedMemory {
			delete(a.ended, id)
		}
	}
	for id, acct := range a.signins {
		if (sid == "" || acct.SessionID == sid) && (sub == "" || acct.Subject == sub) {
			delete(a.signins, id)
			a.ended[id] = now
		}
	}
}

// wasEnded reports, once, that IMS Login ended this browser's sign-in.
func (a *App) wasEnded(r *http.Request) bool {
	c, err := r.Cookie(a.cookie)
	if err != nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.ended[c.Value]
	delete(a.ended, c.Value)
	return ok
}
