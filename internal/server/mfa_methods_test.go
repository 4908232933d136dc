package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp/totp"

	"imslogin/internal/secretbox"
	"imslogin/internal/server/servertest"
)

func TestSMSAskedForAPhoneThenSignsInWithTextCodes(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email", "sms")
	c := app.Browser(t)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/phone" {
		t.Fatalf("member without a phone went to %s, want /login/phone", loc)
	}
	resp, body := app.Get(t, c, "/login/phone")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="country"`) || !strings.Contains(body, "India (+91)") {
		t.Fatalf("phone page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = app.Post(t, c, "/login/phone", url.Values{"action": {"send"}, "country": {"GB"}, "phone": {"12345"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Enter a valid mobile number") {
		t.Errorf("malformed number: %d", resp.StatusCode)
	}
	if list, _ := app.DB.RecentSMS(context.Background(), 10); len(list) != 0 {
		t.Fatal("a text was sent to a malformed number")
	}
	resp, _ = app.Post(t, c, "/login/phone", url.Values{"action": {"send"}, "country": {"BR"}, "phone": {"(11) 96123-4567"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", resp.StatusCode)
	}
	to, code := lastSMS(t, app)
	if to != "+5511961234567" {
		t.Errorf("texted %s, want E.164 +5511961234567", to)
	}
	if _, body := app.Get(t, c, "/login/phone"); !strings.Contains(body, "4567") || strings.Contains(body, "+5511961234567") {
		t.Error("the page should show the number masked")
	}
	resp, _ = app.Post(t, c, "/login/phone", url.Values{"action": {"verify"}, "code": {code}, "remember_device": {"on"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("verify: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := latestSession(t, app, app.Member.ID).AMR; !reflect.DeepEqual(got, []string{"pwd", "sms", "mfa"}) {
		t.Errorf("amr %v", got)
	}
	app.Post(t, c, "/logout", nil)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/dashboard" {
		t.Errorf("remembered browser: %s", loc)
	}

	// Another browser: the SMS code is pre-selected, being the last used.
	other := app.Browser(t)
	if loc := startSignIn(t, app, other, "ana@acme.test"); loc != "/login/mfa" {
		t.Fatalf("second browser: %s", loc)
	}
	_, body = app.Get(t, other, "/login/mfa")
	if !strings.Contains(body, `name="method" value="sms"`) || !strings.Contains(body, "Email code") {
		t.Fatalf("SMS should be chosen with email offered:\n%s", body)
	}
	_, code = lastSMS(t, app)
	if resp, _ := submitCode(t, app, other, "sms", code, false); resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("sms code: %d", resp.StatusCode)
	}
}

func TestAuthenticatorAppSetUpInMyProfileIsThenAsked(t *testing.T) {
	app := servertest.New(t, servertest.Options{}) // the organisation does not require MFA
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	resp, body := app.Post(t, c, "/profile/security/totp", nil)
	secret := regexp.MustCompile(`class="secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || secret == nil {
		t.Fatalf("start: %d\n%s", resp.StatusCode, body)
	}
	checkPendingSealed(t, app, "mfa-totp-enrol", secret[1])
	qr, png := app.Get(t, c, "/profile/security/totp/qr.png")
	if qr.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(png, "\x89PNG") {
		t.Errorf("QR code: %s", qr.Header.Get("Content-Type"))
	}
	if resp, _ := app.Post(t, c, "/profile/security/totp/confirm", url.Values{"code": {"000000"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("confirm with a wrong code: %d", resp.StatusCode)
	}
	now := app.Clock.Now()
	code, _ := totp.GenerateCode(secret[1], now)
	resp, body = app.Post(t, c, "/profile/security/totp/confirm", url.Values{"code": {code}, "name": {"Work phone"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Work phone") {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, body)
	}
	checkAppSealed(t, app, secret[1])
	app.Post(t, c, "/logout", nil)

	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
		t.Fatalf("with an app set up: %s, want /login/mfa", loc)
	}
	if resp, _ := submitCode(t, app, c, "totp", code, false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the enrolment code was accepted again: %d", resp.StatusCode)
	}
	app.Clock.Advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret[1], app.Clock.Now())
	if resp, _ := submitCode(t, app, c, "totp", code, false); resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("app code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := latestSession(t, app, app.Member.ID).AMR; !reflect.DeepEqual(got, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr %v", got)
	}
}

var backupCode = regexp.MustCompile(`<li>([a-z2-7]{5}-[a-z2-7]{5})</li>`)

func TestBackupCodesWorkOnceAndRegeneratingVoidsThem(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	_, body := app.Post(t, c, "/profile/security/backup", nil)
	codes := backupCode.FindAllStringSubmatch(body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d codes shown, want 10", len(codes))
	}
	if _, body := app.Get(t, c, "/profile/security"); strings.Contains(body, codes[0][1]) || !strings.Contains(body, "10 unused backup codes") {
		t.Error("codes must be shown once, and the count shown after")
	}
	app.Post(t, c, "/logout", nil)

	signInWith := func(code string) int {
		t.Helper()
		if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
			t.Fatalf("with backup codes: %s", loc)
		}
		resp, _ := submitCode(t, app, c, "backup", code, false)
		if resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") != "/dashboard" {
			t.Fatalf("backup code led to %s", resp.Header.Get("Location"))
		}
		return resp.StatusCode
	}
	if got := signInWith(strings.ToUpper(codes[3][1])); got != http.StatusSeeOther {
		t.Fatalf("backup code (typed in capitals): %d", got)
	}
	if _, body := app.Get(t, c, "/profile/security"); !strings.Contains(body, "9 unused backup codes") {
		t.Error("count after one use is not 9")
	}
	app.Post(t, c, "/logout", nil)
	if got := signInWith(codes[3][1]); got != http.StatusUnauthorized {
		t.Errorf("a used code again: %d, want 401", got)
	}
	if got := signInWith(codes[4][1]); got != http.StatusSeeOther {
		t.Fatalf("another code: %d", got)
	}
	app.Post(t, c, "/profile/security/backup", nil) // regenerate
	app.Post(t, c, "/logout", nil)
	if got := signInWith(codes[5][1]); got != http.StatusUnauthorized {
		t.Errorf("a code of the old set: %d, want 401", got)
	}
}

