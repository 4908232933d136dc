package demoportal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func serve(a *App, method, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	return w
}

// TestCallbackRefusesWhatItDidNotStart: an answer with no flow of this
// browser, another state, or another issuer is refused before any code
// is redeemed (the issuer here does not exist, so a redemption would fail
// otherwise).
func TestCallbackRefusesWhatItDidNotStart(t *testing.T) {
	a := New(Config{Name: "Wiki", Issuer: "http://127.0.0.1:1/o/acme", ClientID: "wiki", URL: "http://127.0.0.1:2"})
	a.flows["f1"] = flow{state: "s1", nonce: "n1", verifier: "v", started: time.Now()}
	a.flows["old"] = flow{state: "s2", started: time.Now().Add(-time.Hour)}
	cookie := func(v string) *http.Cookie { return &http.Cookie{Name: "portal_wiki_flow", Value: v} }
	for name, tc := range map[string]struct {
		target string
		cookie *http.Cookie
		want   string
	}{
		"no flow cookie": {"/callback?code=c&state=s1", nil, "not started here"},
		"another state":  {"/callback?code=c&state=s9", cookie("f1"), "not started here"},
		"expired flow":   {"/callback?code=c&state=s2", cookie("old"), "not started here"},
	} {
		var cs []*http.Cookie
		if tc.cookie != nil {
			cs = append(cs, tc.cookie)
		}
		w := serve(a, http.MethodGet, tc.target, cs...)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d\n%s", name, w.Code, w.Body.String())
		}
	}
	if _, ok := a.flows["f1"]; ok {
		t.Error("a flow answered once can be answered again")
	}
	a.flows["f2"] = flow{state: "s3", started: time.Now()}
	w := serve(a, http.MethodGet, "/callback?code=c&state=s3&iss=http://evil.test/o/acme", cookie("f2"))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "another issuer") {
		t.Errorf("another issuer: %d\n%s", w.Code, w.Body.String())
	}
}

func TestPages(t *testing.T) {
	a := New(Config{Name: "Wiki", Issuer: "http://127.0.0.1:1/o/acme", ClientID: "wiki", URL: "http://127.0.0.1:2"})
	w := serve(a, http.MethodGet, "/")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `href="/login"`) {
		t.Errorf("home: %d\n%s", w.Code, w.Body.String())
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://127.0.0.1:1") {
		t.Errorf("the policy does not let Sign out go on to the issuer: %q", csp)
	}
	a.signins["s"] = &Account{Name: "<b>Ana</b>", Email: "ana@acme.test", Org: "acme", Roles: []string{"owner"}, AMR: []string{"pwd", "otp"}}
	w = serve(a, http.MethodGet, "/", &http.Cookie{Name: "portal_wiki", Value: "s"})
	for _, want := range []string{"&lt;b&gt;Ana&lt;/b&gt;", "ana@acme.test", "owner", "password (pwd), one-time code (otp)", `action="/logout"`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("signed-in page lacks %q", want)
		}
	}
	if w := serve(a, http.MethodGet, "/logout"); w.Code != http.StatusNotFound {
		t.Errorf("GET /logout: %d, want 404 (sign-out is a form)", w.Code)
	}
	if w := serve(a, http.MethodGet, "/login"); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "does not answer") {
		t.Errorf("sign-in with the provider down: %d\n%s", w.Code, w.Body.String())
	}
}
