package recovery_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/mail"
	"imslogin/internal/server/servertest"
)

func resetsQueued(t *testing.T, app *servertest.App) int {
	t.Helper()
	msgs, err := app.DB.OrganisationMail(context.Background(), app.Org.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Kind == mail.PasswordReset {
			n++
		}
	}
	return n
}

// "Forgot password?" is throttled per client address (a sixth of the
// sign-in rate), before anything is looked up or queued.
func TestForgotPasswordIsThrottledPerAddress(t *testing.T) {
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) {
		c.ThrottleAddressPerMinute, c.ThrottleAddressBurst = 12, 12 // resets: 2 a minute, bursts of 3
	}})
	ask := func() (*http.Response, string) {
		return app.Post(t, app.Browser(t), "/forgot-password", url.Values{"organisation": {"Acme"}, "email": {"ana@acme.test"}})
	}
	for i := range 3 {
		if resp, _ := ask(); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	queued := resetsQueued(t, app)
	resp, body := ask()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "Too many reset requests") {
		t.Errorf("fourth request at once: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := resetsQueued(t, app); n != queued || n == 0 {
		t.Errorf("%d reset emails queued, %d before the throttled request", n, queued)
	}
}

// The strength meter's endpoint is anonymous, so it is throttled per
// client address too (four times the sign-in rate).
func TestStrengthEndpointIsThrottledPerAddress(t *testing.T) {
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) {
		c.ThrottleAddressPerMinute, c.ThrottleAddressBurst = 1, 2 // estimates: bursts of 8
	}})
	c := app.Browser(t)
	for i := range 8 {
		if resp, _ := app.Post(t, c, "/password/strength", url.Values{"password": {"violet mango"}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("estimate %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := app.Post(t, c, "/password/strength", url.Values{"password": {"violet mango"}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || strings.Contains(body, "score") {
		t.Errorf("ninth estimate at once: %d %s", resp.StatusCode, body)
	}
}
