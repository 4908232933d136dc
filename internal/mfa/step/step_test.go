package step_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/mfa"
	"imslogin/internal/mfa/backup"
	"imslogin/internal/mfa/code"
	"imslogin/internal/mfa/step"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/mfa/trusted"
	"imslogin/internal/otpcode"
	"imslogin/internal/secretbox"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
	"imslogin/web"
)

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// fixture is the phone and mfa steps over a real database, with no HTTP
// server: an organisation that requires MFA with the given methods and a
// member signed in with a password.
type fixture struct {
	db    *sqlstore.DB
	deps  *step.Deps
	flow  *signin.Flow
	now   time.Time
	input signin.Input
}

func newFixture(t *testing.T, methods ...string) *fixture {
	t.Helper()
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "bo@acme.test")
	p := store.DefaultMFAPolicy()
	p.Required, p.Methods = true, methods
	if err := db.SetMFAPolicy(context.Background(), org.ID, p); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secretbox.KeySize)
	rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	secrets := totp.NewSecrets(box)
	f := &fixture{db: db, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.deps = &step.Deps{Store: db, Secrets: secrets, Devices: &trusted.Devices{Store: db},
		Methods: mfa.NewRegistry(&code.Email{Store: db, Key: otpcode.KeyFrom(secrets.Box())}, &code.SMS{Store: db, Key: otpcode.KeyFrom(secrets.Box())}, &totp.Method{Store: db, Secrets: secrets},
			&backup.Method{Store: db, Key: backup.KeyFrom(secrets.Box())})}
	f.flow = &signin.Flow{SigninFlow: store.SigninFlow{OrgID: org.ID, MemberID: m.ID, AMR: []string{"pwd"}},
		Organisation: org, Member: m}
	f.input = signin.Input{Now: f.now, Origin: audit.Origin{Address: "192.0.2.1", UserAgent: "test browser"}}
	return f
}

func (f *fixture) with(form url.Values) signin.Input {
	in := f.input
	in.Form = form
	return in
}

func (f *fixture) lastEmailCode(t *testing.T) string {
	t.Helper()
	msgs, err := f.db.OrganisationMail(context.Background(), f.flow.OrgID, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no email: %v", err)
	}
	return sixDigits.FindString(msgs[0].Text)
}

func pageNotice(out signin.Outcome) string {
	switch p := out.Page().(type) {
	case web.MFAPage:
		return p.Notice.Text
	case web.PhonePage:
		return p.Notice.Text
	}
	return ""
}

func wrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestSecondFactorOutcomes: the mfa step's answers, without HTTP.
func TestSecondFactorOutcomes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "email")
	s := &step.Second{Deps: f.deps}
	if needed, err := s.Needed(ctx, f.flow, f.input); err != nil || !needed {
		t.Fatalf("Needed: %v, %v; want needed when the organisation requires MFA", needed, err)
	}
	out, err := s.Show(ctx, f.flow, f.input)
	if page, ok := out.Page().(web.MFAPage); err != nil || out.Kind() != signin.KindShow || !ok || page.Method != "email" {
		t.Fatalf("Show: %v %+v %v", out.Kind(), out.Page(), err)
	}
	right := f.lastEmailCode(t)

	for _, tc := range []struct {
		form  url.Values
		guess bool
	}{
		{url.Values{"method": {"email"}, "code": {"123456"}}, true},
		{url.Values{"action": {"choose"}, "method": {"backup"}}, false},
		{url.Values{"action": {"resend"}}, false},
	} {
		if got := s.Guess(f.with(tc.form)); got != tc.guess {
			t.Errorf("Guess(%v) = %v, want %v", tc.form, got, tc.guess)
		}
	}

	out, err = s.Submit(ctx, f.flow, f.with(url.Values{"method": {"email"}, "code": {wrong(right)}}))
	if err != nil || out.Kind() != signin.KindWrong || out.Status() != http.StatusUnauthorized || out.Reason() != "wrong email code" {
		t.Errorf("a wrong code: %v %d %q %v", out.Kind(), out.Status(), out.Reason(), err)
	}
	out, err = s.Submit(ctx, f.flow, f.with(url.Values{"action": {"choose"}, "method": {"sms"}}))
	if err != nil || out.Kind() != signin.KindAgain || f.flow.MFAMethod != "sms" {
		t.Errorf("choose: %v, method %q, %v", out.Kind(), f.flow.MFAMethod, err)
	}
	out, err = s.Submit(ctx, f.flow, f.with(url.Values{"method": {"email"}, "code": {right}, "remember_device": {"on"}}))
	if err != nil || out.Kind() != signin.KindPassed {
		t.Fatalf("the right code: %v %q %v", out.Kind(), pageNotice(out), err)
	}
	if !slices.Equal(f.flow.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr %v, want pwd otp mfa", f.flow.AMR)
	}
	cookies := out.Cookies()
	if len(cookies) != 1 || cookies[0].Name != f.deps.Devices.CookieName() || !cookies[0].HttpOnly {
		t.Fatalf("Remember me: cookies %+v, want the remembered browser's", cookies)
	}
	// The remembered browser skips the step next time.
	f.flow.AMR = []string{"pwd"}
	next := f.input
	next.Cookies = []*http.Cookie{{Name: f.deps.Devices.CookieName(), Value: cookies[0].Value}}
	if needed, err := s.Needed(ctx, f.flow, next); err != nil || needed {
		t.Errorf("Needed on the remembered browser: %v, %v; want not needed", needed, err)
	}
}

