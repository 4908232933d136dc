package loginservice_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"imslogin/internal/audit"
	"imslogin/internal/loginservice"
	"imslogin/internal/loginservice/loginservicetest"
	"imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

type chain struct {
	*loginservicetest.Chain
	app     *servertest.App
	jdoe    store.Member
	service store.LoginService
	admin   *loginservice.Service
}

func newChain(t *testing.T) *chain { return newChainOn(t, servertest.Options{}) }

func newChainOn(t *testing.T, opts servertest.Options) *chain {
	ch := loginservicetest.NewOn(t, opts)
	return &chain{Chain: ch, app: ch.App, jdoe: ch.JDoe, service: ch.Service, admin: ch.App.Server.LoginServices}
}

func (ch *chain) toCallback(t *testing.T, c *http.Client) string { return ch.ToCallback(t, c) }

func get(t *testing.T, c *http.Client, base, target string) (*http.Response, string) {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = base + target
	}
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// subjectOf reads the subject of the last refused account from the audit log.
func (ch *chain) deniedSubject(t *testing.T) string {
	t.Helper()
	events, err := ch.app.DB.AuditEvents(context.Background(), ch.app.Org.ID, store.AuditFilter{Kind: audit.LoginServiceDenied})
	if err != nil || len(events) == 0 {
		t.Fatalf("no login-service-denied entry: %v", err)
	}
	_, sub, _ := strings.Cut(events[0].Detail, "subject ")
	return sub
}

