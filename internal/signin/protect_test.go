package signin_test

import (
	"net/http"
	"net/url"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/signin"
)

// TestStepAnswersAreThrottled: codes at later steps are guessed like
// passwords, so the client address's bucket applies to them too.
func TestStepAnswersAreThrottled(t *testing.T) {
	app := servertest.New(t, servertest.Options{
		Server: server.Options{Steps: []signin.Step{fakeStep{}}},
		Config: func(c *config.Config) { c.ThrottleAddressPerMinute, c.ThrottleAddressBurst = 1, 3 },
	})
	c := app.Browser(t)
	if resp, _ := app.Post(t, c, "/login", form("Acme", "ana@acme.test", servertest.Password)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password step: %d", resp.StatusCode)
	}
	var got []int
	for range 3 {
		resp, _ := app.Post(t, c, "/login/fake-code", url.Values{"code": {"000000"}})
		got = append(got, resp.StatusCode)
	}
	if got[0] != http.StatusUnprocessableEntity || got[1] != http.StatusUnprocessableEntity || got[2] != http.StatusTooManyRequests {
		t.Errorf("code answers %v: want two wrong codes checked, then 429", got)
	}
}
