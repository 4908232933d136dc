package registration_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/loginservice/loginservicetest"
	"imslogin/internal/portal"
	"imslogin/internal/registration"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

type env struct {
	*loginservicetest.Chain
	portal store.Portal
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ch := loginservicetest.New(t)
	portals := ch.App.Server.Portals
	p, _, err := portals.Create(context.Background(), portal.By{OrgID: ch.App.Org.ID, Actor: "test"}, portal.Input{
		Name: "Grants Portal", RedirectURIs: []string{"https://grants.acme.test/cb"}, Confidential: true, FirstParty: true,
		Access: store.PortalAccessMembers, MemberIDs: []int64{ch.App.Member.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{Chain: ch, portal: p}
}

func (e *env) by() registration.By {
	return registration.By{OrgID: e.App.Org.ID, Actor: "ana@acme.test"}
}

// register registers jane@acme.test for the portal and returns her profile
// and the email's Step 1 and Step 2 links (paths).
func (e *env) register(t *testing.T, email string) (store.Member, string, string) {
	t.Helper()
	m, _, err := e.App.Server.Registrations.Register(context.Background(), e.by(), registration.Input{
		PortalClientID: e.portal.ClientID, Email: email, Name: "Jane Roe"})
	if err != nil {
		t.Fatal(err)
	}
	step1, step2 := e.links(t, email)
	return m, step1, step2
}

var linkPattern = regexp.MustCompile(`http://[^\s]+(/register(?:/password)?\?token=[A-Za-z0-9_-]{43})`)

// links reads Step 1 and Step 2 of the newest registration email to email.
func (e *env) links(t *testing.T, email string) (step1, step2 string) {
	t.Helper()
	mails, err := e.App.DB.RecentMail(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To != email || !strings.Contains(m.Text, "Step 2") {
			continue
		}
		for _, l := range linkPattern.FindAllStringSubmatch(m.Text, -1) {
			if strings.HasPrefix(l[1], registration.Step1Path+"?") {
				step1 = l[1]
			} else {
				step2 = l[1]
			}
		}
		if step1 == "" || step2 == "" {
			t.Fatalf("the registration email lacks a step:\n%s", m.Text)
		}
		return step1, step2
	}
	t.Fatalf("no registration email to %s", email)
	return "", ""
}

// linkWith opens Step 2 in a new browser, chooses the login service and
// signs in at Upstream as account; it returns the callback's answer.
func (e *env) linkWith(t *testing.T, step2, account string) (*http.Client, *http.Response, string) {
	t.Helper()
	c := e.App.Browser(t)
	resp, page := e.Get(t, c, step2)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Link an account") {
		t.Fatalf("Step 2 page: %d\n%s", resp.StatusCode, page)
	}
	button := regexp.MustCompile(`href="(/register/services/\d+\?token=[^"]+)"`).FindStringSubmatch(page)
	if button == nil || !strings.Contains(page, "NIH Network Login") {
		t.Fatalf("Step 2 lists no login service:\n%s", page)
	}
	callback := e.ToCallbackFrom(t, c, strings.ReplaceAll(button[1], "&amp;", "&"), account)
	resp, body := e.Get(t, c, callback)
	return c, resp, body
}

func TestStep2LinksTheAccountAndSignsIn(t *testing.T) {
	e := newEnv(t)
	jane, _, step2 := e.register(t, "jane@acme.test")
	if jane.Status != store.StatusInvited || jane.PasswordHash != "" {
		t.Fatalf("registered profile: %+v, want unlinked", jane)
	}
	p, _ := e.App.DB.PortalByID(context.Background(), e.App.Org.ID, e.portal.ID)
	if !slices.Contains(p.MemberIDs, jane.ID) {
		t.Errorf("the registered profile is not allowed into the portal: %v", p.MemberIDs)
	}
	c, resp, body := e.linkWith(t, step2, e.JDoe.Email)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Step 2 callback: %d\n%s", resp.StatusCode, body)
	}
	if who := e.WhoAmI(t, c); !strings.Contains(who, "jane@acme.test") {
		t.Fatalf("after Step 2 /whoami says %q, want Jane", who)
	}
	id, err := e.App.DB.IdentityOfMember(context.Background(), e.App.Org.ID, jane.ID)
	if err != nil || id.ServiceID != e.Service.ID || id.Username != e.JDoe.Email {
		t.Errorf("identity: %+v, %v", id, err)
	}
	if m, _ := e.App.DB.MemberByID(context.Background(), e.App.Org.ID, jane.ID); m.Status != store.StatusActive || !m.EmailVerified {
		t.Errorf("after linking: %+v, want active and verified", m)
	}
	// The button on the sign-in page now signs Jane in.
	c = e.App.Browser(t)
	if resp, body := e.Get(t, c, e.ToCallback(t, c)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in with the linked account: %d\n%s", resp.StatusCode, body)
	}

	// The same account using the link again just signs in.
	c, resp, body = e.linkWith(t, step2, e.JDoe.Email)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(e.WhoAmI(t, c), "jane@acme.test") {
		t.Fatalf("second use with the same account: %d\n%s", resp.StatusCode, body)
	}

	// Another account using it gets the third error.
	kim := e.AddUpstreamMember(t, "kim@upstream.test")
	c, resp, body = e.linkWith(t, step2, kim.Email)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Error linking your account") ||
		!strings.Contains(body, "already been used to link a different account") {
		t.Fatalf("a second account: %d, want the third error\n%s", resp.StatusCode, body)
	}
	if strings.Contains(e.WhoAmI(t, c), "jane@acme.test") {
		t.Error("the other account signed in as Jane")
	}
	if id, _ := e.App.DB.IdentityOfMember(context.Background(), e.App.Org.ID, jane.ID); id.Username != e.JDoe.Email {
		t.Errorf("the refused account replaced Jane's: %+v", id)
	}
	kinds := auditDetails(t, e, audit.AccountLink)
	if !containsPrefix(kinds, "linked jdoe@upstream.test (NIH Network Login)") ||
		!containsPrefix(kinds, "link refused: the link was already used") {
		t.Errorf("audit: %v", kinds)
	}
}

func TestStep1CreatesAnIMSLoginServiceAccount(t *testing.T) {
	e := newEnv(t)
	jane, step1, _ := e.register(t, "jane@acme.test")
	c := e.App.Browser(t)
	resp, page := e.Get(t, c, step1)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Create an IMS Login Service account") {
		t.Fatalf("Step 1: %d\n%s", resp.StatusCode, page)
	}
	token := strings.TrimPrefix(step1, registration.Step1Path+"?token=")
	weak := url.Values{"token": {token}, "password": {"short"}, "password_confirm": {"short"}}
	if resp, _ := e.App.Post(t, c, registration.Step1Path, weak); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a weak password: %d, want the form again", resp.StatusCode)
	}
	if m, _ := e.App.DB.MemberByID(context.Background(), e.App.Org.ID, jane.ID); m.PasswordHash != "" {
		t.Fatal("a refused password was saved")
	}
	pw := "plum tractor velvet horizon"
	resp, body := e.App.Post(t, c, registration.Step1Path, url.Values{"token": {token}, "password": {pw}, "password_confirm": {pw}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(e.WhoAmI(t, c), "jane@acme.test") {
		t.Fatalf("Step 1 submitted: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	other := e.App.Browser(t)
	resp, _ = e.App.Post(t, other, "/login", servertest.SignInForm("Acme", "jane@acme.test", pw))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("password sign-in after Step 1: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestRegistrationExpiresAfterSevenDays(t *testing.T) {
	e := newEnv(t)
	_, _, step2 := e.register(t, "jane@acme.test")
	mails, _ := e.App.DB.RecentMail(context.Background(), 5)
	want := registration.ExpiryWords(e.App.Clock.Now().Add(7 * 24 * time.Hour))
	if len(mails) == 0 || !strings.Contains(mails[0].Text, "expires on "+want) {
		t.Errorf("the email does not say it expires on %s", want)
	}
	e.App.Clock.Advance(7*24*time.Hour - time.Minute)
	if resp, _ := e.Get(t, e.App.Browser(t), step2); resp.StatusCode != http.StatusOK {
		t.Fatalf("a minute before expiry: %d", resp.StatusCode)
	}
	e.App.Clock.Advance(time.Minute)
	resp, body := e.Get(t, e.App.Browser(t), step2)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "Error linking your account") ||
		!strings.Contains(body, "has expired") || !strings.Contains(body, "new registration email") {
		t.Errorf("after 7 days: %d, want the first error\n%s", resp.StatusCode, body)
	}
}

func TestMangledLinkIsTheSecondError(t *testing.T) {
	e := newEnv(t)
	_, _, step2 := e.register(t, "jane@acme.test")
	for _, mangled := range []string{step2[:len(step2)-5], step2[:len(step2)-1] + "A", registration.Step2Path} {
		if mangled == step2 {
			continue
		}
		resp, body := e.Get(t, e.App.Browser(t), mangled)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "incomplete or was changed") ||
			!strings.Contains(body, "click the link in Step 2") {
			t.Errorf("%s: %d, want the second error\n%s", mangled, resp.StatusCode, body)
		}
	}
}

func TestSendNewRegistrationVoidsOlderLinks(t *testing.T) {
	e := newEnv(t)
	jane, _, old := e.register(t, "jane@acme.test")
	// (The clock is not moved on: the upstream provider signs with the wall clock.)
	reg, err := e.App.Server.Registrations.SendNew(context.Background(), e.by(), jane.ID, "jane.roe@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if !reg.ExpiresAt.Equal(e.App.Clock.Now().Add(7*24*time.Hour)) || reg.Email != "jane.roe@acme.test" {
		t.Errorf("new registration: %+v", reg)
	}
	if resp, body := e.Get(t, e.App.Browser(t), old); resp.StatusCode != http.StatusGone || !strings.Contains(body, "has expired") {
		t.Errorf("the older link: %d, want it void\n%s", resp.StatusCode, body)
	}
	_, fresh := e.links(t, "jane.roe@acme.test")
	if _, resp, body := e.linkWith(t, fresh, e.JDoe.Email); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the new link: %d\n%s", resp.StatusCode, body)
	}
}

func TestSwitchingLoginService(t *testing.T) {
	e := newEnv(t)
	jane, _, step2 := e.register(t, "jane@acme.test")
	if _, resp, _ := e.linkWith(t, step2, e.JDoe.Email); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("first link failed")
	}
	// Linked through NIH; a new registration switches her to IMS Login Service.
	if _, err := e.App.Server.Registrations.SendNew(context.Background(), e.by(), jane.ID, ""); err != nil {
		t.Fatal(err)
	}
	step1, _ := e.links(t, "jane@acme.test")
	pw := "plum tractor velvet horizon"
	c := e.App.Browser(t)
	token := strings.TrimPrefix(step1, registration.Step1Path+"?token=")
	if resp, body := e.App.Post(t, c, registration.Step1Path, url.Values{"token": {token}, "password": {pw},
		"password_confirm": {pw}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Step 1: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.App.DB.IdentityOfMember(context.Background(), e.App.Org.ID, jane.ID); err == nil {
		t.Error("the NIH identity stayed after switching")
	}
	c = e.App.Browser(t)
	if resp, body := e.Get(t, c, e.ToCallback(t, c)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the old login service still signs her in: %d\n%s", resp.StatusCode, body)
	}
	// And back to NIH: the password goes.
	if _, err := e.App.Server.Registrations.SendNew(context.Background(), e.by(), jane.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, step2 = e.links(t, "jane@acme.test")
	if _, resp, _ := e.linkWith(t, step2, e.JDoe.Email); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("relinking failed")
	}
	if m, _ := e.App.DB.MemberByID(context.Background(), e.App.Org.ID, jane.ID); m.PasswordHash != "" {
		t.Error("the password stayed after switching to NIH Network Login")
	}
	details := auditDetails(t, e, audit.AccountLink)
	if !containsPrefix(details, "relinked from jdoe@upstream.test to IMS Login Service") ||
		!containsPrefix(details, "relinked from IMS Login Service to jdoe@upstream.test (NIH Network Login)") {
		t.Errorf("audit: %v", details)
	}
}

func TestRegisterRefusesBadInputWithoutWriting(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cases := []registration.Input{
		{PortalClientID: e.portal.ClientID, Email: "not an email", Name: "Jane"},
		{PortalClientID: e.portal.ClientID, Email: "jane@acme.test", Name: ""},
		{PortalClientID: "nope", Email: "jane@acme.test", Name: "Jane"},
		{PortalClientID: e.portal.ClientID, Email: "ana@acme.test", Name: "Ana again"},
	}
	for _, in := range cases {
		_, _, err := e.App.Server.Registrations.Register(ctx, e.by(), in)
		var invalid *registration.Invalid
		if !errErrorsAs(err, &invalid) {
			t.Errorf("%+v: %v, want a refusal", in, err)
		}
	}
	if _, err := e.App.DB.MemberByEmail(ctx, e.App.Org.ID, "jane@acme.test"); err == nil {
		t.Error("a refused registration created a member")
	}
	if mails, _ := e.App.DB.RecentMail(ctx, 10); len(mails) != 0 {
		t.Errorf("a refused registration sent %d emails", len(mails))
	}
}

func auditDetails(t *testing.T, e *env, kind string) []string {
	t.Helper()
	events, err := e.App.DB.AuditEvents(context.Background(), e.App.Org.ID, store.AuditFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range events {
		out = append(out, ev.Detail)
	}
	return out
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func errErrorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
