package portal_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/portal"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

type fixture struct {
	db    *sqlstore.DB
	svc   *portal.Service
	org   store.Organisation
	by    portal.By
	clock time.Time
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	f := &fixture{db: db, org: storetest.NewOrganisation(t, db, "Acme Corp"), clock: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.svc = &portal.Service{Store: db, PublicURL: "https://login.example.org", Now: func() time.Time { return f.clock }}
	f.by = portal.By{OrgID: f.org.ID, Actor: audit.ActorCommandLine}
	return f
}

func (f *fixture) auditDetails(t *testing.T) []string {
	t.Helper()
	events, err := f.db.AuditEvents(context.Background(), f.org.ID, store.AuditFilter{Kind: audit.PortalChange})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Actor+": "+e.Detail)
	}
	return out
}

func fields(err error) map[string]string {
	var invalid *portal.Invalid
	if errors.As(err, &invalid) {
		return invalid.Fields
	}
	return nil
}

func TestCreateAndRotate(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		p, creds, err := f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"},
			Confidential: true, FirstParty: true})
		if err != nil {
			t.Fatal(err)
		}
		if creds.ClientID != p.ClientID || creds.Issuer != "https://login.example.org/o/acme-corp" || creds.Secret == "" {
			t.Errorf("credentials: %+v", creds)
		}
		stored, err := db.PortalByClientID(ctx, creds.ClientID)
		if err != nil || stored.Name != "Wiki" || stored.AccessTokenLifetime != 10*time.Minute || !stored.FirstParty {
			t.Fatalf("stored: %+v, %v", stored, err)
		}
		if ok, err := portal.CheckSecret(ctx, db, stored, creds.Secret, f.clock); !ok || err != nil {
			t.Errorf("the new secret does not work: %v", err)
		}
		if details := f.auditDetails(t); len(details) != 1 || !strings.Contains(details[0], `command line: portal "Wiki" registered (client ID `+p.ClientID) {
			t.Errorf("audit: %q", details)
		}

		rotated, until, err := f.svc.RotateSecret(ctx, f.by, p.ID, portal.DefaultOverlap)
		if err != nil || rotated.Secret == creds.Secret || rotated.ClientID != p.ClientID || !until.Equal(f.clock.Add(24*time.Hour)) {
			t.Fatalf("rotate: %+v, %v, %v", rotated, until, err)
		}
		f.clock = f.clock.Add(23 * time.Hour)
		for name, secret := range map[string]string{"old": creds.Secret, "new": rotated.Secret} {
			if ok, _ := portal.CheckSecret(ctx, db, stored, secret, f.clock); !ok {
				t.Errorf("the %s secret does not work during the overlap", name)
			}
		}
		f.clock = f.clock.Add(time.Hour)
		if ok, _ := portal.CheckSecret(ctx, db, stored, creds.Secret, f.clock); ok {
			t.Error("the old secret works after the overlap")
		}
		if ok, _ := portal.CheckSecret(ctx, db, stored, rotated.Secret, f.clock); !ok {
			t.Error("the new secret stopped working")
		}
		again, _, err := f.svc.RotateSecret(ctx, f.by, p.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := portal.CheckSecret(ctx, db, stored, rotated.Secret, f.clock); ok {
			t.Error("a rotation without overlap left the previous secret working")
		}
		if ok, _ := portal.CheckSecret(ctx, db, stored, again.Secret, f.clock); !ok {
			t.Error("the newest secret does not work")
		}
		if _, _, err := f.svc.RotateSecret(ctx, f.by, p.ID, 31*24*time.Hour); fields(err)["overlap"] == "" {
			t.Errorf("an overlap of 31 days: %v", err)
		}
		details := f.auditDetails(t)
		if len(details) != 3 || !strings.Contains(details[0], "client secret rotated; the previous secrets stopped working at once") ||
			!strings.Contains(details[1], "the previous secrets work until") {
			t.Errorf("audit: %q", details)
		}
	})
}

func TestBadInputWritesNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		other := storetest.NewOrganisation(t, db, "Globex")
		outsider := storetest.NewMember(t, db, other.ID, "eve@globex.test")
		_, _, err := f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"http://wiki.acme.test/cb"},
			Access: store.PortalAccessRoles, Roles: []string{"Editors"}})
		got := fields(err)
		if !strings.Contains(got["redirect_uris"], "plain http") || !strings.Contains(got["roles"], `no role "Editors"`) {
			t.Errorf("refusal: %v", err)
		}
		_, _, err = f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"},
			Access: store.PortalAccessMembers, MemberIDs: []int64{outsider.ID}})
		if !strings.Contains(fields(err)["members"], "no team member with ID") {
			t.Errorf("another organisation's member: %v", err)
		}
		_, _, err = f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"},
			Access: store.PortalAccessMembers, MemberEmails: []string{"eve@globex.test"}})
		if !strings.Contains(fields(err)["members"], "no team member eve@globex.test") {
			t.Errorf("another organisation's member by email: %v", err)
		}
		if list, _ := db.Portals(ctx, f.org.ID); len(list) != 0 {
			t.Errorf("refused portals were written: %+v", list)
		}
		if details := f.auditDetails(t); len(details) != 0 {
			t.Errorf("refusals were audited as changes: %q", details)
		}
		if _, _, err := f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"}}); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.svc.Create(ctx, f.by, portal.Input{Name: "WIKI", RedirectURIs: []string{"https://wiki.acme.test/cb"}})
		if !strings.Contains(fields(err)["name"], "already has a portal with this name") {
			t.Errorf("a second portal of the same name: %v", err)
		}
	})
}

// failingAudit refuses to append to the audit log.
type failingAudit struct{ *sqlstore.DB }

func (failingAudit) AppendAuditEvent(context.Context, *store.AuditEvent) error {
	return errors.New("audit log unavailable")
}

// TestNoChangeWithoutItsAuditEntry: the entry is written in the change's
// transaction, so when it cannot be written the change is not made.
func TestNoChangeWithoutItsAuditEntry(t *testing.T) {
	db := sqltest.NewSQLite(t)
	f := newFixture(t, db)
	ctx := context.Background()
	p, _, err := f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"}, Confidential: true})
	if err != nil {
		t.Fatal(err)
	}
	broken := &portal.Service{Store: failingAudit{db}, PublicURL: f.svc.PublicURL, Now: f.svc.Now}
	if _, _, err := broken.Create(ctx, f.by, portal.Input{Name: "Mail", RedirectURIs: []string{"https://mail.acme.test/cb"}}); err == nil {
		t.Error("create without audit succeeded")
	}
	if _, _, err := broken.Update(ctx, f.by, p.ID, portal.Input{Name: "Renamed", RedirectURIs: p.RedirectURIs}); err == nil {
		t.Error("update without audit succeeded")
	}
	if _, _, err := broken.RotateSecret(ctx, f.by, p.ID, 0); err == nil {
		t.Error("rotation without audit succeeded")
	}
	if err := broken.Delete(ctx, f.by, p.ID); err == nil {
		t.Error("delete without audit succeeded")
	}
	list, _ := db.Portals(ctx, f.org.ID)
	secrets, _ := db.PortalSecrets(ctx, f.org.ID, p.ID, f.clock)
	if len(list) != 1 || list[0].Name != "Wiki" || len(secrets) != 1 {
		t.Errorf("after failed changes: portals %+v, %d secrets", list, len(secrets))
	}
}

