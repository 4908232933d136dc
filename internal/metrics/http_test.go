package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRouteLabelsStayBounded(t *testing.T) {
	for _, c := range []struct{ pattern, path, want string }{
		{"POST /login", "/login", "POST /login"},
		{"", "/no/such/page", "unmatched"},
		{"/o/{org}/", "/o/acme/oauth/token", "/o/{org}/oauth/token"},
		{"/o/{org}/", "/o/acme/.well-known/openid-configuration", "/o/{org}/.well-known/openid-configuration"},
		{"/o/{org}/", "/o/acme/anything/a-client-made-up", "/o/{org}/other"},
		{"/o/{org}/", "/o/", "/o/{org}/other"},
	} {
		if got := routeLabel(c.pattern, c.path); got != c.want {
			t.Errorf("routeLabel(%q, %q) = %q, want %q", c.pattern, c.path, got, c.want)
		}
	}
}

// TestTokenGrantOutcomes: the grant type and the OAuth error code become
// labels only when they are known ones.
func TestTokenGrantOutcomes(t *testing.T) {
	m := New()
	answer := func(code int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			w.Write([]byte(body))
		})
	}
	for _, c := range []struct {
		grant, body string
		code        int
	}{
		{"refresh_token", `{"access_token":"x"}`, 200},
		{"refresh_token", `{"error":"invalid_grant","error_description":"reused"}`, 400},
		{"made_up", `{"error":"made_up_error"}`, 400},
		{"client_credentials", `not json`, 500},
	} {
		req := httptest.NewRequest(http.MethodPost, "/o/acme/oauth/token", strings.NewReader("grant_type="+c.grant))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		m.TokenGrants(answer(c.code, c.body)).ServeHTTP(httptest.NewRecorder(), req)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`ims_token_grants_total{grant_type="refresh_token",outcome="success"} 1`,
		`ims_token_grants_total{grant_type="refresh_token",outcome="invalid_grant"} 1`,
		`ims_token_grants_total{grant_type="other",outcome="error_400"} 1`,
		`ims_token_grants_total{grant_type="client_credentials",outcome="error_500"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(rec.Body.String(), "made_up") {
		t.Error("a client's own words became a label")
	}
}

func TestSignInMethodsStayBounded(t *testing.T) {
	m := New()
	m.SignIn("password+totp", "success")
	m.SignIn("password+<script>", "success")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{`ims_signins_total{method="password+totp",outcome="success"} 1`,
		`ims_signins_total{method="other",outcome="success"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// BenchmarkMiddleware is what counting costs a request: the route lookup
// stands in as a constant, the handler does nothing.
func BenchmarkMiddleware(b *testing.B) {
	m := New()
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		func(*http.Request) string { return "GET /whoami" })
	req := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
