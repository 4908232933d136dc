package oidc_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"imslogin/internal/store"
)

var formAction = regexp.MustCompile(`<form method="post" action="(/o/acme/authorize/consent\?id=[^"]+)"`)

// consentPage follows an authorization of the partner portal (not
// first-party) from a signed-in browser to its consent page.
func (e *env) consentPage(t *testing.T, c *http.Client, authURL string) (action, body string) {
	t.Helper()
	resp, body := e.follow(t, c, authURL)
	m := formAction.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("got %d %q, want the consent page\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return html.UnescapeString(m[1]), body
}

func (e *env) auditKinds(t *testing.T) map[string]int {
	t.Helper()
	list, err := e.app.DB.AuditEvents(context.Background(), e.app.Org.ID, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, ev := range list {
		kinds[ev.Kind]++
	}
	return kinds
}

func TestConsentAskedRememberedAndAskedAgainForMore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("other", "email")
	verifier := oauth2.GenerateVerifier()
	pkce := oauth2.S256ChallengeOption(verifier)
	c := e.app.Browser(t)
	resp, _ := e.follow(t, c, conf.AuthCodeURL("s1", pkce))
	resp, body := e.follow(t, c, e.signIn(t, c, resp.Request.URL.String()))
	m := formAction.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("after sign-in: %d, want the consent page\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"Partner App", "Acme", "ana@acme.test", "Who you are", "Your email address and whether it is verified",
		`value="allow"`, `value="deny"`, `name="viewport"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the consent page lacks %q", want)
		}
	}
	if strings.Contains(body, "Your name") {
		t.Error("the consent page lists a scope not asked for")
	}
	action := html.UnescapeString(m[1])

	other := e.app.Browser(t)
	e.app.SignIn(t, other, "ana@acme.test")
	if resp, _ := e.app.Post(t, other, action, url.Values{"decision": {"allow"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("another browser of the same member allowed: %d, want 400 (bound to the first browser)", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, e.app.URL+action, strings.NewReader("decision=allow"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post: %v %v, want 403", resp.StatusCode, err)
	}

	resp = e.decide(t, c, action, "deny")
	got := errorOf(t, resp)
	if got.Get("error") != "access_denied" || got.Get("state") != "s1" || got.Get("iss") != e.issuer {
		t.Errorf("deny: %v, want access_denied with state and iss", got)
	}
	if resp, _ := e.app.Post(t, c, action, url.Values{"decision": {"allow"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("allow after deny on the same request: %d, want 400", resp.StatusCode)
	}

	action, _ = e.consentPage(t, c, conf.AuthCodeURL("s2", pkce))
	resp = e.decide(t, c, action, "allow")
	if _, err := conf.Exchange(ctx, e.codeFrom(t, resp, "s2"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange after consent: %v", err)
	}

	resp, _ = e.follow(t, c, conf.AuthCodeURL("s3", pkce))
	if code := e.codeFrom(t, resp, "s3"); code == "" {
		t.Error("the same scopes again asked for consent")
	}

	_, body = e.consentPage(t, c, e.config("other", "email", "profile").AuthCodeURL("s4", pkce))
	if !strings.Contains(body, "Your name") || !strings.Contains(body, "You allowed it before") ||
		strings.Count(body, "Your email address") != 1 {
		t.Errorf("more scopes: the page should ask for the name alone and mention the email allowed before\n%s", body)
	}

	resp, _ = e.follow(t, c, e.config("other", "roles").AuthCodeURL("s5", pkce, oauth2.SetAuthURLParam("prompt", "none")))
	if got := errorOf(t, resp); got.Get("error") != "consent_required" {
		t.Errorf("prompt=none with a scope not allowed: %v, want consent_required", got)
	}
	_, body = e.consentPage(t, c, conf.AuthCodeURL("s6", pkce, oauth2.SetAuthURLParam("prompt", "consent")))
	if !strings.Contains(body, "Your email address") {
		t.Errorf("prompt=consent: the page should list everything asked\n%s", body)
	}

	kinds := e.auditKinds(t)
	if kinds["consent-given"] != 1 || kinds["consent-refused"] != 1 {
		t.Errorf("audit: %v, want one consent given and one refused", kinds)
	}
	g, err := e.app.DB.PortalGrant(ctx, e.app.Org.ID, e.app.Member.ID, "other")
	if err != nil || strings.Join(g.Consented, " ") != "openid email" || g.LastUsedAt.IsZero() {
		t.Errorf("stored consent %+v, %v; want openid email, used", g, err)
	}
}

// decide posts the consent page's form. Its answer moving on to the portal
// is a page (the last hop after a form), read here as the redirect it
// stands for.
func (e *env) decide(t *testing.T, c *http.Client, action, decision string) *http.Response {
	t.Helper()
	resp, body := e.app.Post(t, c, action, url.Values{"decision": {decision}})
	if to := toPortal(body); to != "" {
		resp.StatusCode = http.StatusFound
		resp.Header.Set("Location", to)
	}
	return resp
}
