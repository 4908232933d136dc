package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"imslogin/internal/store"
)

// PortalStore is a backend with the portals domain beside the aggregate.
type PortalStore interface {
	store.Store
	store.Portals
}

// RunPortals runs the portals' conformance tests; newStore returns an
// empty, migrated store.
func RunPortals(t *testing.T, newStore func(t *testing.T) PortalStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s PortalStore)
	}{
		{"CRUD", testPortalCRUD},
		{"AccessLists", testPortalAccessLists},
		{"Isolation", testPortalIsolation},
		{"ClientIDAcrossOrganisations", testPortalClientID},
		{"SecretRotation", testPortalSecretRotation},
		{"ConcurrentRotation", testPortalConcurrentRotation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

// newPortal is a valid portal open to all members.
func newPortal(orgID int64, name, clientID string) store.Portal {
	return store.Portal{OrgID: orgID, ClientID: clientID, Name: name,
		RedirectURIs:           []string{"https://wiki.acme.test/callback", "http://127.0.0.1:9000/cb"},
		PostLogoutRedirectURIs: []string{"https://wiki.acme.test/"}, BackchannelLogoutURI: "https://wiki.acme.test/bcl",
		HomeURL: "https://wiki.acme.test/", Confidential: true, FirstParty: true, Access: store.PortalAccessAll,
		AccessTokenLifetime: 10 * time.Minute, IDTokenLifetime: 5 * time.Minute, RefreshTokenLifetime: 720 * time.Hour,
		RefreshGrace: 2 * time.Second, SigningAlgorithm: "ES256", RequirePKCE: true,
		AllowedScopes: []string{"openid", "profile", "email", "offline_access", "roles"}, CreatedAt: now, UpdatedAt: now}
}

func createPortal(t *testing.T, s PortalStore, p store.Portal) store.Portal {
	t.Helper()
	if err := s.CreatePortal(context.Background(), &p); err != nil {
		t.Fatalf("create portal %q: %v", p.Name, err)
	}
	return p
}

func samePortal(got, want store.Portal) bool {
	return fmt.Sprintf("%+v", got) == fmt.Sprintf("%+v", want)
}

func testPortalCRUD(t *testing.T, s PortalStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	p := createPortal(t, s, newPortal(o.ID, "Wiki", "client-wiki-0000000000001"))
	if p.ID == 0 {
		t.Fatal("created portal has no ID")
	}
	if got, err := s.PortalByID(ctx, o.ID, p.ID); err != nil || !samePortal(got, p) {
		t.Errorf("by ID: got %+v, %v\nwant %+v", got, err, p)
	}
	dup := newPortal(o.ID, "WIKI", "client-wiki-0000000000002")
	if err := s.CreatePortal(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same name in another case: got %v, want ErrConflict", err)
	}
	mail := createPortal(t, s, newPortal(o.ID, "Mail", "client-mail-0000000000001"))
	if list, err := s.Portals(ctx, o.ID); err != nil || len(list) != 2 || list[0].ID != mail.ID || list[1].ID != p.ID {
		t.Errorf("list by name: got %+v, %v", list, err)
	}

	changed := p
	changed.Name, changed.RedirectURIs, changed.PostLogoutRedirectURIs = "Team Wiki", []string{"https://wiki2.acme.test/cb"}, nil
	changed.BackchannelLogoutURI, changed.HomeURL, changed.Confidential, changed.FirstParty = "", "", false, false
	changed.AccessTokenLifetime, changed.RefreshGrace, changed.SigningAlgorithm = time.Hour, 0, "RS256"
	changed.RequirePKCE, changed.AllowedScopes = false, []string{"openid", "email"}
	changed.UpdatedAt = now.Add(time.Hour)
	changed.ClientID, changed.CreatedAt = "ignored", now.Add(time.Hour) // neither ever changes
	if err := s.UpdatePortal(ctx, changed); err != nil {
		t.Fatal(err)
	}
	want := changed
	want.ClientID, want.CreatedAt = p.ClientID, p.CreatedAt
	if got, err := s.PortalByID(ctx, o.ID, p.ID); err != nil || !samePortal(got, want) {
		t.Errorf("after update: got %+v, %v\nwant %+v", got, err, want)
	}
	clash := changed
	clash.Name = "mail"
	if err := s.UpdatePortal(ctx, clash); !errors.Is(err, store.ErrConflict) {
		t.Errorf("renamed to another portal's name: got %v, want ErrConflict", err)
	}
	missing := changed
	missing.ID = p.ID + mail.ID + 100
	if err := s.UpdatePortal(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of no portal: got %v, want ErrNotFound", err)
	}

	secret := store.PortalSecret{OrgID: o.ID, PortalID: p.ID, Hash: tokenHash("s1"), CreatedAt: now}
	if err := s.AddPortalSecret(ctx, &secret); err != nil || secret.ID == 0 {
		t.Fatalf("add secret: %v (id %d)", err, secret.ID)
	}
	if err := s.DeletePortal(ctx, o.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PortalByID(ctx, o.ID, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted portal by ID: got %v, want ErrNotFound", err)
	}
	if _, err := s.PortalByClientID(ctx, p.ClientID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted portal by client ID: got %v, want ErrNotFound", err)
	}
	if list, err := s.PortalSecrets(ctx, o.ID, p.ID, time.Time{}); err != nil || len(list) != 0 {
		t.Errorf("secrets of a deleted portal: %+v, %v", list, err)
	}
	if err := s.DeletePortal(ctx, o.ID, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	if list, _ := s.Portals(ctx, o.ID); len(list) != 1 || list[0].ID != mail.ID {
		t.Errorf("list after delete: %+v", list)
	}
}

// testPortalAccessLists: roles and members are kept only for the rule
// that uses them, replaced on update, and a custom role's key goes with
// the role.
func testPortalAccessLists(t *testing.T, s PortalStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	ana, bo := NewMember(t, s, o.ID, "ana@acme.test"), NewMember(t, s, o.ID, "bo@acme.test")
	r := store.CustomRole{OrgID: o.ID, Name: "Editors", CreatedAt: now}
	if err := s.CreateRole(ctx, &r); err != nil {
		t.Fatal(err)
	}
	p := newPortal(o.ID, "Wiki", "client-wiki-0000000000001")
	p.Access = store.PortalAccessRoles
	p.Roles = []string{"owner", store.CustomRoleKey(r.ID), "owner"}
	p.MemberIDs = []int64{ana.ID} // not kept: the rule is roles
	p = createPortal(t, s, p)
	got, err := s.PortalByID(ctx, o.ID, p.ID)
	if err != nil || !slices.Equal(got.Roles, []string{"owner", store.CustomRoleKey(r.ID)}) || got.MemberIDs != nil {
		t.Errorf("roles rule: roles %v, members %v, %v", got.Roles, got.MemberIDs, err)
	}
	got.Access, got.MemberIDs, got.Roles = store.PortalAccessMembers, []int64{bo.ID, ana.ID, bo.ID}, []string{"member"}
	if err := s.UpdatePortal(ctx, got); err != nil {
		t.Fatal(err)
	}
	byClient, err := s.PortalByClientID(ctx, p.ClientID)
	if err != nil || byClient.Roles != nil || !slices.Equal(byClient.MemberIDs, []int64{ana.ID, bo.ID}) {
		t.Errorf("members rule: roles %v, members %v, %v", byClient.Roles, byClient.MemberIDs, err)
	}
	byClient.Access, byClient.MemberIDs, byClient.Roles = store.PortalAccessRoles, nil, []string{"administrator", store.CustomRoleKey(r.ID)}
	if err := s.UpdatePortal(ctx, byClient); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, o.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	list, err := s.Portals(ctx, o.ID)
	if err != nil || len(list) != 1 || !slices.Equal(list[0].Roles, []string{"administrator"}) || list[0].MemberIDs != nil {
		t.Errorf("after the custom role's deletion: %+v, %v", list, err)
	}
	bad := newPortal(o.ID, "Bad", "client-bad-00000000000001")
	bad.Access, bad.Roles = store.PortalAccessRoles, []string{"king"}
	if err := s.CreatePortal(ctx, &bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown role key: got %v, want ErrNotFound", err)
	}
	if _, err := s.PortalByClientID(ctx, bad.ClientID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused portal was written: %v", err)
	}
}

// testPortalIsolation: knowing another organisation's IDs reads and
// changes nothing of it.
func testPortalIsolation(t *testing.T, s PortalStore) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	ma := NewMember(t, s, a.ID, "ana@alpha.test")
	ra := store.CustomRole{OrgID: a.ID, Name: "Editors", CreatedAt: now}
	if err := s.CreateRole(ctx, &ra); err != nil {
		t.Fatal(err)
	}
	pa := createPortal(t, s, newPortal(a.ID, "Wiki", "client-alpha-000000000001"))
	sa := store.PortalSecret{OrgID: a.ID, PortalID: pa.ID, Hash: tokenHash("alpha"), CreatedAt: now}
	if err := s.AddPortalSecret(ctx, &sa); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PortalByID(ctx, b.ID, pa.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("read another organisation's portal: got %v, want ErrNotFound", err)
	}
	if list, err := s.Portals(ctx, b.ID); err != nil || len(list) != 0 {
		t.Errorf("Beta lists %+v, %v", list, err)
	}
	stolen := pa
	stolen.OrgID, stolen.Name = b.ID, "Stolen"
	if err := s.UpdatePortal(ctx, stolen); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update another organisation's portal: got %v, want ErrNotFound", err)
	}
	if err := s.DeletePortal(ctx, b.ID, pa.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete another organisation's portal: got %v, want ErrNotFound", err)
	}
	if list, _ := s.PortalSecrets(ctx, b.ID, pa.ID, now); len(list) != 0 {
		t.Errorf("Beta reads Alpha's secrets: %+v", list)
	}
	foreignSecret := store.PortalSecret{OrgID: b.ID, PortalID: pa.ID, Hash: tokenHash("beta"), CreatedAt: now}
	if err := s.AddPortalSecret(ctx, &foreignSecret); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("add a secret to another organisation's portal: got %v, want ErrNotFound", err)
	}
	if err := s.RotatePortalSecret(ctx, &foreignSecret, now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rotate another organisation's secret: got %v, want ErrNotFound", err)
	}
	if err := s.DeletePortalSecrets(ctx, b.ID, pa.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.PortalSecrets(ctx, a.ID, pa.ID, now); len(list) != 1 || string(list[0].Hash) != string(sa.Hash) {
		t.Errorf("Alpha's secrets after Beta's attempts: %+v", list)
	}
	// Beta cannot let Alpha's member or role into its own portal.
	withMember := newPortal(b.ID, "Mail", "client-beta-0000000000001")
	withMember.Access, withMember.MemberIDs = store.PortalAccessMembers, []int64{ma.ID}
	if err := s.CreatePortal(ctx, &withMember); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's member: got %v, want ErrNotFound", err)
	}
	withRole := newPortal(b.ID, "Mail", "client-beta-0000000000002")
	withRole.Access, withRole.Roles = store.PortalAccessRoles, []string{store.CustomRoleKey(ra.ID)}
	if err := s.CreatePortal(ctx, &withRole); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's role: got %v, want ErrNotFound", err)
	}
	if list, _ := s.Portals(ctx, b.ID); len(list) != 0 {
		t.Errorf("refused portals were written: %+v", list)
	}
	if got, err := s.PortalByID(ctx, a.ID, pa.ID); err != nil || !samePortal(got, pa) {
		t.Errorf("Alpha's portal changed: %+v, %v", got, err)
	}
}

