package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"imslogin/internal/audit"
	"imslogin/internal/benchseed"
	"imslogin/internal/linkmail"
	"imslogin/internal/mail"
	"imslogin/internal/mail/mailtest"
	"imslogin/internal/membership"
	"imslogin/internal/oidc"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// deployment is three nodes of ims on one PostgreSQL database behind a
// round-robin proxy, each node with its own connection pool, its own
// background workers (the lifecycle ims serve runs) and its own clock,
// all delivering mail to one SMTP server.
type deployment struct {
	url     string // the proxy: the public URL
	nodes   []*node
	db      *sqlstore.DB // the test's own handle, for reading
	clock   *servertest.Clock
	smtp    *mailtest.Server
	org     store.Organisation
	members *membership.Service
}

// node is one server and what it did.
type node struct {
	srv      *server.Server
	served   atomic.Int64 // requests answered
	mailSent atomic.Int64 // messages its mail worker delivered
}

// countingSender counts the messages a node's mail worker delivered.
type countingSender struct {
	mail.Sender
	sent *atomic.Int64
}

func (s countingSender) Send(ctx context.Context, msgs []store.MailMessage, done func(i int, err error) error) error {
	return s.Sender.Send(ctx, msgs, func(i int, err error) error {
		if err == nil {
			s.sent.Add(1)
		}
		return done(i, err)
	})
}

// lockoutThreshold is the organisation's own, not the default, so the
// lock is seen to come from its settings.
const lockoutThreshold = 7

// unlinkedAtStart are profiles past their removal limit when the nodes
// start, for the clean-up each node runs as it starts.
const unlinkedAtStart = 12

// startDeployment seeds the database, starts the proxy's listener (its
// address is the public URL every node is configured with), then the
// three nodes.
func startDeployment(t *testing.T) *deployment {
	t.Helper()
	database := sqltest.NewPostgresDatabase(t)
	d := &deployment{db: sqltest.Open(t, database), clock: servertest.NewClock(),
		smtp: mailtest.StartWith(t, mailtest.Options{Relay: true})}
	ctx := context.Background()
	d.org = store.Organisation{Name: "Acme", URLName: "acme", Settings: store.DefaultOrganisationSettings(), Licences: 1000,
		CreatedAt: d.clock.Now()}
	d.org.Settings.LockoutThreshold = lockoutThreshold
	if err := d.db.CreateOrganisation(ctx, &d.org); err != nil {
		t.Fatal(err)
	}
	d.seedUnlinked(t, "start", unlinkedAtStart)

	proxy := httptest.NewUnstartedServer(nil)
	d.url = "http://" + proxy.Listener.Addr().String()
	cfg := servertest.Config()
	cfg.DatabaseURL, cfg.PublicURL = database, d.url
	cfg.SMTPURL, cfg.MailFrom = d.smtp.URL, "IMS Login <login@ims.example>"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var targets []*url.URL
	for i := range 3 {
		db := sqltest.Open(t, database)
		// Each node's clock is its own, as separate machines' are: a
		// millisecond or three ahead of the test's.
		now := func() time.Time { return d.clock.Now().Add(time.Duration(i+1) * time.Millisecond) }
		srv, err := server.New(cfg, db, log, server.Options{Now: now, Secrets: servertest.Secrets})
		if err != nil {
			t.Fatal(err)
		}
		n := &node{srv: srv}
		srv.Mail.Sender = countingSender{srv.Mail.Sender, &n.mailSent}
		srv.Mail.Poll = 50 * time.Millisecond
		inner := srv.Handler
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.served.Add(1)
			inner.ServeHTTP(w, r)
		})
		targets = append(targets, serveNode(t, srv, db))
		d.nodes = append(d.nodes, n)
	}
	var next atomic.Uint64
	proxy.Config.Handler = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targets[(next.Add(1)-1)%uint64(len(targets))])
			r.Out.Host = r.In.Host // the public host, as a load balancer keeps it
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 100},
	}
	proxy.Start()
	t.Cleanup(proxy.Close)
	d.members = &membership.Service{Store: d.db, Now: d.clock.Now, Invitations: &linkmail.Sender{PublicURL: d.url,
		InvitationLifetime: cfg.InvitationLifetime, Now: d.clock.Now}}
	return d
}

