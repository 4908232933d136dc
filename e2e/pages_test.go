package e2e

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// evaluate runs a script in the page and fails the test if it cannot.
func evaluate[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// open goes to a page of the app and waits for its heading.
func open(t *testing.T, ctx context.Context, app *servertest.App, path string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(app.URL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
}

// createToken makes an API token from the page, as an Owner would, and
// returns it as the page shows it.
func createToken(t *testing.T, ctx context.Context, app *servertest.App) string {
	t.Helper()
	open(t, ctx, app, "/admin/tokens")
	run(t, ctx, chromedp.SendKeys(chromedp.CSS("#token-name"), "provisioning_bot"),
		chromedp.Click(chromedp.CSS(`#tok-members\.read`)),
		chromedp.Click(chromedp.CSS("form.form button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")))
	return strings.TrimSpace(text(t, ctx, "#new-token"))
}

// TestSignOutEverywhereButtonIsReadable: the red button's words show on it.
func TestSignOutEverywhereButtonIsReadable(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	open(t, ctx, app, "/profile/sessions")
	colours := evaluate[[]string](t, ctx, `(function(){ var s = getComputedStyle(document.querySelector(".everywhere button")); return [s.color, s.backgroundColor]; })()`)
	if colours[0] == colours[1] {
		t.Errorf("Sign out everywhere: text and background are both %s", colours[0])
	}
	if got := text(t, ctx, ".everywhere button"); got != "Sign out everywhere" {
		t.Errorf("button says %q", got)
	}
}

// TestAdminTablesFitAPhone: Team Members, the audit log and API tokens (with
// a token) fit a 375 px screen without sideways scrolling, their rows
// stacked; the audit chart's text is readable there.
func TestAdminTablesFitAPhone(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	createToken(t, ctx, app)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	for _, path := range []string{"/admin/members", "/admin/audit", "/admin/tokens"} {
		open(t, ctx, app, path)
		if w := screenWidth(t, ctx); w > 375 {
			t.Errorf("%s is %d px wide on a 375 px screen", path, w)
		}
		clipped := evaluate[int](t, ctx, `Array.from(document.querySelectorAll(".table-wrap")).filter(function(e){ return e.scrollWidth > e.clientWidth + 1 }).length`)
		if clipped > 0 {
			t.Errorf("%s: a table scrolls sideways inside the page", path)
		}
	}
	open(t, ctx, app, "/admin/audit")
	if h := evaluate[float64](t, ctx, `Math.min.apply(null, Array.from(document.querySelectorAll(".chart text")).map(function(e){ return e.getBoundingClientRect().height }))`); h < 10 {
		t.Errorf("the chart's text is %.1f px tall on a phone", h)
	}
}

// TestNewAPITokenReadsWholeAndCopies: the new token shows in full (its
// underscores too) and a button copies it.
func TestNewAPITokenReadsWholeAndCopies(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	token := createToken(t, ctx, app)
	if !strings.HasPrefix(token, "ims_") || len(token) != 47 {
		t.Fatalf("the page shows the token as %q", token)
	}
	clipped := evaluate[bool](t, ctx, `(function(){ var e = document.querySelector("#new-token"); return e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight })()`)
	if clipped {
		t.Error("the token is clipped in its box")
	}
	evaluate[bool](t, ctx, `navigator.clipboard.writeText = function (s) { window.copied = s; return Promise.resolve() }; true`)
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-copy="new-token"]`)))
	waitText(t, ctx, "#new-token-status", "Copied")
	if got := evaluate[string](t, ctx, "window.copied"); got != token {
		t.Errorf("copied %q, want %q", got, token)
	}
}

// TestProfileMenuKeyboard: keyboard only, a member signs in, opens the
// profile menu, moves through it with the arrow keys, closes it with Esc
// (focus back on its button), and reaches every Admin Settings tab. A click
// elsewhere closes it too.
func TestProfileMenuKeyboard(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	run(t, ctx, chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#organisation")),
		chromedp.KeyEvent(app.Org.Name), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(app.Member.Email),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(servertest.Password), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(".profile-menu")))
	focused := func() string {
		return evaluate[string](t, ctx, `(function(){ var e = document.activeElement; return e.tagName.toLowerCase() + " " + (e.getAttribute("href") || e.textContent.trim()) })()`)
	}
	for range 4 {
		if strings.HasPrefix(focused(), "summary") {
			break
		}
		run(t, ctx, chromedp.KeyEvent(kb.Tab))
	}
	run(t, ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".menu")), chromedp.KeyEvent(kb.ArrowDown))
	if got := focused(); got != "a /dashboard" {
		t.Errorf("ArrowDown in the open menu focused %q, want its first entry", got)
	}
	run(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	if got := focused(); got != "a /profile" {
		t.Errorf("a second ArrowDown focused %q", got)
	}
	run(t, ctx, chromedp.KeyEvent(kb.Escape))
	if open := evaluate[bool](t, ctx, `document.querySelector(".profile-menu").open`); open || !strings.HasPrefix(focused(), "summary") {
		t.Errorf("Esc: menu open %v, focus on %q", open, focused())
	}
	if n := evaluate[int](t, ctx, `document.querySelectorAll("[role=menu], [role=menuitem]").length`); n != 0 {
		t.Errorf("the menu claims the ARIA menu role (%d elements) without being one", n)
	}
	// Admin Settings, from the menu by keyboard.
	run(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	for range 4 {
		if focused() == "a /admin" {
			break
		}
		run(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	}
	run(t, ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("nav.tabs")))
	tabs := evaluate[[]string](t, ctx, `Array.from(document.querySelectorAll("nav.tabs a")).map(function(a){ return a.getAttribute("href") })`)
	reached := map[string]bool{}
	for range 40 {
		run(t, ctx, chromedp.KeyEvent(kb.Tab))
		reached[strings.TrimPrefix(focused(), "a ")] = true
	}
	if len(tabs) != 8 { // Team Members, Roles, Settings, Audit log, API tokens, Portals, Users of portals, Login services
		t.Errorf("an Owner sees %d Admin Settings tabs: %v", len(tabs), tabs)
	}
	for _, tab := range tabs {
		if !reached[tab] {
			t.Errorf("Tab never reached the %s tab", tab)
		}
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(".profile-menu summary")), chromedp.WaitVisible(chromedp.CSS(".menu")),
		chromedp.Click(chromedp.CSS("main h1")))
	if evaluate[bool](t, ctx, `document.querySelector(".profile-menu").open`) {
		t.Error("a click outside the menu left it open")
	}
}

// TestBackupCodesFitAndCanBeSaved: on a phone, new backup codes stay inside
// their card, and can be copied, downloaded and confirmed as saved.
func TestBackupCodesFitAndCanBeSaved(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	open(t, ctx, app, "/profile/security")
	run(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/profile/security/backup"] button`)), chromedp.WaitVisible(chromedp.CSS("#backup-codes")))
	codes := evaluate[[]string](t, ctx, `Array.from(document.querySelectorAll("#backup-codes li")).map(function(e){ return e.textContent })`)
	if len(codes) != 10 {
		t.Fatalf("%d backup codes shown", len(codes))
	}
	outside := evaluate[int](t, ctx, `(function(){ var card = document.querySelector(".card").getBoundingClientRect();
		return Array.from(document.querySelectorAll("#backup-codes li")).filter(function(e){ var r = e.getBoundingClientRect(); return r.right > card.right || r.left < card.left }).length })()`)
	if outside > 0 || screenWidth(t, ctx) > 375 {
		t.Errorf("%d backup codes stick out of their card", outside)
	}
	href := evaluate[string](t, ctx, `document.querySelector("a[download]").href`)
	file, err := url.PathUnescape(strings.TrimPrefix(href, "data:text/plain;charset=utf-8,"))
	if err != nil || !strings.Contains(file, codes[0]) || !strings.Contains(file, codes[9]) {
		t.Errorf("the download holds %q", file)
	}
	evaluate[bool](t, ctx, `navigator.clipboard.writeText = function (s) { window.copied = s; return Promise.resolve() }; true`)
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-copy="backup-codes"]`)))
	waitText(t, ctx, "#backup-status", "Copied")
	if got := evaluate[string](t, ctx, "window.copied"); !strings.Contains(got, codes[4]) {
		t.Errorf("copied %q", got)
	}
	if evaluate[bool](t, ctx, `document.querySelector("button[data-print]").hidden`) {
		t.Error("no Print button")
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`a.button.primary[href="/profile/security"]`)), chromedp.WaitVisible(chromedp.CSS("#backup")))
	if got := text(t, ctx, "section[aria-labelledby=backup]"); !strings.Contains(got, "10 unused backup codes") || strings.Contains(got, codes[0]) {
		t.Errorf("after I have saved them: %q", got)
	}
}

// TestSettingsOneSaveAndNarrowForms: Details has one Save for one form (the
// Multi-Factor Authentication part has its own page); the add-member form
// keeps a readable width; a very weak password shows on the meter.
func TestSettingsOneSaveAndNarrowForms(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "sda@acme.test", func(m *store.Member) { m.Role = store.RoleOwner; m.DataAccess = true })
	ctx := newBrowser(t)
	signIn(t, ctx, app, "sda@acme.test", servertest.Password)
	for _, path := range []string{"/admin/settings", "/admin/settings?section=mfa"} {
		open(t, ctx, app, path)
		if n := evaluate[int](t, ctx, `document.querySelectorAll("main button[type=submit]").length`); n != 1 {
			t.Errorf("%s has %d Save buttons, want 1", path, n)
		}
	}
	open(t, ctx, app, "/admin/members/new")
	if w := evaluate[float64](t, ctx, `document.querySelector("form.form").getBoundingClientRect().width`); w > 520 {
		t.Errorf("the add-member form is %.0f px wide", w)
	}
	open(t, ctx, app, "/profile/password")
	run(t, ctx, chromedp.SendKeys(chromedp.CSS("#password"), "aaaa"), chromedp.WaitVisible(chromedp.CSS("#strength .strength-label")))
	waitText(t, ctx, "#strength .strength-label", "Strength")
	fill := evaluate[[]string](t, ctx, `(function(){ var e = document.querySelector(".strength-bar span"), s = getComputedStyle(e); return [String(e.getBoundingClientRect().width), s.backgroundColor, getComputedStyle(e.parentNode).backgroundColor] })()`)
	if fill[0] == "0" || fill[1] == fill[2] {
		t.Errorf("the strength bar shows nothing for a very weak password: %v", fill)
	}
}

// TestSignInRemembersTheOrganisation: after signing in and out, the sign-in
// page has the organisation filled in, and the cursor in the email field.
func TestSignInRemembersTheOrganisation(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx, chromedp.Click(chromedp.CSS(".profile-menu summary")),
		chromedp.Click(chromedp.CSS(`.menu form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#organisation")))
	open(t, ctx, app, "/login")
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#organisation"))); v != app.Org.Name {
		t.Errorf("the organisation field holds %q after signing out, want %q", v, app.Org.Name)
	}
	if id := evaluate[string](t, ctx, "document.activeElement.id"); id != "email" {
		t.Errorf("focus is on %q, want the email field", id)
	}
	if got := text(t, ctx, "#organisation-hint"); !strings.Contains(got, "Remembered") {
		t.Errorf("no word that the organisation was remembered: %q", got)
	}
}

