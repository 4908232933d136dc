package recovery_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/linkmail"
	"imslogin/internal/mail"
	"imslogin/internal/mail/mailtest"
	"imslogin/internal/membership"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// env is a whole server on SQLite with a real SMTP server behind its outbox.
type env struct {
	t      *testing.T
	db     *sqlstore.DB
	clk    *servertest.Clock
	url    string // the configured public URL
	smtp   *mailtest.Server
	worker *mail.Worker
	svc    *membership.Service
	org    store.Organisation
}

const (
	orgName     = "Acme Research"
	memberEmail = "ana@acme.test"
	oldPassword = "plum umbrella quarry sunrise"
	newPassword = "violet mango tractor glacier"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, db: sqltest.NewSQLite(t), clk: servertest.NewClock()}
	ts := httptest.NewUnstartedServer(nil)
	e.url = "http://" + ts.Listener.Addr().String()
	cfg := config.Default()
	cfg.PublicURL = e.url
	cfg.Argon2MemoryKiB, cfg.Argon2Time = 8*1024, 1
	srv, err := server.New(cfg, e.db, slog.New(slog.DiscardHandler), server.Options{Now: e.clk.Now, Secrets: servertest.Secrets})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler
	ts.Start()
	t.Cleanup(ts.Close)

	e.smtp = mailtest.Start(t)
	sender, err := mail.NewSMTP(e.smtp.URL, "IMS Login <login@ims.example>", mail.WithTLSConfig(e.smtp.ClientTLS))
	if err != nil {
		t.Fatal(err)
	}
	e.worker = &mail.Worker{Store: e.db, Sender: sender, Now: e.clk.Now}
	e.svc = &membership.Service{Store: e.db, Hasher: srv.Hasher, Now: e.clk.Now,
		Invitations: &linkmail.Sender{PublicURL: e.url, InvitationLifetime: cfg.InvitationLifetime, Now: e.clk.Now}}
	if e.org, err = e.svc.CreateOrganisation(context.Background(), orgName); err != nil {
		t.Fatal(err)
	}
	e.addMember(memberEmail, oldPassword)
	return e
}

func (e *env) addMember(email, pw string) store.Member {
	e.t.Helper()
	m, err := e.svc.AddMember(context.Background(), membership.NewMember{Organisation: orgName, Email: email,
		Name: "Ana Lima", Role: store.RoleMember, Password: pw, EmailVerified: pw != ""})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// deliver runs the mail worker until the outbox is empty and returns the
// messages received for to since the last call.
func (e *env) deliver(to string) []mailtest.Message {
	e.t.Helper()
	for range 100 {
		r, err := e.worker.RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if r == (mail.Round{}) {
			break
		}
	}
	return e.smtp.To(to)
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkIn returns the one link in a message's text, checking the HTML has it too.
func (e *env) linkIn(m mailtest.Message) string {
	e.t.Helper()
	links := linkPattern.FindAllString(m.Text, -1)
	if len(links) != 1 {
		e.t.Fatalf("message %q has links %v, want one", m.Subject, links)
	}
	if !strings.HasPrefix(links[0], e.url+"/") {
		e.t.Errorf("link %s is not on the configured address %s", links[0], e.url)
	}
	if !strings.Contains(m.HTML, strings.ReplaceAll(links[0], "&", "&amp;")) {
		e.t.Errorf("the HTML part lacks the link %s", links[0])
	}
	return links[0]
}

// browser is a client with its own cookies that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(target string) page {
	b.e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.e.url + target
	}
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	return b.postHost(path, "", form)
}

// postHost posts with a Host header of the caller's choosing.
func (b *browser) postHost(path, host string, form url.Values) page {
	b.e.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = b.e.url + path
	}
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if host != "" {
		req.Host = host
	}
	return b.do(req)
}

func (b *browser) signIn(pw string) page {
	b.e.t.Helper()
	return b.post("/login", url.Values{"organisation": {orgName}, "email": {memberEmail}, "password": {pw}})
}

// signedIn reports whether the browser's session reaches the Dashboard.
func (b *browser) signedIn() bool {
	b.e.t.Helper()
	return b.get("/dashboard").status == http.StatusOK
}

// setPassword sends the form a link opened, with the token it carries.
func (b *browser) setPassword(link, pw, confirm string) page {
	b.e.t.Helper()
	u, _ := url.Parse(link)
	return b.post(u.Path, url.Values{"token": {u.Query().Get("token")}, "password": {pw}, "password_confirm": {confirm}})
}