// testPortalClientID: the token endpoint finds any organisation's portal
// by its client ID, which no two portals share.
func testPortalClientID(t *testing.T, s PortalStore) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	pa := createPortal(t, s, newPortal(a.ID, "Wiki", "client-alpha-000000000001"))
	pb := createPortal(t, s, newPortal(b.ID, "Wiki", "client-beta-0000000000001"))
	for _, want := range []store.Portal{pa, pb} {
		if got, err := s.PortalByClientID(ctx, want.ClientID); err != nil || !samePortal(got, want) {
			t.Errorf("by client ID %s: got %+v, %v", want.ClientID, got, err)
		}
	}
	taken := newPortal(b.ID, "Mail", pa.ClientID)
	if err := s.CreatePortal(ctx, &taken); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a client ID another organisation uses: got %v, want ErrConflict", err)
	}
	if _, err := s.PortalByClientID(ctx, "no-such-client"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown client ID: got %v, want ErrNotFound", err)
	}
}

func hashes(list []store.PortalSecret) []string {
	var out []string
	for _, s := range list {
		out = append(out, string(s.Hash))
	}
	return out
}

// testPortalSecretRotation: a rotated secret works until its deadline, a
// later rotation never extends it, and a rotation without overlap ends
// every older secret at once.
func testPortalSecretRotation(t *testing.T, s PortalStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	p := createPortal(t, s, newPortal(o.ID, "Wiki", "client-wiki-0000000000001"))
	s1 := store.PortalSecret{OrgID: o.ID, PortalID: p.ID, Hash: tokenHash("s1"), CreatedAt: now}
	if err := s.AddPortalSecret(ctx, &s1); err != nil {
		t.Fatal(err)
	}
	t1 := now.Add(time.Hour)
	s2 := store.PortalSecret{OrgID: o.ID, PortalID: p.ID, Hash: tokenHash("s2"), CreatedAt: t1}
	if err := s.RotatePortalSecret(ctx, &s2, t1.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, err := s.PortalSecrets(ctx, o.ID, p.ID, t1)
	if err != nil || !slices.Equal(hashes(list), []string{string(s2.Hash), string(s1.Hash)}) {
		t.Fatalf("during the overlap: %+v, %v", list, err)
	}
	if !list[0].ExpiresAt.IsZero() || !list[1].ExpiresAt.Equal(t1.Add(24*time.Hour)) || !list[1].ValidAt(t1) {
		t.Errorf("deadlines: new %v, old %v", list[0].ExpiresAt, list[1].ExpiresAt)
	}
	checkPortalClient(t, s, p, t1, list)
	if got, _ := s.PortalSecrets(ctx, o.ID, p.ID, t1.Add(24*time.Hour)); !slices.Equal(hashes(got), []string{string(s2.Hash)}) {
		t.Errorf("after the overlap: %v", hashes(got))
	}
	// A second rotation within the overlap: s1 keeps its earlier deadline,
	// s2 gets the new one.
	t2 := t1.Add(2 * time.Hour)
	s3 := store.PortalSecret{OrgID: o.ID, PortalID: p.ID, Hash: tokenHash("s3"), CreatedAt: t2}
	if err := s.RotatePortalSecret(ctx, &s3, t2.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, _ = s.PortalSecrets(ctx, o.ID, p.ID, t2)
	if !slices.Equal(hashes(list), []string{string(s3.Hash), string(s2.Hash), string(s1.Hash)}) ||
		!list[1].ExpiresAt.Equal(t2.Add(48*time.Hour)) || !list[2].ExpiresAt.Equal(t1.Add(24*time.Hour)) {
		t.Errorf("after a second rotation: %+v", list)
	}
	// Past s1's deadline a rotation deletes it; without overlap it ends s2
	// and s3 at once.
	t3 := t1.Add(25 * time.Hour)
	s4 := store.PortalSecret{OrgID: o.ID, PortalID: p.ID, Hash: tokenHash("s4"), CreatedAt: t3}
	if err := s.RotatePortalSecret(ctx, &s4, t3); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.PortalSecrets(ctx, o.ID, p.ID, time.Time{}); !slices.Equal(hashes(all), []string{string(s4.Hash)}) {
		t.Errorf("stored after a rotation without overlap: %v", hashes(all))
	}
	if err := s.DeletePortalSecrets(ctx, o.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.PortalSecrets(ctx, o.ID, p.ID, time.Time{}); len(all) != 0 {
		t.Errorf("secrets after DeletePortalSecrets: %v", hashes(all))
	}
	checkPortalClient(t, s, p, t3, nil)
	if _, _, err := s.PortalClient(ctx, "client-nobody-00000000000", t3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PortalClient of an unknown client: %v, want ErrNotFound", err)
	}
}

// checkPortalClient: PortalClient reads the portal and the secrets
// PortalSecrets lists at the same time, in the same order.
func checkPortalClient(t *testing.T, s PortalStore, p store.Portal, at time.Time, want []store.PortalSecret) {
	t.Helper()
	got, secrets, err := s.PortalClient(context.Background(), p.ClientID, at)
	if err != nil || got.ID != p.ID || got.OrgID != p.OrgID || got.Name != p.Name || !slices.Equal(got.RedirectURIs, p.RedirectURIs) {
		t.Fatalf("PortalClient: %+v, %v; want %+v", got, err, p)
	}
	if !slices.Equal(hashes(secrets), hashes(want)) {
		t.Errorf("PortalClient secrets at %v: %v, want %v", at, hashes(secrets), hashes(want))
	}
	for i := range secrets {
		if secrets[i].ID != want[i].ID || !secrets[i].ExpiresAt.Equal(want[i].ExpiresAt) || secrets[i].PortalID != p.ID {
			t.Errorf("secret %d: %+v, want %+v", i, secrets[i], want[i])
		}
	}
}

// testPortalConcurrentRotation: of rotations racing on one portal, every
// new secret still works afterwards and exactly one is current.
func testPortalConcurrentRotation(t *testing.T, s PortalStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	p := createPortal(t, s, newPortal(o.ID, "Wiki", "client-wiki-0000000000001"))
	first := store.PortalSecret{OrgID: o.ID, PortalID: p.ID, Hash: tokenHash("first"), CreatedAt: now}
	if err := s.AddPortalSecret(ctx, &first); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sec := store.PortalSecret{OrgID: o.ID, PortalID: p.ID, Hash: tokenHash(fmt.Sprint("new", i)), CreatedAt: now.Add(time.Minute)}
			errs <- s.RotatePortalSecret(ctx, &sec, now.Add(24*time.Hour))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("rotation: %v", err)
		}
	}
	list, err := s.PortalSecrets(ctx, o.ID, p.ID, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	current := 0
	for _, sec := range list {
		if sec.ExpiresAt.IsZero() {
			current++
		}
	}
	if len(list) != n+1 || current != 1 {
		t.Errorf("after %d concurrent rotations: %d secrets work, %d current; want %d and 1", n, len(list), current, n+1)
	}
}
