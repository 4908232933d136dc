package membership_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"imslogin/internal/linkmail"
	"imslogin/internal/membership"
	"imslogin/internal/password"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

func newService(t *testing.T) *membership.Service {
	db := sqltest.NewSQLite(t)
	h, err := password.NewHasher(password.Params{MemoryKiB: 8192, Time: 1, Threads: 1}, 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return &membership.Service{Store: db, Hasher: h, Now: time.Now,
		Invitations: &linkmail.Sender{PublicURL: "https://login.acme.example", Now: time.Now}}
}

func TestAddMemberRefusesBadInputAndWritesNothing(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	org, err := svc.CreateOrganisation(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	good := membership.NewMember{Organisation: "acme", Email: "Ana@Acme.test", Name: "Ana", Role: store.RoleOwner,
		Password: "a perfectly fine passphrase"}
	cases := map[string]func(*membership.NewMember){
		"no organisation named":      func(n *membership.NewMember) { n.Organisation = "Nope" },
		"not a valid address":        func(n *membership.NewMember) { n.Email = "ana at acme" },
		"name must not be empty":     func(n *membership.NewMember) { n.Name = " " },
		"want owner":                 func(n *membership.NewMember) { n.Role = "king" },
		"at least 15 characters":     func(n *membership.NewMember) { n.Password = "short" },
		"organisation name":          func(n *membership.NewMember) { n.Password = "acme is my favourite company" },
		"control characters":         func(n *membership.NewMember) { n.Name = "Ana\x00" },
		"contain control characters": func(n *membership.NewMember) { n.Name = "Ana\u0092" },
		"display name forbidden?":    func(n *membership.NewMember) { n.Email = "Ana <ana@acme.test>" },
	}
	for want, edit := range cases {
		n := good
		edit(&n)
		_, err := svc.AddMember(ctx, n)
		if !errors.Is(err, membership.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", want, err)
			continue
		}
		if !strings.HasSuffix(want, "?") && !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to say %q", err, want)
		}
	}
	if _, err := svc.Store.MemberByEmail(ctx, org.ID, "ana@acme.test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused member was written: %v", err)
	}
	m, err := svc.AddMember(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if m.Email != "ana@acme.test" || m.Status != store.StatusActive || m.PasswordHash == "" {
		t.Errorf("added %+v", m)
	}
	if _, err := svc.AddMember(ctx, good); err == nil || !strings.Contains(err.Error(), "already a member") {
		t.Errorf("duplicate email: %v", err)
	}
	invited := good
	invited.Email, invited.Password = "bo@acme.test", ""
	if m, err := svc.AddMember(ctx, invited); err != nil || m.Status != store.StatusInvited || m.PasswordHash != "" {
		t.Errorf("member without password: %+v, %v; want invited", m, err)
	}
}

func TestCreateOrganisationNamesAreUniqueIgnoringCase(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	if _, err := svc.CreateOrganisation(ctx, "Acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrganisation(ctx, " ACME "); !errors.Is(err, membership.ErrInvalid) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := svc.CreateOrganisation(ctx, ""); !errors.Is(err, membership.ErrInvalid) {
		t.Errorf("empty name: %v", err)
	}
}

// TestAddOrganisationURLName: the URL name is derived, the next free one
// when taken; one given is validated and must be free; a refused
// organisation is not stored.
func TestAddOrganisationURLName(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	for name, want := range map[string]string{"Acme Corp": "acme-corp", "Demo": "demo"} {
		if org, err := svc.CreateOrganisation(ctx, name); err != nil || org.URLName != want {
			t.Errorf("%s: URL name %q, %v; want %q", name, org.URLName, err, want)
		}
	}
	if org, err := svc.CreateOrganisation(ctx, "ACME corp!"); err != nil || org.URLName != "acme-corp-2" {
		t.Errorf("a second Acme Corp: URL name %q, %v; want acme-corp-2", org.URLName, err)
	}
	if org, err := svc.AddOrganisation(ctx, membership.NewOrganisation{Name: "Globex", URLName: " gx "}); err != nil || org.URLName != "gx" {
		t.Errorf("given gx: URL name %q, %v", org.URLName, err)
	}
	for _, c := range []struct{ name, urlName, field, want string }{
		{"Initech", "Initech", "url_name", `such as "initech"`},
		{"Initech", "acme-corp", "url_name", `URL name "acme-corp" is taken by the organisation "Acme Corp"`},
		{"Initech", "login", "url_name", `"login" is reserved`},
		{"Initech", "-x-", "url_name", "must start and end with a letter or digit"},
		{"Initech", "   ", "url_name", "URL name must not be empty"},
		{"acme corp", "initech", "name", `an organisation named "acme corp" already exists`},
	} {
		_, err := svc.AddOrganisation(ctx, membership.NewOrganisation{Name: c.name, URLName: c.urlName})
		if msg := membership.Fields(err)[c.field]; !errors.Is(err, membership.ErrInvalid) || !strings.Contains(msg, c.want) {
			t.Errorf("%q, %q: got %v, want %s: %q", c.name, c.urlName, err, c.field, c.want)
		}
	}
	both := membership.NewOrganisation{Name: "", URLName: "Bad Name"}
	if fields := membership.Fields(func() error { _, err := svc.AddOrganisation(ctx, both); return err }()); fields["name"] == "" || fields["url_name"] == "" {
		t.Errorf("an empty name and a bad URL name: %v, want both reported", fields)
	}
	if _, err := svc.Store.OrganisationByName(ctx, "Initech"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused organisation was stored: %v", err)
	}
}

// TestInvitationIsWrittenWithTheMember: the member row and the invitation
// email are one transaction, so neither exists without the other.
func TestInvitationIsWrittenWithTheMember(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	org, err := svc.CreateOrganisation(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	n := membership.NewMember{Organisation: "Acme", Email: "bo@acme.test", Name: "Bo", Role: store.RoleMember}
	m, err := svc.AddMember(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	mails, _ := svc.Store.(store.Store).OrganisationMail(ctx, org.ID, 10)
	if len(mails) != 1 || mails[0].To != "bo@acme.test" || mails[0].Kind != "invitation" ||
		!strings.Contains(mails[0].Text, "https://login.acme.example/invitation?token=") {
		t.Fatalf("outbox after inviting %s: %+v", m.Email, mails)
	}
	if _, err := svc.AddMember(ctx, n); err == nil {
		t.Fatal("the same member was added twice")
	}
	if mails, _ := svc.Store.(store.Store).OrganisationMail(ctx, org.ID, 10); len(mails) != 1 {
		t.Errorf("a refused member left %d invitations, want the first only", len(mails)-1)
	}
	svc.Invitations = nil
	n.Email = "cy@acme.test"
	if _, err := svc.AddMember(ctx, n); err == nil {
		t.Error("a member was invited with no way to send the invitation")
	}
	if _, err := svc.Store.MemberByEmail(ctx, org.ID, "cy@acme.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("member written without an invitation: %v", err)
	}
}
