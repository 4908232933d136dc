package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"imslogin/internal/mfa/trusted"
	"imslogin/internal/session"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// FuzzSessionCookie: whatever Cookie header a browser sends, it is signed
// in only when the header carries the session token the server issued, and
// its browser is trusted for MFA only when it carries the trusted-browser
// token issued. "SESSION" and "TRUSTED" in an input stand for those tokens.
func FuzzSessionCookie(f *testing.F) {
	db := sqltest.NewSQLite(f)
	org := storetest.NewOrganisation(f, db, "Acme")
	member := storetest.NewMember(f, db, org.ID, "ana@acme.test")
	now := time.Now()
	m := session.NewManager(db, false, func() time.Time { return now })
	w := httptest.NewRecorder()
	if _, err := m.Start(w, httptest.NewRequest(http.MethodPost, "/login", nil), org, member, false); err != nil {
		f.Fatal(err)
	}
	sessionToken := w.Result().Cookies()[0].Value
	devices := &trusted.Devices{Store: db}
	c, err := devices.Remember(context.Background(), "test", org.ID, member.ID, time.Hour, now)
	if err != nil {
		f.Fatal(err)
	}
	trustedToken := c.Value
	r := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
	r.Header.Set("Cookie", "ims_session="+sessionToken)
	if _, err := m.Current(r); err != nil {
		f.Fatalf("the issued session token does not sign in: %v", err)
	}
	if ok, err := devices.Trusted(context.Background(), trustedToken, org.ID, member.ID, time.Hour, now); !ok || err != nil {
		f.Fatalf("the issued trusted-browser token is not trusted: %v", err)
	}
	for _, s := range []string{"ims_session=SESSION", "ims_session=SESSION; ims_trusted=TRUSTED", "ims_session=x; ims_session=SESSION",
		"ims_session=\"SESSION\"", "ims_session=SESSION\x00", "ims_session=SESSIO", "ims_trusted=TRUSTED;ims_session=", "__Host-ims_session=SESSION",
		"ims_session=" + strings.Repeat("A", 43), "ims_trusted= TRUSTED"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		header = strings.ReplaceAll(strings.ReplaceAll(header, "SESSION", sessionToken), "TRUSTED", trustedToken)
		r := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
		r.Header.Set("Cookie", header)
		si, err := m.Current(r)
		if err == nil && (!strings.Contains(header, sessionToken) || si.Member.ID != member.ID) {
			t.Fatalf("signed in as %d by %q", si.Member.ID, header)
		}
		raw := ""
		if c, err := r.Cookie(devices.CookieName()); err == nil {
			raw = c.Value
		}
		ok, err := devices.Trusted(context.Background(), raw, org.ID, member.ID, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok && raw != trustedToken {
			t.Fatalf("trusted by %q", header)
		}
	})
}
