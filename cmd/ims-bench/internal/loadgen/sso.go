package loadgen

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Single sign-on scenarios, against the portal `ims dev seed --portal`
// registers (benchseed.Portal…): a confidential portal's back end and a
// signed-in member's browser, each client with its own session.
const (
	ScenarioCode       = "code"               // authorize with PKCE → the code in the redirect → the token endpoint
	ScenarioRefresh    = "refresh"            // rotate an offline_access refresh token
	ScenarioUserInfo   = "userinfo"           // GET userinfo with the bearer access token
	ScenarioIntrospect = "introspect"         // POST introspection, client secret basic
	ScenarioClientCred = "client-credentials" // a token for the portal's own back end
)

// isSSO reports whether a scenario speaks to the organisation's provider.
func isSSO(scenario string) bool {
	switch scenario {
	case ScenarioCode, ScenarioRefresh, ScenarioUserInfo, ScenarioIntrospect, ScenarioClientCred:
		return true
	}
	return false
}

// Portal is the portal the single sign-on scenarios act as.
type Portal struct {
	URLName      string // the organisation's: the issuer is /o/{URLName}
	ClientID     string
	ClientSecret string
	RedirectURI  string // never followed: the code is read from the redirect
}

// sso is a client's state in a single sign-on scenario.
type sso struct {
	issuer  string // path of the issuer, /o/{url-name}
	auth    string // the Authorization header of the portal's back end
	refresh string // the refresh scenario's current refresh token
}

// badAnswer is a 200 that does not say what it should (an inactive token,
// a token answer without a token).
type badAnswer string

func (b badAnswer) Error() string { return string(b) }

// errRegranted marks an iteration that, having lost its refresh token to
// an error, got a new one by a code flow instead of rotating.
var errRegranted = errors.New("new grant after an error")

// prepareSSO signs the client in where a scenario needs a member, and
// builds the requests it repeats.
func (w *worker) prepareSSO() error {
	p := w.opts.Portal
	w.sso = &sso{issuer: "/o/" + p.URLName,
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(p.ClientID)+":"+url.QueryEscape(p.ClientSecret)))}
	switch w.opts.Scenario {
	case ScenarioClientCred:
		w.signed = [][]byte{w.apiRequest("/oauth/token", "", url.Values{"grant_type": {"client_credentials"}})}
		return nil
	case ScenarioCode:
		return w.signInFor()
	}
	if err := w.signInFor(); err != nil {
		return err
	}
	if w.opts.Scenario == ScenarioRefresh {
		return w.newRefreshToken()
	}
	body, err := w.codeFlow("openid profile email")
	if err != nil {
		return err
	}
	access := jsonString(body, "access_token")
	if access == "" {
		return fmt.Errorf("token answer without an access token: %.200s", body)
	}
	if w.opts.Scenario == ScenarioUserInfo {
		w.signed = [][]byte{w.apiRequest("/userinfo", "Bearer "+access, nil)}
	} else {
		w.signed = [][]byte{w.apiRequest("/oauth/introspect", "", url.Values{"token": {access}})}
	}
	return nil
}

func (w *worker) signInFor() error {
	if err := w.signIn(); err != nil {
		return fmt.Errorf("sign in before the %s scenario: %w", w.opts.Scenario, err)
	}
	return nil
}

// ssoIteration is one request (or one code flow) of a scenario.
func (w *worker) ssoIteration() error {
	switch w.opts.Scenario {
	case ScenarioCode:
		_, err := w.codeFlow("openid profile email")
		return err
	case ScenarioRefresh:
		return w.rotate()
	}
	want := withBody
	if w.opts.Scenario != ScenarioIntrospect {
		want = statusOnly
	}
	a, err := w.browser.conn.roundTrip(w.signed[0], want)
	switch {
	case err != nil:
		return err
	case a.status != http.StatusOK:
		return statusError(a.status)
	case want == withBody && !bytes.Contains(a.body, []byte(`"active":true`)):
		return badAnswer("inactive token")
	}
	return nil
}