// TestPhoneStepOutcomes: a member asked for a mobile number at sign-in.
func TestPhoneStepOutcomes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "sms")
	p := &step.Phone{Deps: f.deps}
	if needed, err := p.Needed(ctx, f.flow, f.input); err != nil || !needed {
		t.Fatalf("Needed: %v, %v; want needed with no phone", needed, err)
	}
	out, err := p.Submit(ctx, f.flow, f.with(url.Values{"action": {"send"}, "country": {"GB"}, "phone": {"12"}}))
	if err != nil || out.Kind() != signin.KindShow || out.Status() != http.StatusBadRequest || pageNotice(out) == "" {
		t.Errorf("a bad number: %v %d %q %v", out.Kind(), out.Status(), pageNotice(out), err)
	}
	if p.Guess(f.with(url.Values{"action": {"send"}})) || !p.Guess(f.with(url.Values{"code": {"123456"}})) {
		t.Error("Guess: sending a text is no guess; a code is")
	}
	out, err = p.Submit(ctx, f.flow, f.with(url.Values{"action": {"send"}, "country": {"GB"}, "phone": {"07400 123456"}}))
	if err != nil || out.Kind() != signin.KindAgain {
		t.Fatalf("a good number: %v %q %v", out.Kind(), pageNotice(out), err)
	}
	texts, err := f.db.RecentSMS(ctx, 1)
	if err != nil || len(texts) != 1 || texts[0].To != "+447400123456" {
		t.Fatalf("text message: %+v, %v", texts, err)
	}
	right := sixDigits.FindString(texts[0].Body)
	out, err = p.Submit(ctx, f.flow, f.with(url.Values{"code": {wrong(right)}}))
	if err != nil || out.Kind() != signin.KindWrong || out.Status() != http.StatusUnauthorized {
		t.Errorf("a wrong code: %v %d %v", out.Kind(), out.Status(), err)
	}
	out, err = p.Submit(ctx, f.flow, f.with(url.Values{"code": {right}}))
	if err != nil || out.Kind() != signin.KindPassed || len(out.Cookies()) != 0 {
		t.Fatalf("the right code: %v %q %v", out.Kind(), pageNotice(out), err)
	}
	factors, _ := f.db.MemberMFAFactors(ctx, f.flow.OrgID, f.flow.MemberID)
	if len(factors) != 1 || factors[0].Method != code.PhoneMethod || factors[0].Name != "+447400123456" {
		t.Errorf("factors %+v, want the verified phone", factors)
	}
	if !slices.Equal(f.flow.AMR, []string{"pwd", "sms", "mfa"}) {
		t.Errorf("amr %v", f.flow.AMR)
	}
}

// TestNoUsableMethodEndsTheSignIn: MFA required, only SMS allowed, and the
// member asked for no phone: the mfa step ends the sign-in with a reason.
func TestNoUsableMethodEndsTheSignIn(t *testing.T) {
	f := newFixture(t, "webauthn")
	out, err := (&step.Second{Deps: f.deps}).Show(context.Background(), f.flow, f.input)
	if err != nil || out.Kind() != signin.KindEnd || out.Status() != http.StatusForbidden || out.Notice().Text == "" {
		t.Errorf("got %v %d %q %v, want the sign-in ended with a reason", out.Kind(), out.Status(), out.Notice().Text, err)
	}
}
