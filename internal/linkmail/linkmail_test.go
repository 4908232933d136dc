package linkmail_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"imslogin/internal/linkmail"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

var sent int

// invitationHTML sends an invitation from org and returns its HTML body.
func invitationHTML(t *testing.T, db store.Store, s *linkmail.Sender, org store.Organisation) string {
	t.Helper()
	ctx := context.Background()
	sent++
	m := storetest.NewMember(t, db, org.ID, fmt.Sprintf("member%d@acme.test", sent))
	if err := db.InTx(ctx, func(ctx context.Context) error { return s.Invite(ctx, db, org, m) }); err != nil {
		t.Fatal(err)
	}
	list, err := db.OrganisationMail(ctx, org.ID, 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox: %v %d", err, len(list))
	}
	return list[0].HTML
}

func TestEmailsShowTheOrganisationsLogo(t *testing.T) {
	db := sqltest.NewSQLite(t)
	ctx := context.Background()
	s := &linkmail.Sender{PublicURL: "https://login.ims.example/", Now: time.Now}
	org := storetest.NewOrganisation(t, db, "Acme")
	if err := db.SetBranding(ctx, store.Branding{OrgID: org.ID, Accent: "#7a1f5c", Logo: []byte("\x89PNG"), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	html := invitationHTML(t, db, s, org)
	want := `<img src="https://login.ims.example/brand/` + org.URLName + `/logo.png" alt="Acme"`
	if !strings.Contains(html, want) {
		t.Errorf("the invitation lacks %s:\n%s", want, html)
	}
	if i, j := strings.Index(html, "<img"), strings.Index(html, ">IMS</span>"); i < 0 || j < 0 || i > j {
		t.Error("the logo is not at the top of the email")
	}

	own := org
	own.SignInURL = "https://sso.acme.example"
	if html := invitationHTML(t, db, s, own); !strings.Contains(html, `src="https://sso.acme.example/brand/`+org.URLName+`/logo.png"`) {
		t.Errorf("the logo does not use the organisation's sign-in address:\n%s", html)
	}

	plain := storetest.NewOrganisation(t, db, "Plain")
	if html := invitationHTML(t, db, s, plain); strings.Contains(html, "<img") {
		t.Errorf("an organisation without a logo got one:\n%s", html)
	}

	unconfigured := &linkmail.Sender{Now: time.Now}
	if html := invitationHTML(t, db, unconfigured, org); strings.Contains(html, "<img") {
		t.Errorf("a logo without a configured address:\n%s", html)
	}
}