// TestEveryPage visits every page of the product signed out, as a member
// and as an administrator, at 375 and 1280 px: no sideways scroll, no
// serious accessibility problem, and a screenshot of each in test-artifacts/.
func TestEveryPage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "bo@acme.test", func(m *store.Member) { m.Name = "Bo Member" })
	ctx := newBrowserFor(t, 5*time.Minute)
	signedOut := []struct{ name, path string }{
		{"login", "/login"}, {"organisation-login", "/o/" + app.Org.URLName + "/login"},
		{"forgot-password", "/forgot-password"}, {"not-found", "/no-such-page"},
	}
	for _, p := range signedOut {
		open(t, ctx, app, p.path)
		look(t, ctx, p.name)
	}
	signIn(t, ctx, app, "bo@acme.test", servertest.Password)
	member := []struct{ name, path string }{
		{"dashboard", "/dashboard"}, {"profile", "/profile"}, {"sessions", "/profile/sessions"},
		{"change-password", "/profile/password"}, {"email-address", "/profile/email"}, {"security", "/profile/security"},
		{"portals", "/profile/portals"},
	}
	for _, p := range member {
		open(t, ctx, app, p.path)
		look(t, ctx, "member-"+p.name)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(".profile-menu summary")), chromedp.WaitVisible(chromedp.CSS(".menu")))
	look(t, ctx, "member-menu-open")
	run(t, ctx, chromedp.Click(chromedp.CSS(`.menu form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#email")))

	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	createToken(t, ctx, app)
	look(t, ctx, "admin-token-created")
	admin := []struct{ name, path string }{
		{"members", "/admin/members"}, {"member", "/admin/members/" + itoa(app.Member.ID)}, {"member-new", "/admin/members/new"},
		{"roles", "/admin/roles"}, {"settings", "/admin/settings"}, {"settings-mfa", "/admin/settings?section=mfa"},
		{"settings-branding", "/admin/settings/branding"},
		{"audit", "/admin/audit"}, {"tokens", "/admin/tokens"}, {"portals", "/admin/portals"}, {"portal-new", "/admin/portals/new"},
	}
	for _, p := range admin {
		open(t, ctx, app, p.path)
		look(t, ctx, "admin-"+p.name)
	}
	open(t, ctx, app, "/admin/members/new")
	evaluate[bool](t, ctx, `document.querySelector("form.form").noValidate = true`)
	run(t, ctx, chromedp.Click(chromedp.CSS("form.form button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice-error")))
	look(t, ctx, "admin-member-new-errors")
	if n := evaluate[int](t, ctx, `document.querySelectorAll("[aria-invalid=true][aria-describedby]").length`); n == 0 {
		t.Error("the refused fields are not marked aria-invalid with their message")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestDarkTheme: with the system's dark theme, pages take their colours
// from the dark tokens and stay readable (axe-core checks the contrast).
func TestDarkTheme(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, app, "/login")
	if bg := evaluate[string](t, ctx, `getComputedStyle(document.body).backgroundColor`); bg == "rgb(243, 245, 248)" {
		t.Errorf("the dark theme did not apply: background %s", bg)
	}
	look(t, ctx, "dark-login")
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	for _, p := range []string{"/dashboard", "/profile/sessions", "/admin/members", "/admin/audit"} {
		open(t, ctx, app, p)
		look(t, ctx, "dark"+strings.ReplaceAll(p, "/", "-"))
	}
}