// rotate exchanges the client's refresh token for the next one. After a
// failure the next iteration starts a new family by a code flow, counted
// as an error, since the old token may be spent.
func (w *worker) rotate() error {
	if w.sso.refresh == "" {
		if err := w.newRefreshToken(); err != nil {
			return err
		}
		return errRegranted
	}
	body, err := w.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {w.sso.refresh}})
	w.sso.refresh = jsonString(body, "refresh_token")
	if err == nil && w.sso.refresh == "" {
		err = badAnswer("no refresh token")
	}
	return err
}

func (w *worker) newRefreshToken() error {
	body, err := w.codeFlow("openid offline_access")
	if err == nil {
		if w.sso.refresh = jsonString(body, "refresh_token"); w.sso.refresh == "" {
			err = badAnswer("no refresh token")
		}
	}
	return err
}

// codeFlow is a signed-in browser opening the portal: authorize with PKCE
// S256, follow the provider's redirects up to the one to the portal, take
// the code from it (not following it), and exchange it at the token
// endpoint as the portal's back end. It returns the token answer's body.
func (w *worker) codeFlow(scope string) ([]byte, error) {
	p := w.opts.Portal
	verifier := rand.Text() + rand.Text() // 52 characters, within PKCE's 43–128
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {p.ClientID}, "redirect_uri": {p.RedirectURI}, "response_type": {"code"},
		"scope": {scope}, "state": {"bench"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	code, err := w.authorize(w.sso.issuer + "/authorize?" + q.Encode())
	if err != nil {
		return nil, err
	}
	return w.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {p.RedirectURI},
		"code_verifier": {verifier}})
}

// authorize follows the provider's redirects from path, with the browser's
// cookies, and returns the code of the redirect to the portal.
func (w *worker) authorize(path string) (string, error) {
	for range 5 {
		a, err := w.browser.conn.roundTrip(w.browser.request(path, nil), withHeaders)
		if err != nil {
			return "", err
		}
		w.browser.keep(a.cookies)
		if a.status != http.StatusFound && a.status != http.StatusSeeOther {
			return "", statusError(a.status)
		}
		if strings.HasPrefix(a.location, w.opts.Portal.RedirectURI+"?") {
			back, err := url.Parse(a.location)
			if err != nil {
				return "", err
			}
			if code := back.Query().Get("code"); code != "" {
				return code, nil
			}
			return "", badAnswer("to the portal with " + back.Query().Get("error"))
		}
		next, err := url.Parse(a.location)
		if err != nil {
			return "", fmt.Errorf("redirect to %q: %v", a.location, err)
		}
		path = next.RequestURI()
	}
	return "", errors.New("too many redirects")
}

// token posts form to the token endpoint as the portal's back end and
// returns the answer's body.
func (w *worker) token(form url.Values) ([]byte, error) {
	a, err := w.browser.conn.roundTrip(w.apiRequest("/oauth/token", "", form), withBody)
	if err == nil && a.status != http.StatusOK {
		err = statusError(a.status)
	}
	return a.body, err
}

// apiRequest builds a request to the provider's endpoint path (under the
// issuer) without cookies: a GET with the given Authorization, or a form
// POST authenticated as the portal (client secret basic).
func (w *worker) apiRequest(path, authorization string, form url.Values) []byte {
	var req bytes.Buffer
	if form == nil {
		fmt.Fprintf(&req, "GET %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ims-bench\r\nAuthorization: %s\r\n\r\n",
			w.sso.issuer, path, w.browser.host, authorization)
		return req.Bytes()
	}
	body := form.Encode()
	fmt.Fprintf(&req, "POST %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ims-bench\r\nAuthorization: %s\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		w.sso.issuer, path, w.browser.host, w.sso.auth, len(body), body)
	return req.Bytes()
}

// jsonString finds a string member of a flat JSON object without decoding
// the whole answer: tokens hold no characters JSON escapes. Empty if
// missing or escaped.
func jsonString(body []byte, key string) string {
	_, rest, ok := bytes.Cut(body, []byte(`"`+key+`":"`))
	if !ok {
		return ""
	}
	value, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || bytes.IndexByte(value, '\\') >= 0 {
		return ""
	}
	return string(value)
}
