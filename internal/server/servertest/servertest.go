// Package servertest runs the whole server over httptest on a fresh
// database, with an organisation and a member ready to sign in.
package servertest

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/membership"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/secretbox"
	"imslogin/internal/server"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// Password is the member's password in every test app.
const Password = "correct horse battery staple"

// App is a running server with its database and a member.
type App struct {
	URL    string
	DB     *sqlstore.DB
	Server *server.Server
	Org    store.Organisation
	Member store.Member
	Clock  *Clock

	cfg  config.Config
	opts server.Options
}

// Clock is a settable clock shared by the server and the test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Options change the app before it starts.
type Options struct {
	DB      *sqlstore.DB // default: a fresh SQLite database
	Config  func(*config.Config)
	Server  server.Options
	OrgName string // default "Acme"
}

// Secrets seals authenticator-app secrets in every test server, with one
// key made for the test process, as the nodes of a deployment share one.
var Secrets = func() *totp.Secrets {
	key := make([]byte, secretbox.KeySize)
	rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		panic(err)
	}
	return totp.NewSecrets(box)
}()

// FastConfig is a valid configuration with cheap hashing for tests, and
// throttling loose enough never to interfere; tests of throttling tighten it.
func FastConfig() config.Config {
	cfg := config.Default()
	cfg.Argon2MemoryKiB, cfg.Argon2Time = 8*1024, 1
	cfg.ThrottleAddressPerMinute, cfg.ThrottleAddressBurst = 1e6, 1e6
	cfg.ThrottleOrganisationPerMinute, cfg.ThrottleOrganisationBurst = 1e6, 1e6
	return cfg
}

// New starts an app; it stops when the test ends.
func New(t testing.TB, opts Options) *App {
	t.Helper()
	db := opts.DB
	if db == nil {
		db = sqltest.NewSQLite(t)
	}
	if opts.OrgName == "" {
		opts.OrgName = "Acme"
	}
	clock := &Clock{now: time.Now().UTC()}
	if opts.Server.Now == nil {
		opts.Server.Now = clock.Now
	}
	if opts.Server.Secrets == nil {
		opts.Server.Secrets = Secrets
	}
	ts := httptest.NewUnstartedServer(nil)
	cfg := FastConfig()
	cfg.PublicURL = "http://" + ts.Listener.Addr().String()
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(cfg, db, log, opts.Server)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler
	ts.Start()
	t.Cleanup(ts.Close)
	svc := &membership.Service{Store: db, Hasher: srv.Hasher, Now: opts.Server.Now}
	ctx := context.Background()
	org, err := svc.CreateOrganisation(ctx, opts.OrgName)
	if err != nil {
		t.Fatal(err)
	}
	member, err := svc.AddMember(ctx, membership.NewMember{Organisation: org.Name, Email: "ana@acme.test",
		Name: "Ana Lima", Role: store.RoleOwner, Password: Password, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return &App{URL: ts.URL, DB: db, Server: srv, Org: org, Member: member, Clock: clock, cfg: cfg, opts: opts.Server}
}

// Node starts another node of the app's deployment on db, a handle of its
// own on the app's database: the same configuration (public URL included,
// as behind a load balancer), secrets, clock and options. It returns the
// node's own address; it stops when the test ends.
func (a *App) Node(t testing.TB, db *sqlstore.DB) string {
	t.Helper()
	srv, err := server.New(a.cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), a.opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler)
	t.Cleanup(ts.Close)
	return ts.URL
}

// AddMember adds an active member with Password and a verified email, who
// signs in without further steps; edit may change that.
func (a *App) AddMember(t testing.TB, email string, edit func(*store.Member)) store.Member {
	t.Helper()
	hash, err := a.Server.Hasher.Hash(context.Background(), Password)
	if err != nil {
		t.Fatal(err)
	}
	m := store.Member{OrgID: a.Org.ID, Email: email, Name: "Member " + email, Role: store.RoleMember,
		Status: store.StatusActive, Licensed: true, EmailVerified: true, PasswordHash: hash, CreatedAt: a.Clock.Now()}
	if edit != nil {
		edit(&m)
	}
	if err := a.DB.CreateMember(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
func (a *App) Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Post sends a form as a browser on this site would.
func (a *App) Post(t testing.TB, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, body, err := a.TryPost(c, path, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TryPost is Post returning an error instead of failing the test, for
// goroutines other than the test's, which must not call t.Fatal.
func (a *App) TryPost(c *http.Client, path string, form url.Values) (*http.Response, string, error) {
	req, _ := http.NewRequest(http.MethodPost, a.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// Get fetches a page.
func (a *App) Get(t testing.TB, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.URL+path, nil)
	return do(t, c, req)
}

// SignIn signs the member in with the client and fails the test otherwise.
func (a *App) SignIn(t testing.TB, c *http.Client, email string) {
	t.Helper()
	resp, body := a.Post(t, c, "/login", url.Values{"organisation": {a.Org.Name}, "email": {email}, "password": {Password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign in %s: %d %s\n%s", email, resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

func do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// RunLogouts runs the server's back-channel logout worker until the test
// ends, as ims serve's lifecycle does, but checking the outbox every poll
// instead of every second, so a test waiting for a portal to be told is
// not slowed. It runs a copy: tests may still call RunOnce on the server's.
func (a *App) RunLogouts(t testing.TB, poll time.Duration) {
	t.Helper()
	w := *a.Server.Logouts
	w.Poll = poll
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}
