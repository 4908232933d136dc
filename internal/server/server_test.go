package server_test

import (
	"net/http"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
)

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	for _, path := range []string{"/login", "/static/style.css", "/no-such-page"} {
		resp, _ := app.Get(t, app.Browser(t), path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	if resp, _ := app.Get(t, c, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if resp, _ := app.Get(t, c, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("readyz: %d", resp.StatusCode)
	}
	app.DB.Close()
	if resp, _ := app.Get(t, c, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d, want 503", resp.StatusCode)
	}
	if resp, _ := app.Get(t, c, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz must not depend on the database: %d", resp.StatusCode)
	}
}

func TestUnknownPageIsAFinishedPage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	resp, body := app.Get(t, app.Browser(t), "/no-such-page")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Page not found") || !strings.Contains(body, "style.css") {
		t.Errorf("404 page: %d\n%s", resp.StatusCode, body)
	}
}

func TestOversizedFormIsRefused(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	big := strings.Repeat("x", 2<<20)
	resp, _ := app.Post(t, app.Browser(t), "/login", map[string][]string{"organisation": {big}, "email": {"a@b.test"}, "password": {"x"}})
	if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusOK {
		t.Errorf("a 2 MiB form was accepted: %d", resp.StatusCode)
	}
}
