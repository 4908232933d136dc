package servertest

// Env is a second way to run the server, for tests that need several
// servers on one database (nodes), organisations of their own, a fixed
// clock, or clients that send their own headers (a proxy's, a user agent).

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/membership"
	"imslogin/internal/password"
	"imslogin/internal/server"
	"imslogin/internal/store"
)

// NewClock is a clock at a fixed time: 10:00 UTC on 21 November 2026.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)} }

// Config is FastConfig for an Env: two hashing slots that callers wait for
// as long as it takes (tests that count answers must not see a 503 on a
// busy machine), and a public URL.
func Config() config.Config {
	cfg := FastConfig()
	cfg.DatabaseURL = "sqlite:unused"
	cfg.PublicURL = "http://127.0.0.1"
	cfg.HashWorkers, cfg.HashQueueTimeout = 2, 30*time.Second
	return cfg
}

// Env is one running server.
type Env struct {
	t      testing.TB
	DB     server.Database
	Server *server.Server
	HTTP   *httptest.Server
	Clock  *Clock
}

// Start runs a server on db with cfg, using clock (a new one if nil).
func Start(t testing.TB, db server.Database, cfg config.Config, clock *Clock) *Env {
	t.Helper()
	if clock == nil {
		clock = NewClock()
	}
	srv, err := server.New(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{Now: clock.Now, Secrets: Secrets})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(hs.Close)
	return &Env{t: t, DB: db, Server: srv, HTTP: hs, Clock: clock}
}

// NewOrganisation creates an organisation with settings changed by edit.
func NewOrganisation(t testing.TB, db store.Store, name string, edit func(*store.OrganisationSettings)) store.Organisation {
	t.Helper()
	o := store.Organisation{Name: name, Settings: store.DefaultOrganisationSettings(), CreatedAt: NewClock().Now()}
	if edit != nil {
		edit(&o.Settings)
	}
	if err := db.CreateOrganisation(context.Background(), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// AddMember adds an active member whose password is Password.
func AddMember(t testing.TB, db store.Store, org store.Organisation, email, name string) store.Member {
	t.Helper()
	hasher, err := password.NewHasher(server.PasswordParams(Config()), 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	svc := &membership.Service{Store: db, Hasher: hasher, Now: NewClock().Now}
	m, err := svc.AddMember(context.Background(), membership.NewMember{Organisation: org.Name, Email: email, Name: name,
		Role: store.RoleMember, Password: Password, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Client is a browser: it keeps cookies and does not follow redirects.
type Client struct {
	t         testing.TB
	base      string
	http      *http.Client
	UserAgent string
	// Header is sent with every request (a proxy's X-Forwarded-For, say).
	Header http.Header
}

// Client returns a new browser for this server.
func (e *Env) Client() *Client { return NewClient(e.t, e.HTTP.URL) }

// NewClient returns a new browser for the site at base, such as a proxy
// in front of several nodes.
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: base, UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		Header: http.Header{}, http: &http.Client{Jar: jar, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// On returns a client for another server sharing this client's cookies,
// as a load balancer would send one browser to several nodes.
func (c *Client) On(e *Env) *Client {
	other := *c
	other.base = e.HTTP.URL
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(c.base)
	jar.SetCookies(mustParse(e.HTTP.URL), c.http.Jar.Cookies(u))
	other.http = &http.Client{Jar: jar, Timeout: c.http.Timeout, CheckRedirect: c.http.CheckRedirect}
	return &other
}

func mustParse(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

// Response is an answer with its body read.
type Response struct {
	*http.Response
	Body string
}

// Do sends a request; a failure to get any answer fails the test.
func (c *Client) Do(method, path string, form url.Values) *Response {
	c.t.Helper()
	r, err := c.Try(method, path, form)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// Try sends a request and returns an error instead of failing the test,
// for use from several goroutines.
func (c *Client) Try(method, path string, form url.Values) (*Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", c.UserAgent)
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return &Response{Response: resp, Body: string(b)}, err
}

// Get fetches a page.
func (c *Client) Get(path string) *Response { return c.Do("GET", path, nil) }

// Post sends a form.
func (c *Client) Post(path string, form url.Values) *Response { return c.Do("POST", path, form) }

// SignInForm is the sign-in form's fields.
func SignInForm(organisation, email, pw string) url.Values {
	return url.Values{"organisation": {organisation}, "email": {email}, "password": {pw}}
}

// SignIn signs in and fails the test unless it succeeds.
func (c *Client) SignIn(organisation, email string) {
	c.t.Helper()
	r := c.Post("/login", SignInForm(organisation, email, Password))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard" {
		c.t.Fatalf("sign in as %s: %d %s\n%s", email, r.StatusCode, r.Header.Get("Location"), r.Body)
	}
}

// Cookie returns the value of the named cookie the client holds.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// SetCookie replaces the value of a cookie, as an attacker replaying one would.
func (c *Client) SetCookie(name, value string) {
	u, _ := url.Parse(c.base)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
