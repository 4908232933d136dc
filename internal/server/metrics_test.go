package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/metrics"
	"imslogin/internal/portal"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// scrape reads the metrics endpoint into series ("name{labels}") and values.
func scrape(t *testing.T, endpoint string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// TestMetricsMoveWithSignInsAndGrants scrapes the metrics before and after
// a wrong password, a lockout, a sign-in and two client-credentials grants,
// and checks that each series an operator watches moved by as much.
func TestMetricsMoveWithSignInsAndGrants(t *testing.T) {
	m := metrics.New()
	app := servertest.New(t, servertest.Options{Server: server.Options{Metrics: m}})
	for name, pool := range app.DB.Pools() {
		m.WatchDatabasePool(name, pool)
	}
	endpoint := httptest.NewServer(m.Handler())
	defer endpoint.Close()
	before := scrape(t, endpoint.URL)

	app.AddMember(t, "bo@acme.test", nil)
	for range 5 { // the default lockout threshold
		app.Post(t, app.Browser(t), "/login", url.Values{"organisation": {"Acme"}, "email": {"bo@acme.test"}, "password": {"wrong"}})
	}
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	if resp, _ := app.Get(t, c, "/whoami"); resp.StatusCode != http.StatusOK {
		t.Fatalf("whoami: %d", resp.StatusCode)
	}
	secret := registerPortal(t, app)
	token := app.URL + "/o/" + app.Org.URLName + "/oauth/token"
	if code := grant(t, token, secret.ClientID, secret.Secret); code != http.StatusOK {
		t.Fatalf("client credentials: %d", code)
	}
	if code := grant(t, token, secret.ClientID, "wrong"); code != http.StatusUnauthorized && code != http.StatusBadRequest {
		t.Fatalf("client credentials with a wrong secret: %d", code)
	}

	after := scrape(t, endpoint.URL)
	moved := func(series string, want float64) {
		t.Helper()
		if _, ok := after[series]; !ok {
			t.Errorf("%s: not exposed", series)
		} else if got := after[series] - before[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	moved(`ims_signins_total{method="password",outcome="success"}`, 1)
	moved(`ims_signins_total{method="password",outcome="failure"}`, 4)
	moved(`ims_signins_total{method="password",outcome="locked"}`, 1)
	moved(`ims_lockouts_total`, 1)
	moved(`ims_http_requests_total{code="303",route="POST /login"}`, 1)
	moved(`ims_http_requests_total{code="401",route="POST /login"}`, 4)
	moved(`ims_http_requests_total{code="423",route="POST /login"}`, 1)
	moved(`ims_http_requests_total{code="200",route="GET /whoami"}`, 1)
	moved(`ims_http_request_duration_seconds_count{route="POST /login"}`, 6)
	moved(`ims_http_requests_total{code="200",route="/o/{org}/oauth/token"}`, 1)
	moved(`ims_token_grants_total{grant_type="client_credentials",outcome="success"}`, 1)
	moved(`ims_token_grants_total{grant_type="client_credentials",outcome="invalid_client"}`, 1)
	moved(`ims_password_hash_wait_seconds_count`, after[`ims_password_hashes_total`]-before[`ims_password_hashes_total`])
	moved(`ims_sessions`, 1)
	if n := after[`ims_password_hashes_total`] - before[`ims_password_hashes_total`]; n < 6 {
		t.Errorf("password hashes moved by %v, want at least the 6 sign-in attempts'", n)
	}
	// The lockout's email waits in the outbox: no SMTP server here.
	if after[`ims_outbox_pending{outbox="mail"}`] < 1 {
		t.Errorf("mail outbox: %v waiting, want the lockout notice", after[`ims_outbox_pending{outbox="mail"}`])
	}
	for _, series := range []string{`ims_password_hash_slots`, `ims_password_hash_busy_slots`, `ims_password_hash_queue_length`,
		`ims_password_hash_rejected_total`, `ims_outbox_oldest_pending_age_seconds{outbox="sms"}`,
		`ims_outbox_pending{outbox="logout"}`, `go_goroutines`} {
		if _, ok := after[series]; !ok {
			t.Errorf("%s: not exposed", series)
		}
	}
	checkDashboard(t, after)
}

// checkDashboard checks that every series the Grafana dashboard and the
// alerting rules in deploy/ query is one the server exposes.
func checkDashboard(t *testing.T, exposed map[string]float64) {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/grafana/ims-login.json")
	if err != nil {
		t.Fatal(err)
	}
	var dashboard struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dashboard); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for series := range exposed {
		name, _, _ := strings.Cut(series, "{")
		names[name] = true
	}
	queried := 0
	for _, p := range dashboard.Panels {
		for _, target := range p.Targets {
			for _, name := range seriesName.FindAllString(target.Expr, -1) {
				queried++
				if !names[name] {
					t.Errorf("dashboard panel %q queries %s, which the server does not expose", p.Title, name)
				}
			}
		}
	}
	if queried < 20 {
		t.Errorf("the dashboard queries %d series, want its panels' queries", queried)
	}
	rules, err := os.ReadFile("../../deploy/prometheus/ims-alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range seriesName.FindAllString(string(rules), -1) {
		if !names[name] {
			t.Errorf("an alerting rule uses %s, which the server does not expose", name)
		}
	}
}

var seriesName = regexp.MustCompile(`\b(?:ims|go|process)_[a-z_]+`)

// TestMetricsAreNotOnThePublicListener: /metrics is served only by the
// metrics listener.
func TestMetricsAreNotOnThePublicListener(t *testing.T) {
	app := servertest.New(t, servertest.Options{Server: server.Options{Metrics: metrics.New()}})
	resp, body := app.Get(t, app.Browser(t), "/metrics")
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "ims_http_requests_total") {
		t.Errorf("public /metrics: %d", resp.StatusCode)
	}
}

func registerPortal(t *testing.T, app *servertest.App) portal.Credentials {
	t.Helper()
	svc := app.Server.Portals
	_, creds, err := svc.Create(context.Background(), portal.By{OrgID: app.Org.ID, Actor: "test"}, portal.Input{Name: "Reports",
		RedirectURIs: []string{"https://reports.acme.test/callback"}, Confidential: true, Access: store.PortalAccessAll})
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

func grant(t *testing.T, endpoint, clientID, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestMetricsCountThrottledAttempts: an attempt past the address's burst
// is answered 429 and counted under the limit that refused it.
func TestMetricsCountThrottledAttempts(t *testing.T) {
	m := metrics.New()
	app := servertest.New(t, servertest.Options{Server: server.Options{Metrics: m}, Config: func(c *config.Config) {
		c.ThrottleAddressPerMinute, c.ThrottleAddressBurst = 1, 1
	}})
	endpoint := httptest.NewServer(m.Handler())
	defer endpoint.Close()
	form := url.Values{"organisation": {"Acme"}, "email": {"ana@acme.test"}, "password": {"wrong"}}
	app.Post(t, app.Browser(t), "/login", form)
	if resp, _ := app.Post(t, app.Browser(t), "/login", form); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second attempt: %d, want 429", resp.StatusCode)
	}
	got := scrape(t, endpoint.URL)
	for series, want := range map[string]float64{
		`ims_throttled_requests_total{limit="address"}`:            1,
		`ims_throttled_requests_total{limit="organisation"}`:       0,
		`ims_signins_total{method="password",outcome="throttled"}`: 1,
		`ims_signins_total{method="password",outcome="failure"}`:   1,
		`ims_http_requests_total{code="429",route="POST /login"}`:  1,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
}