func TestMobileNumberVerifiedInMyProfile(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email", "sms")
	c := app.Browser(t)
	startSignIn(t, app, c, "ana@acme.test") // asked for a phone: go by email instead
	app.Post(t, c, "/login/phone", url.Values{"action": {"send"}, "country": {"GB"}, "phone": {"07400 123456"}})
	_, code := lastSMS(t, app)
	if resp, _ := app.Post(t, c, "/login/phone", url.Values{"action": {"verify"}, "code": {code}}); resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	if resp, body := app.Post(t, c, "/profile/security/phone", url.Values{"action": {"send"}, "country": {"IN"}, "phone": {"not a number"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "Enter a valid mobile number") {
		t.Errorf("malformed number in My Profile: %d", resp.StatusCode)
	}
	app.Clock.Advance(61 * time.Second)
	app.Post(t, c, "/profile/security/phone", url.Values{"action": {"send"}, "country": {"IN"}, "phone": {"098123 45678"}})
	to, code := lastSMS(t, app)
	if to != "+919812345678" {
		t.Fatalf("texted %s", to)
	}
	if resp, _ := app.Post(t, c, "/profile/security/phone", url.Values{"action": {"verify"}, "code": {"000000"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong code: %d", resp.StatusCode)
	}
	resp, body := app.Post(t, c, "/profile/security/phone", url.Values{"action": {"verify"}, "code": {code}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Codes go to") || !strings.Contains(body, "5678") {
		t.Fatalf("verify: %d\n%s", resp.StatusCode, body)
	}
	factors, _ := app.DB.MemberMFAFactors(context.Background(), app.Org.ID, app.Member.ID)
	if len(factors) != 1 || factors[0].Name != "+919812345678" {
		t.Errorf("the new number replaces the old: %+v", factors)
	}
}

func TestAuthenticatorAppSetUpAtSignInWhenItIsTheOnlyMethod(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "totp")
	c := app.Browser(t)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
		t.Fatalf("went to %s", loc)
	}
	_, body := app.Get(t, c, "/login/mfa")
	secret := regexp.MustCompile(`class="secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if secret == nil || !strings.Contains(body, `src="data:image/png;base64,`) || !strings.Contains(body, `value="totp-setup"`) {
		t.Fatalf("set-up page:\n%s", body)
	}
	if _, again := app.Get(t, c, "/login/mfa"); !strings.Contains(again, secret[1]) {
		t.Error("a reload changed the secret being set up")
	}
	checkPendingSealed(t, app, "mfa-totp-setup", secret[1])
	if resp, _ := submitCode(t, app, c, "totp-setup", "000000", false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong code: %d", resp.StatusCode)
	}
	code, _ := totp.GenerateCode(secret[1], app.Clock.Now())
	if resp, _ := submitCode(t, app, c, "totp-setup", code, false); resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("first code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := latestSession(t, app, app.Member.ID).AMR; !reflect.DeepEqual(got, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr %v", got)
	}
	app.Post(t, c, "/logout", nil)
	startSignIn(t, app, c, "ana@acme.test")
	if _, body := app.Get(t, c, "/login/mfa"); strings.Contains(body, "totp-setup") || !strings.Contains(body, `value="totp"`) {
		t.Error("the next sign-in should ask for the app's code")
	}
	if resp, _ := submitCode(t, app, c, "totp", code, false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the set-up code again: %d", resp.StatusCode)
	}
	checkAppSealed(t, app, secret[1])
	app.Clock.Advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret[1], app.Clock.Now())
	if resp, _ := submitCode(t, app, c, "totp", code, false); resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("the app's next code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// checkAppSealed: the member's stored app is neither the base32 secret nor
// readable text.
func checkAppSealed(t *testing.T, app *servertest.App, secret string) {
	t.Helper()
	factors, err := app.DB.MemberMFAFactors(context.Background(), app.Org.ID, app.Member.ID)
	if err != nil || len(factors) != 1 {
		t.Fatalf("factors: %+v, %v", factors, err)
	}
	stored := factors[0].Secret
	if bytes.Contains(stored, []byte(secret)) || utf8.Valid(stored) || !secretbox.IsSealed(stored) {
		t.Errorf("the app is stored readable: %q", stored)
	}
}

// checkPendingSealed: the set-up in progress does not hold the secret in
// the text column it is kept in.
func checkPendingSealed(t *testing.T, app *servertest.App, purpose, secret string) {
	t.Helper()
	c, err := app.DB.OneTimeCode(context.Background(), app.Org.ID, app.Member.ID, purpose)
	if err != nil || strings.Contains(c.Destination, secret) || strings.Contains(c.Destination, "otpauth") {
		t.Errorf("the set-up in progress is stored as %q (%v)", c.Destination, err)
	}
}