func (ch *chain) link(t *testing.T, m store.Member, subject string) {
	t.Helper()
	err := ch.app.DB.LinkIdentity(context.Background(), store.MemberIdentity{OrgID: ch.app.Org.ID, MemberID: m.ID,
		ServiceID: ch.service.ID, Subject: subject, Username: "jdoe@upstream.test", LinkedAt: ch.app.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
}

func whoAmI(t *testing.T, ch *chain, c *http.Client) string { return ch.WhoAmI(t, c) }

func TestSignInThroughAnotherOrganisation(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	callback := ch.toCallback(t, c)
	resp, body := get(t, c, ch.app.URL, callback)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Access Denied") ||
		!strings.Contains(body, "jdoe@upstream.test") || !strings.Contains(body, "NIH Network Login") ||
		!strings.Contains(body, "Step 2") {
		t.Fatalf("unlinked account: %d, want Access Denied naming the account and the service\n%s", resp.StatusCode, body)
	}
	if who := whoAmI(t, ch, c); strings.Contains(who, "ana@acme.test") {
		t.Fatalf("an unlinked account signed in: %s", who)
	}
	ch.link(t, ch.app.Member, ch.deniedSubject(t))

	c = ch.app.Browser(t)
	resp, body = get(t, c, ch.app.URL, ch.toCallback(t, c))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("linked account: %d %s, want the Dashboard\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if who := whoAmI(t, ch, c); !strings.Contains(who, "ana@acme.test") {
		t.Errorf("after the callback, /whoami says %q, want Ana of Acme", who)
	}
}

func TestNeverLinkedByMatchingEmail(t *testing.T) {
	ch := newChain(t)
	// An Acme member with the same email as the Upstream account.
	ch.app.AddMember(t, "jdoe@upstream.test", nil)
	c := ch.app.Browser(t)
	resp, body := get(t, c, ch.app.URL, ch.toCallback(t, c))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Access Denied") {
		t.Fatalf("an account whose email matches a member's: %d, want Access Denied\n%s", resp.StatusCode, body)
	}
	if who := whoAmI(t, ch, c); who != "" && strings.Contains(who, "acme") {
		t.Errorf("signed in by email: %s", who)
	}
}

// TestSameSubjectAtAnotherLoginServiceIsAnotherAccount: an identity is a
// login service and a subject: the subject linked to a member through one
// login service signs nobody in through another.
func TestSameSubjectAtAnotherLoginServiceIsAnotherAccount(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	if resp, _ := get(t, c, ch.app.URL, ch.toCallback(t, c)); resp.StatusCode != http.StatusForbidden {
		t.Fatal("want the first sign-in refused, to learn the subject")
	}
	other, err := ch.admin.Create(context.Background(), loginservice.By{OrgID: ch.app.Org.ID, Actor: "test"},
		loginservice.Input{Name: "Employee Login", Issuer: "https://employee.test", ClientID: "x", Secret: "y", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.app.DB.LinkIdentity(context.Background(), store.MemberIdentity{OrgID: ch.app.Org.ID, MemberID: ch.app.Member.ID,
		ServiceID: other.ID, Subject: ch.deniedSubject(t), Username: "ana", LinkedAt: ch.app.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	c = ch.app.Browser(t)
	if resp, body := get(t, c, ch.app.URL, ch.toCallback(t, c)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the subject through the login service it is not linked with: %d, want Access Denied\n%s", resp.StatusCode, body)
	}
	if who := whoAmI(t, ch, c); strings.Contains(who, "ana@acme.test") {
		t.Errorf("signed in as %s", who)
	}
}

func TestCallbackReplayedOrFromAnotherBrowser(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	callback := ch.toCallback(t, c)
	if resp, _ := get(t, c, ch.app.URL, callback); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unlinked callback: %d, want 403", resp.StatusCode)
	}
	ch.link(t, ch.app.Member, ch.deniedSubject(t))

	// The first sign-in's callback was used above: run another.
	c = ch.app.Browser(t)
	callback = ch.toCallback(t, c)
	thief := ch.app.Browser(t)
	if resp, body := get(t, thief, ch.app.URL, callback); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback in another browser: %d, want 400\n%s", resp.StatusCode, body)
	}
	if who := whoAmI(t, ch, thief); who != "" {
		t.Errorf("the other browser is signed in: %s", who)
	}

	c = ch.app.Browser(t)
	callback = ch.toCallback(t, c)
	if resp, _ := get(t, c, ch.app.URL, callback); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use of a callback: %d, want a sign-in", resp.StatusCode)
	}
	fresh := ch.app.Browser(t)
	for _, ck := range c.Jar.Cookies(mustURL(ch.app.URL + loginservice.CallbackPath("acme", ch.service.ID))) {
		fresh.Jar.SetCookies(mustURL(ch.app.URL+loginservice.CallbackPath("acme", ch.service.ID)), []*http.Cookie{ck})
	}
	if resp, body := get(t, fresh, ch.app.URL, callback); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d, want 400\n%s", resp.StatusCode, body)
	}
}

func TestCallbackForAnotherServiceRefused(t *testing.T) {
	ch := newChain(t)
	other, err := ch.admin.Create(context.Background(), loginservice.By{OrgID: ch.app.Org.ID, Actor: "test"},
		loginservice.Input{Name: "Employee Login", Issuer: ch.service.Issuer, ClientID: "x", Secret: "y", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	c := ch.app.Browser(t)
	callback := ch.toCallback(t, c)
	moved := strings.Replace(callback, loginservice.CallbackPath("acme", ch.service.ID), loginservice.CallbackPath("acme", other.ID), 1)
	if resp, body := get(t, c, ch.app.URL, moved); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("state of one service at another's callback: %d, want 400\n%s", resp.StatusCode, body)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestPortalSignInThroughALoginService: a portal sends a member to Acme's
// sign-in page; its login service button brings them back to the portal
// with a code.
func TestPortalSignInThroughALoginService(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	if resp, _ := get(t, c, ch.app.URL, ch.toCallback(t, c)); resp.StatusCode != http.StatusForbidden {
		t.Fatal("want the first sign-in refused, to learn the subject")
	}
	ch.link(t, ch.app.Member, ch.deniedSubject(t))
	portals := ch.app.Server.Portals
	p, _, err := portals.Create(context.Background(), portal.By{OrgID: ch.app.Org.ID, Actor: "test"}, portal.Input{Name: "Grants",
		RedirectURIs: []string{"http://127.0.0.1:9/cb"}, FirstParty: true, Access: store.PortalAccessAll})
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	q := url.Values{"client_id": {p.ClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"portal-state"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"}}
	c = ch.app.Browser(t)
	target := "/o/acme/authorize?" + q.Encode()
	var page string
	for range 5 {
		resp, body := get(t, c, ch.app.URL, target)
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
			page = body
			break
		}
		target = resp.Header.Get("Location")
	}
	button := regexp.MustCompile(`href="(/o/acme/login-services/\d+/start\?return_to=[^"]+)"`).FindStringSubmatch(page)
	if button == nil {
		t.Fatalf("the sign-in page the portal sent to has no login service button carrying the way back:\n%s", page)
	}
	callback := ch.ToCallbackFrom(t, c, html.UnescapeString(button[1]), ch.jdoe.Email)
	target = callback
	for range 6 {
		resp, body := get(t, c, ch.app.URL, target)
		loc := resp.Header.Get("Location")
		if m := regexp.MustCompile(`url=(http://127\.0\.0\.1:9/cb[^"]+)"`).FindStringSubmatch(body); m != nil {
			loc = html.UnescapeString(m[1])
		}
		if strings.HasPrefix(loc, "http://127.0.0.1:9/cb") {
			back, _ := url.Parse(loc)
			if back.Query().Get("code") == "" || back.Query().Get("state") != "portal-state" {
				t.Fatalf("back at the portal without a code: %s", loc)
			}
			return
		}
		if loc == "" {
			t.Fatalf("GET %s: %d\n%s", target, resp.StatusCode, body)
		}
		target = loc
	}
	t.Fatal("never back at the portal")
}

func TestButtonsStayAfterAWrongPassword(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	resp, body := ch.app.Post(t, c, "/o/acme/login?return_to=%2Fprofile",
		url.Values{"email": {ch.app.Member.Email}, "password": {"not the password"}, "return_to": {"/profile"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d, want 401\n%s", resp.StatusCode, body)
	}
	start := regexp.MustCompile(`href="/o/acme/login-services/\d+/start\?return_to=%2[fF]profile"`)
	if !strings.Contains(body, "NIH Network Login") || !start.MatchString(body) {
		t.Fatalf("the sign-in page shown again after a wrong password lacks the login service button:\n%s", body)
	}
}

// signInThrough signs in with the upstream account in a new browser and
// returns where the callback sends it.
func (ch *chain) signInThrough(t *testing.T) string {
	t.Helper()
	c := ch.app.Browser(t)
	resp, body := get(t, c, ch.app.URL, ch.toCallback(t, c))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d, want a redirect\n%s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

func TestExternalSignInsAndTheOrganisationsMFA(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testExternalMFA(t, newChain(t)) })
	t.Run("Postgres", func(t *testing.T) { testExternalMFA(t, newChainOn(t, servertest.Options{DB: sqltest.NewPostgres(t)})) })
}

func testExternalMFA(t *testing.T, ch *chain) {
	ctx := context.Background()
	c := ch.app.Browser(t)
	if resp, _ := get(t, c, ch.app.URL, ch.toCallback(t, c)); resp.StatusCode != http.StatusForbidden {
		t.Fatal("want the first sign-in refused, to learn the subject")
	}
	subject := ch.deniedSubject(t)
	ch.link(t, ch.app.Member, subject)
	policy := store.DefaultMFAPolicy()
	policy.Required = true
	if err := ch.app.DB.SetMFAPolicy(ctx, ch.app.Org.ID, policy); err != nil {
		t.Fatal(err)
	}
	if got := ch.signInThrough(t); got != "/login/mfa" {
		t.Fatalf("by default, with MFA required: sent to %q, want /login/mfa", got)
	}

	by := loginservice.By{OrgID: ch.app.Org.ID, Actor: "test"}
	if err := ch.admin.SetExternalMFA(ctx, by, false); err != nil {
		t.Fatal(err)
	}
	events, err := ch.app.DB.AuditEvents(ctx, ch.app.Org.ID, store.AuditFilter{Kind: audit.LoginServiceChange})
	if err != nil || len(events) == 0 || !strings.Contains(events[0].Detail, "skip the organisation's MFA") {
		t.Fatalf("turning the setting off is not audited: %v %+v", err, events)
	}
	if got := ch.signInThrough(t); got != "/dashboard" {
		t.Fatalf("setting off: sent to %q, want the Dashboard without MFA", got)
	}
	if who := whoAmI(t, ch, c); strings.Contains(who, "ana@acme.test") {
		t.Fatalf("the first browser signed in: %s", who)
	}
	pw := ch.app.Browser(t)
	resp, _ := ch.app.Post(t, pw, "/login", url.Values{"organisation": {ch.app.Org.Name}, "email": {ch.app.Member.Email},
		"password": {servertest.Password}})
	if loc := resp.Header.Get("Location"); loc != "/login/mfa" {
		t.Errorf("a password sign-in with the setting off: sent to %q, want /login/mfa", loc)
	}

	// Email verification is not MFA: it still runs.
	if err := ch.app.DB.UnlinkIdentity(ctx, ch.app.Org.ID, ch.app.Member.ID); err != nil {
		t.Fatal(err)
	}
	bo := ch.app.AddMember(t, "bo@acme.test", func(m *store.Member) { m.EmailVerified = false })
	ch.link(t, bo, subject)
	if got := ch.signInThrough(t); got != "/login/verify-email" {
		t.Errorf("unverified email, setting off: sent to %q, want /login/verify-email", got)
	}

	if err := ch.admin.SetExternalMFA(ctx, by, true); err != nil {
		t.Fatal(err)
	}
	if err := ch.app.DB.UnlinkIdentity(ctx, ch.app.Org.ID, bo.ID); err != nil {
		t.Fatal(err)
	}
	ch.link(t, ch.app.Member, subject)
	if got := ch.signInThrough(t); got != "/login/mfa" {
		t.Errorf("setting on again: sent to %q, want /login/mfa", got)
	}
}

func TestAccessDeniedNamesTheLoginServiceAccount(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	if resp, _ := get(t, c, ch.app.URL, ch.toCallback(t, c)); resp.StatusCode != http.StatusForbidden {
		t.Fatal("want the first sign-in refused, to learn the subject")
	}
	ch.link(t, ch.app.Member, ch.deniedSubject(t))
	if got := ch.signInThrough(t); got != "/dashboard" {
		t.Fatalf("linked account: sent to %q", got)
	}
	portals := ch.app.Server.Portals
	p, _, err := portals.Create(context.Background(), portal.By{OrgID: ch.app.Org.ID, Actor: "test"}, portal.Input{Name: "Grants",
		RedirectURIs: []string{"http://127.0.0.1:9/cb"}, FirstParty: true, Access: store.PortalAccessMembers,
		MemberIDs: []int64{ch.app.AddMember(t, "bo@acme.test", nil).ID}})
	if err != nil {
		t.Fatal(err)
	}
	c = ch.app.Browser(t)
	if resp, body := get(t, c, ch.app.URL, ch.toCallback(t, c)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in through the login service: %d\n%s", resp.StatusCode, body)
	}
	q := url.Values{"client_id": {p.ClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"}}
	target := "/o/acme/authorize?" + q.Encode()
	for range 5 {
		resp, body := get(t, c, ch.app.URL, target)
		if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusFound {
			target = resp.Header.Get("Location")
			continue
		}
		page := html.UnescapeString(body)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Access Denied") ||
			!strings.Contains(page, "signed in as <strong>jdoe@upstream.test (NIH Network Login)</strong>") {
			t.Fatalf("a portal refusing a login service's account: %d, want Access Denied naming it\n%s", resp.StatusCode, body)
		}
		return
	}
	t.Fatal("never reached the portal's answer")
}