// serveNode serves srv on 127.0.0.1 with its workers, as ims serve does, until
// the test ends; the lifecycle closes db.
func serveNode(t *testing.T, srv *server.Server, db *sqlstore.DB) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Lifecycle(db).Run(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("node %s: %v", ln.Addr(), err)
		}
	})
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// seedUnlinked adds n invited members registered long enough ago for the
// clean-up to remove them.
func (d *deployment) seedUnlinked(t *testing.T, batch string, n int) {
	t.Helper()
	ctx := context.Background()
	old := d.clock.Now().Add(-31 * 24 * time.Hour)
	for i := range n {
		m := store.Member{OrgID: d.org.ID, Email: fmt.Sprintf("unlinked-%s-%d@acme.test", batch, i), Name: "Unlinked",
			Role: store.RoleMember, Status: store.StatusInvited, Licensed: true, CreatedAt: old}
		if err := d.db.CreateMember(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if err := d.db.PutRegistration(ctx, store.Registration{OrgID: d.org.ID, MemberID: m.ID, Email: m.Email, SentAt: old,
			ExpiresAt: old, CountFrom: old}); err != nil {
			t.Fatal(err)
		}
	}
}

// client is a browser of the public site: each of its requests goes to
// the next node.
func (d *deployment) client(t *testing.T) *servertest.Client { return servertest.NewClient(t, d.url) }

// race sends n requests at once and counts the answers by status.
func race(t *testing.T, n int, send func(i int) (int, error)) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, err := send(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			statuses[status]++
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

// post is a concurrent form post by c, answering its status.
func post(c *servertest.Client, path string, form url.Values) func(int) (int, error) {
	return func(int) (int, error) {
		r, err := c.Try(http.MethodPost, path, form)
		if err != nil {
			return 0, err
		}
		return r.StatusCode, nil
	}
}

// auditCount counts the organisation's audit entries of kind about email.
func (d *deployment) auditCount(t *testing.T, kind, email string) int {
	t.Helper()
	list, err := d.db.AuditEvents(context.Background(), d.org.ID, store.AuditFilter{Kind: kind, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// outbox lists the organisation's queued messages.
func (d *deployment) outbox(t *testing.T) []store.MailMessage {
	t.Helper()
	msgs, err := d.db.OrganisationMail(context.Background(), d.org.ID, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// received waits for the SMTP server to receive a message to to whose
// subject has subject in it, and returns it.
func (d *deployment) received(t *testing.T, to, subject string) mailtest.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, m := range d.smtp.To(to) {
			if strings.Contains(m.Subject, subject) {
				return m
			}
		}
	}
	t.Fatalf("no message %q reached %s", subject, to)
	return mailtest.Message{}
}

var linkToken = regexp.MustCompile(`[?&]token=([A-Za-z0-9_-]+)`)

// tokenIn is the token of the link in a message.
func tokenIn(t *testing.T, m mailtest.Message) string {
	t.Helper()
	match := linkToken.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no link in %q:\n%s", m.Subject, m.Text)
	}
	return match[1]
}

// TestThreeNodesBehindARoundRobinProxy runs three nodes (each its own
// server, connection pool and background workers) on one PostgreSQL
// database behind a reverse proxy that sends each request to the next
// node, and checks through the proxy that what must happen once happens
// once: the lockout at exactly the organisation's threshold, each
// single-use link and code redeemed once, each code of single sign-on
// exchanged once and each refresh token rotated once, one signing key
// made and one rotation, each clean-up removal done once, and every
// queued email delivered exactly once.
func TestThreeNodesBehindARoundRobinProxy(t *testing.T) {
	d := startDeployment(t)
	t.Run("lockout exact at the threshold", d.lockout)
	t.Run("reset link redeemed once", d.resetLink)
	t.Run("invitation link redeemed once", d.invitationLink)
	t.Run("email verification code redeemed once", d.emailCode)
	t.Run("single sign-on codes and refresh tokens once", d.singleSignOn)
	t.Run("clean-up removes each profile once", d.cleanup)
	t.Run("signing key rotated once", d.keyRotation)
	t.Run("every message delivered once", d.mailOnce)
	for i, n := range d.nodes {
		t.Logf("node %d answered %d requests and delivered %d messages", i, n.served.Load(), n.mailSent.Load())
		if n.served.Load() == 0 {
			t.Errorf("node %d answered nothing: the proxy does not spread requests", i)
		}
	}
}

// lockout: 40 wrong passwords for one member at once, spread over the
// nodes: exactly threshold-1 are told the password is wrong, every other
// is told the account is locked; exactly threshold passwords are checked,
// the lock is recorded and emailed once.
func (d *deployment) lockout(t *testing.T) {
	const attempts = 40
	servertest.AddMember(t, d.db, d.org, "lock@acme.test", "Lou Locked")
	statuses := race(t, attempts, func(int) (int, error) {
		r, err := d.client(t).Try(http.MethodPost, "/login", servertest.SignInForm("Acme", "lock@acme.test", wrong))
		if err != nil {
			return 0, err
		}
		return r.StatusCode, nil
	})
	if statuses[http.StatusUnauthorized] != lockoutThreshold-1 || statuses[http.StatusLocked] != attempts-(lockoutThreshold-1) {
		t.Errorf("answers %v: want exactly %d × 401 and %d × 423", statuses, lockoutThreshold-1, attempts-(lockoutThreshold-1))
	}
	details := map[string]int{}
	list, err := d.db.AuditEvents(context.Background(), d.org.ID, store.AuditFilter{Kind: audit.SigninFailure, Email: "lock@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		details[e.Detail]++
	}
	if details["wrong password"] != lockoutThreshold || details["account locked"] != attempts-lockoutThreshold {
		t.Errorf("failure entries %v: want %d passwords checked and %d refused unchecked", details, lockoutThreshold, attempts-lockoutThreshold)
	}
	if n := d.auditCount(t, audit.Lockout, "lock@acme.test"); n != 1 {
		t.Errorf("%d lockout entries, want 1", n)
	}
	locked := 0
	for _, m := range d.outbox(t) {
		if m.Kind == mail.AccountLocked && m.To == "lock@acme.test" {
			locked++
		}
	}
	if locked != 1 {
		t.Errorf("%d account-locked emails, want 1", locked)
	}
	for range d.nodes {
		if r := signInAs(d.client(t), "Acme", "lock@acme.test", servertest.Password); r.StatusCode != http.StatusLocked {
			t.Errorf("the right password after the lock: %d, want 423", r.StatusCode)
		}
	}
}

// redeemOnce sends a link's form 30 times at once, each from a browser of
// its own, and wants exactly one to succeed (a redirect to want) and every
// other to be told the link was used (410).
func (d *deployment) redeemOnce(t *testing.T, path, token, want string) {
	t.Helper()
	const tries = 30
	pw := "violet mango tractor glacier"
	var mu sync.Mutex
	var places []string
	statuses := race(t, tries, func(int) (int, error) {
		r, err := d.client(t).Try(http.MethodPost, path, url.Values{"token": {token}, "password": {pw}, "password_confirm": {pw}})
		if err != nil {
			return 0, err
		}
		if r.StatusCode == http.StatusSeeOther {
			mu.Lock()
			places = append(places, r.Header.Get("Location"))
			mu.Unlock()
		}
		return r.StatusCode, nil
	})
	if statuses[http.StatusSeeOther] != 1 || statuses[http.StatusGone] != tries-1 {
		t.Errorf("%d uses of one link at once: %v, want one 303 and %d × 410", tries, statuses, tries-1)
	}
	if len(places) == 1 && !strings.HasPrefix(places[0], want) {
		t.Errorf("the use that worked went to %s, want %s", places[0], want)
	}
}

// resetLink: a reset link used 30 times at once sets the password once,
// with one audit entry and one "password changed" notice.
func (d *deployment) resetLink(t *testing.T) {
	servertest.AddMember(t, d.db, d.org, "reset@acme.test", "Rae Reset")
	if r := d.client(t).Post("/forgot-password", url.Values{"organisation": {"Acme"}, "email": {"reset@acme.test"}}); r.StatusCode != http.StatusOK {
		t.Fatalf("forgot password: %d", r.StatusCode)
	}
	d.redeemOnce(t, "/reset-password", tokenIn(t, d.received(t, "reset@acme.test", "Reset your IMS Login password")), "/login?organisation=")
	if n := d.auditCount(t, audit.PasswordReset, "reset@acme.test"); n != 1 {
		t.Errorf("%d password-reset entries, want 1", n)
	}
	d.wantQueued(t, mail.PasswordChanged, "reset@acme.test", 1)
}

// invitationLink: an invitation used 30 times at once is accepted once.
func (d *deployment) invitationLink(t *testing.T) {
	if _, err := d.members.AddMember(context.Background(), membership.NewMember{Organisation: "Acme", Email: "new@acme.test",
		Name: "Nia New", Role: store.RoleMember}); err != nil {
		t.Fatal(err)
	}
	d.redeemOnce(t, "/invitation", tokenIn(t, d.received(t, "new@acme.test", "You're invited")), "/dashboard")
	if n := d.auditCount(t, audit.InvitationAccept, "new@acme.test"); n != 1 {
		t.Errorf("%d invitation-accept entries, want 1", n)
	}
}

var codeInSubject = regexp.MustCompile(`verification code: (\d{6})$`)

// emailCode: the code proving a new address, sent by one browser five
// times at once (as many guesses as a code allows), changes the address
// once: one audit entry, one notice to the old address.
func (d *deployment) emailCode(t *testing.T) {
	servertest.AddMember(t, d.db, d.org, "old@acme.test", "Oli Moved")
	c := d.client(t)
	c.SignIn("Acme", "old@acme.test")
	if r := c.Post("/profile/email", url.Values{"action": {"change"}, "new_email": {"moved@acme.test"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change of address: %d\n%s", r.StatusCode, r.Body)
	}
	m := codeInSubject.FindStringSubmatch(d.received(t, "moved@acme.test", "verification code").Subject)
	if m == nil {
		t.Fatal("no code in the message")
	}
	statuses := race(t, 5, post(c, "/profile/email", url.Values{"action": {"verify"}, "code": {m[1]}}))
	if statuses[http.StatusSeeOther] != 1 {
		t.Errorf("5 uses of one code at once: %v, want exactly one 303", statuses)
	}
	if n := d.auditCount(t, audit.EmailChange, "old@acme.test"); n != 1 {
		t.Errorf("%d email-change entries, want 1", n)
	}
	d.wantQueued(t, mail.EmailChanged, "old@acme.test", 1)
}

// wantQueued checks how many messages of kind were queued for to.
func (d *deployment) wantQueued(t *testing.T, kind, to string, want int) {
	t.Helper()
	n := 0
	for _, m := range d.outbox(t) {
		if m.Kind == kind && m.To == to {
			n++
		}
	}
	if n != want {
		t.Errorf("%d %s messages to %s, want %d", n, kind, to, want)
	}
}

// singleSignOn: the organisation's first signing key is made once though
// 30 nodes' requests ask for it at once; of 30 exchanges of one code, and
// of 50 uses of one refresh token, exactly one gets tokens.
func (d *deployment) singleSignOn(t *testing.T) {
	ctx := context.Background()
	if err := benchseed.SeedPortal(ctx, d.db, d.org.ID); err != nil {
		t.Fatal(err)
	}
	issuer := d.url + "/o/acme"
	jwks := d.keysAtOnce(t, issuer, 30)
	if keys, _ := d.db.SigningKeys(ctx, d.org.ID); len(keys) != 1 || len(jwks) != 1 {
		t.Errorf("first use of single sign-on on three nodes at once: %d keys stored, %d sets published; want one key", len(keys), len(jwks))
	}
	c := d.client(t)
	servertest.AddMember(t, d.db, d.org, "sso@acme.test", "Sam Portal")
	c.SignIn("Acme", "sso@acme.test")

	code, verifier := d.authorize(t, c, issuer)
	wins, losers := tokensAtOnce(t, issuer, 30, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {benchseed.PortalRedirectURI}, "code_verifier": {verifier}})
	if len(wins) != 1 || losers[http.StatusBadRequest] != 29 {
		t.Errorf("30 exchanges of one code at once: %d got tokens, others %v; want 1 and 29 × 400", len(wins), losers)
	}

	// The losers revoked the winner's tokens (a code used twice): a fresh
	// code gives the refresh token to race with.
	code, verifier = d.authorize(t, c, issuer)
	wins, _ = tokensAtOnce(t, issuer, 1, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {benchseed.PortalRedirectURI}, "code_verifier": {verifier}})
	if len(wins) != 1 {
		t.Fatal("a code exchanged alone got no tokens")
	}
	refresh, _ := wins[0]["refresh_token"].(string)
	wins, losers = tokensAtOnce(t, issuer, 50, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if len(wins) != 1 || losers[http.StatusBadRequest] != 49 {
		t.Errorf("50 uses of one refresh token at once: %d got tokens, others %v; want 1 and 49 × 400", len(wins), losers)
	}
}

// authorize asks for a code with PKCE as the signed-in browser c,
// following the redirects through the proxy.
func (d *deployment) authorize(t *testing.T, c *servertest.Client, issuer string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	q := url.Values{"client_id": {benchseed.PortalClientID}, "redirect_uri": {benchseed.PortalRedirectURI},
		"response_type": {"code"}, "scope": {"openid email offline_access"}, "state": {"s"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	target := strings.TrimPrefix(issuer, d.url) + "/authorize?" + q.Encode()
	for range 5 {
		r := c.Get(target)
		target = r.Header.Get("Location")
		if strings.HasPrefix(target, benchseed.PortalRedirectURI) {
			u, _ := url.Parse(target)
			return u.Query().Get("code"), verifier
		}
		if target = strings.TrimPrefix(target, d.url); !strings.HasPrefix(target, "/") {
			t.Fatalf("authorize: %d to %q\n%s", r.StatusCode, target, r.Body)
		}
	}
	t.Fatalf("no code: last answer to %s", target)
	return "", ""
}

// tokensAtOnce sends n copies of one token request at once; it returns
// the answers with tokens and counts the others by status.
func tokensAtOnce(t *testing.T, issuer string, n int, form url.Values) ([]map[string]any, map[int]int) {
	t.Helper()
	var mu sync.Mutex
	var wins []map[string]any
	statuses := race(t, n, func(int) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(benchseed.PortalClientID, benchseed.PortalSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			var tokens map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil {
				return 0, err
			}
			mu.Lock()
			wins = append(wins, tokens)
			mu.Unlock()
		}
		return resp.StatusCode, nil
	})
	delete(statuses, http.StatusOK)
	return wins, statuses
}

// keysAtOnce fetches the organisation's JWKS n times at once and returns
// the distinct sets of key IDs published.
func (d *deployment) keysAtOnce(t *testing.T, issuer string, n int) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	sets := map[string]bool{}
	statuses := race(t, n, func(int) (int, error) {
		resp, err := http.Get(issuer + "/keys")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var jwks struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
			return 0, err
		}
		var ids []string
		for _, k := range jwks.Keys {
			ids = append(ids, k.Kid)
		}
		slices.Sort(ids)
		mu.Lock()
		sets[strings.Join(ids, " ")] = true
		mu.Unlock()
		return resp.StatusCode, nil
	})
	if statuses[http.StatusOK] != n {
		t.Errorf("JWKS answers %v, want %d × 200", statuses, n)
	}
	return sets
}

// cleanup: the profiles past their limit when the nodes started were
// removed once each by the clean-up every node runs as it starts; a
// second batch, cleaned by all three nodes at once, too.
func (d *deployment) cleanup(t *testing.T) {
	ctx := context.Background()
	gone := func() bool {
		list, err := d.db.UnlinkedPastLimit(ctx, d.clock.Now(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(list) == 0
	}
	for deadline := time.Now().Add(10 * time.Second); !gone(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the nodes' clean-up did not remove the profiles past their limit")
		}
	}
	if n := d.auditCount(t, audit.UnlinkedRemoval, ""); n != unlinkedAtStart {
		t.Errorf("%d removal entries for %d profiles, want one each", n, unlinkedAtStart)
	}
	const batch = 30
	d.seedUnlinked(t, "later", batch)
	var removed, ran atomic.Int64
	var wg sync.WaitGroup
	for _, n := range d.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, did, err := n.srv.Cleanup.RunOnce(ctx)
			if err != nil {
				t.Errorf("clean-up: %v", err)
			}
			removed.Add(int64(r))
			if did {
				ran.Add(1)
			}
		}()
	}
	wg.Wait()
	if removed.Load() != batch || !gone() {
		t.Errorf("three nodes' clean-up at once removed %d of %d profiles", removed.Load(), batch)
	}
	if n := d.auditCount(t, audit.UnlinkedRemoval, ""); n != unlinkedAtStart+batch {
		t.Errorf("%d removal entries for %d profiles, want one each", n, unlinkedAtStart+batch)
	}
	t.Logf("clean-up at once on three nodes: ran on %d, removed %d", ran.Load(), removed.Load())
}

// keyRotation: when the signing key is due for rotation, 30 requests for
// the JWKS at once on the three nodes schedule one next key.
func (d *deployment) keyRotation(t *testing.T) {
	ctx := context.Background()
	before, err := d.db.SigningKeys(ctx, d.org.ID)
	if err != nil || len(before) != 1 {
		t.Fatalf("keys before the rotation: %d, %v; want one", len(before), err)
	}
	d.clock.Advance(oidc.KeyPeriod - oidc.KeyPrepublish + time.Hour)
	jwks := d.keysAtOnce(t, d.url+"/o/acme", 30)
	after, err := d.db.SigningKeys(ctx, d.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 2 || len(jwks) != 1 {
		t.Errorf("rotation due on three nodes at once: %d keys stored, %d sets published; want the key and one next", len(after), len(jwks))
	}
}

// mailOnce: 60 invitations queued at once while every node's worker
// delivers; then every message the organisation ever queued (those of
// the checks above too) reached the SMTP server exactly once.
func (d *deployment) mailOnce(t *testing.T) {
	const invitations = 60
	var wg sync.WaitGroup
	for i := range invitations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := d.members.AddMember(context.Background(), membership.NewMember{Organisation: "Acme",
				Email: fmt.Sprintf("invited-%d@acme.test", i), Name: "Invited", Role: store.RoleMember}); err != nil {
				t.Errorf("invite: %v", err)
			}
		}()
	}
	wg.Wait()
	queued := d.outbox(t)
	for deadline := time.Now().Add(20 * time.Second); len(d.smtp.Messages()) < len(queued); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(200 * time.Millisecond) // a message sent twice would arrive by now
	received := map[string]int{}
	for _, m := range d.smtp.Messages() {
		id, _, _ := strings.Cut(strings.TrimPrefix(m.MessageID, "<"), "@")
		received[id]++
	}
	var missing, twice []string
	for _, m := range d.outbox(t) {
		switch received[m.MessageID] {
		case 1:
		case 0:
			missing = append(missing, m.Kind+" to "+m.To)
		default:
			twice = append(twice, fmt.Sprintf("%s to %s (%d times)", m.Kind, m.To, received[m.MessageID]))
		}
		if m.Status != store.MailSent {
			t.Errorf("%s to %s is %s, want sent", m.Kind, m.To, m.Status)
		}
	}
	if len(missing) > 0 || len(twice) > 0 || len(received) != len(queued) || len(d.smtp.Messages()) != len(queued) {
		t.Errorf("%d messages queued, %d received (%d distinct); missing %v; more than once %v",
			len(queued), len(d.smtp.Messages()), len(received), missing, twice)
	}
	var sent int64
	for _, n := range d.nodes {
		sent += n.mailSent.Load()
	}
	if sent != int64(len(queued)) {
		t.Errorf("the workers report %d deliveries of %d messages", sent, len(queued))
	}
	t.Logf("%d messages queued, each received once", len(queued))
}