func TestUpdateAccessAndClientType(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		ana := storetest.NewMember(t, db, f.org.ID, "ana@acme.test")
		editors := store.CustomRole{OrgID: f.org.ID, Name: "Editors", CreatedAt: f.clock}
		if err := db.CreateRole(ctx, &editors); err != nil {
			t.Fatal(err)
		}
		p, creds, err := f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"},
			Confidential: true, Access: store.PortalAccessRoles, Roles: []string{"editors", "Owner", store.CustomRoleKey(editors.ID)}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(p.Roles, " ") != store.CustomRoleKey(editors.ID)+" owner" {
			t.Errorf("roles by name and key: %v", p.Roles)
		}
		in := portal.InputOf(p)
		in.Confidential, in.Access, in.MemberEmails = false, store.PortalAccessMembers, []string{" ANA@acme.test "}
		updated, none, err := f.svc.Update(ctx, f.by, p.ID, in)
		if err != nil || none.Secret != "" || updated.ClientID != p.ClientID {
			t.Fatalf("made public: %+v, %+v, %v", updated, none, err)
		}
		if secrets, _ := db.PortalSecrets(ctx, f.org.ID, p.ID, time.Time{}); len(secrets) != 0 {
			t.Errorf("a public portal keeps %d secrets", len(secrets))
		}
		stored, _ := db.PortalByID(ctx, f.org.ID, p.ID)
		if len(stored.MemberIDs) != 1 || stored.MemberIDs[0] != ana.ID || stored.Roles != nil || stored.Confidential {
			t.Errorf("after the update: %+v", stored)
		}
		if ok, _ := portal.CheckSecret(ctx, db, stored, creds.Secret, f.clock); ok {
			t.Error("the secret of a portal made public still works")
		}
		in = portal.InputOf(stored)
		in.Confidential = true
		_, fresh, err := f.svc.Update(ctx, f.by, p.ID, in)
		if err != nil || fresh.Secret == "" {
			t.Fatalf("made confidential: %+v, %v", fresh, err)
		}
		stored, _ = db.PortalByID(ctx, f.org.ID, p.ID)
		if ok, _ := portal.CheckSecret(ctx, db, stored, fresh.Secret, f.clock); !ok {
			t.Error("the secret of a portal made confidential does not work")
		}
		details := f.auditDetails(t)
		if len(details) != 3 || !strings.Contains(details[1], "now public (secrets deleted); access: 1 chosen member") ||
			!strings.Contains(details[0], "now confidential (new secret)") {
			t.Errorf("audit: %q", details)
		}
		if _, _, err := f.svc.Update(ctx, portal.By{OrgID: f.org.ID + 100}, p.ID, in); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update from another organisation: %v", err)
		}
		if err := f.svc.Delete(ctx, portal.By{OrgID: f.org.ID + 100}, p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete from another organisation: %v", err)
		}
		if err := f.svc.Delete(ctx, f.by, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PortalByClientID(ctx, p.ClientID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted portal: %v", err)
		}
		if _, _, err := f.svc.RotateSecret(ctx, f.by, p.ID, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("rotating a deleted portal's secret: %v", err)
		}
	})
}

// TestPKCEAndScopeSettings: a new portal requires PKCE and may ask for
// every scope; an administrator narrows both, and a bad list changes
// nothing.
func TestPKCEAndScopeSettings(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		p, _, err := f.svc.Create(ctx, f.by, portal.Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"}, Confidential: true})
		if err != nil {
			t.Fatal(err)
		}
		if !p.RequirePKCE || !slices.Equal(p.AllowedScopes, portal.Scopes) {
			t.Errorf("new portal: require PKCE %v, scopes %v; want on and %v", p.RequirePKCE, p.AllowedScopes, portal.Scopes)
		}
		in := portal.InputOf(p)
		off := false
		in.RequirePKCE, in.AllowedScopes = &off, []string{"email", "openid"}
		if _, _, err := f.svc.Update(ctx, f.by, p.ID, in); err != nil {
			t.Fatal(err)
		}
		stored, _ := db.PortalByID(ctx, f.org.ID, p.ID)
		if stored.RequirePKCE || !slices.Equal(stored.AllowedScopes, []string{"openid", "email"}) {
			t.Errorf("after the update: require PKCE %v, scopes %v", stored.RequirePKCE, stored.AllowedScopes)
		}
		for _, bad := range [][]string{{}, {"openid", "phone"}, {"email"}} {
			in := portal.InputOf(stored)
			in.Name, in.RequirePKCE, in.AllowedScopes = "Renamed", nil, bad
			if _, _, err := f.svc.Update(ctx, f.by, p.ID, in); fields(err)["allowed_scopes"] == "" {
				t.Errorf("scopes %q: %v, want allowed_scopes refused", bad, err)
			}
		}
		if again, _ := db.PortalByID(ctx, f.org.ID, p.ID); !samePortal(again, stored) {
			t.Errorf("a refused update changed the portal: %+v", again)
		}
		details := f.auditDetails(t)
		if len(details) != 2 || !strings.HasSuffix(details[0], "changed: PKCE optional; scopes [openid email]") ||
			!strings.Contains(details[1], "PKCE required; scopes [openid profile email offline_access roles]") {
			t.Errorf("audit: %q", details)
		}
	})
}

func samePortal(a, b store.Portal) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }
