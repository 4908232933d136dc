package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"imslogin/internal/config"
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

// run serves app with Server.Run on a port of its own; stop ends the run
// and returns what Run returned.
func run(t *testing.T, app *servertest.App) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Server.Run(ctx, ln) }()
	return ln.Addr().String(), func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return after its context ended")
			return nil
		}
	}
}

// TestLastSignInsAreWrittenWhenShutdownRunsOutOfTime: a request still in
// flight uses up the whole grace period, and the sign-in before it still
// has its time written when Run returns.
func TestLastSignInsAreWrittenWhenShutdownRunsOutOfTime(t *testing.T) {
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) { c.ShutdownTimeout = 100 * time.Millisecond }})
	addr, stop := run(t, app)
	signInOn(t, app, addr)
	// Half a request: the server waits for the rest until its header
	// timeout, far beyond the grace period.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server read it: the connection is now active
	if err := stop(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run returned %v, want the grace period's deadline", err)
	}
	if m, _ := app.DB.MemberByID(context.Background(), app.Org.ID, app.Member.ID); m.LastSignInAt.IsZero() {
		t.Error("the last sign-in was lost when shutdown ran out of time")
	}
}

func TestRunStopsGracefully(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	addr, stop := run(t, app)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz on the running server: %v", err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Errorf("Run returned %v after shutdown, want nil", err)
	}
}

// TestRunWritesLastSignInsBeforeItReturns: a sign-in just before shutdown,
// long before the next batch, has its time written when Run returns.
func TestRunWritesLastSignInsBeforeItReturns(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	addr, stop := run(t, app)
	signInOn(t, app, addr)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if m, _ := app.DB.MemberByID(context.Background(), app.Org.ID, app.Member.ID); m.LastSignInAt.IsZero() {
		t.Error("the last sign-in was not written by the time Run returned")
	}
}

// signInOn signs the app's member in on the server running at addr.
func signInOn(t *testing.T, app *servertest.App, addr string) {
	t.Helper()
	form := url.Values{"organisation": {app.Org.Name}, "email": {app.Member.Email}, "password": {servertest.Password}}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := app.Browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign-in on the running server: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
