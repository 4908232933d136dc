package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"imslogin/internal/store"
)

func testOrganisationUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	o.Name = "Acme Research"
	o.SignInURL = "https://portal.acme.test"
	o.Settings.PasswordMinLength = 20
	o.Settings.RegistrationLifetime = 48 * time.Hour
	o.Settings.UnlinkedRemovalDays = 10
	o.Settings.NotifyMemberLockout = false
	o.Settings.NotifyAdminsNewMember = true
	o.Settings.LockoutThreshold = 7
	if err := s.UpdateOrganisation(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLicences(ctx, o.ID, 42); err != nil {
		t.Fatal(err)
	}
	o.Licences = 42
	got, err := s.OrganisationByName(ctx, "ACME research")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Errorf("got %+v, want %+v", got, o)
	}
	other := NewOrganisation(t, s, "Globex")
	other.Name = "Acme research"
	if err := s.UpdateOrganisation(ctx, other); !errors.Is(err, store.ErrConflict) {
		t.Errorf("renaming onto another organisation's name: got %v, want ErrConflict", err)
	}
	if err := s.SetLicences(ctx, 9999, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("licences of a missing organisation: got %v, want ErrNotFound", err)
	}
}

// newNamedMember creates a member with a given name and last sign-in.
func newNamedMember(t *testing.T, s store.Store, orgID int64, email, name string, status store.MemberStatus, last time.Time) store.Member {
	t.Helper()
	m := store.Member{OrgID: orgID, Email: email, Name: name, Role: store.RoleMember, Status: status,
		Licensed: true, CreatedAt: now, LastSignInAt: last}
	if err := s.CreateMember(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func ids(rows []store.MemberRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// pageAll walks every page forward and checks that walking back from the
// end gives the same pages.
func pageAll(t *testing.T, s store.Store, orgID int64, q store.MemberQuery) []int64 {
	t.Helper()
	ctx := context.Background()
	var all []int64
	var pages [][]int64
	q.After, q.Before = nil, nil
	for i := 0; i < 100; i++ {
		rows, err := s.ListMembers(ctx, orgID, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		pages = append(pages, ids(rows))
		all = append(all, ids(rows)...)
		c := rows[len(rows)-1].Cursor(q.Sort)
		q.After = &c
	}
	// Back from the first row of the last page.
	for i := len(pages) - 1; i > 0; i-- {
		first, err := s.ListMembers(ctx, orgID, store.MemberQuery{Search: q.Search, Sort: q.Sort, Desc: q.Desc, Limit: q.Limit,
			After: nil, Before: cursorOf(t, s, orgID, q, pages[i][0])})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids(first), pages[i-1]) {
			t.Errorf("page %d backwards: got %v, want %v", i-1, ids(first), pages[i-1])
		}
	}
	return all
}

func cursorOf(t *testing.T, s store.Store, orgID int64, q store.MemberQuery, id int64) *store.MemberCursor {
	m, err := s.MemberByID(context.Background(), orgID, id)
	if err != nil {
		t.Fatal(err)
	}
	c := store.MemberRow{Member: m}.Cursor(q.Sort)
	return &c
}

func testMemberListing(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	names := []string{"bea", "Ana", "carl", "Dora", "ana", "Eve_1", "eve%2", "Fay", "gus", "Hal", "ivy"}
	var members []store.Member
	for i, n := range names {
		status := store.StatusActive
		if i%3 == 0 {
			status = store.StatusInvited
		}
		last := time.Time{}
		if i%2 == 0 {
			last = now.Add(time.Duration(i) * time.Hour)
		}
		members = append(members, newNamedMember(t, s, o.ID, fmt.Sprintf("m%02d@acme.test", i), n, status, last))
	}
	NewMember(t, s, NewOrganisation(t, s, "Globex").ID, "bea@globex.test")

	byName := pageAll(t, s, o.ID, store.MemberQuery{Sort: store.SortName, Limit: 3})
	want := []int64{members[1].ID, members[4].ID, members[0].ID, members[2].ID, members[3].ID, members[6].ID,
		members[5].ID, members[7].ID, members[8].ID, members[9].ID, members[10].ID}
	if !reflect.DeepEqual(byName, want) {
		t.Errorf("by name: got %v, want %v", byName, want)
	}
	desc := pageAll(t, s, o.ID, store.MemberQuery{Sort: store.SortName, Desc: true, Limit: 4})
	for i := range want {
		if desc[i] != want[len(want)-1-i] {
			t.Fatalf("by name, descending: got %v, want the reverse of %v", desc, want)
		}
	}
	for _, sort := range []store.MemberSort{store.SortEmail, store.SortStatus, store.SortLastSignIn} {
		got := pageAll(t, s, o.ID, store.MemberQuery{Sort: sort, Limit: 2})
		if len(got) != len(names) {
			t.Errorf("sorted by %s: %d rows over the pages, want %d", sort, len(got), len(names))
		}
	}

	search := func(term string) []int64 {
		rows, err := s.ListMembers(ctx, o.ID, store.MemberQuery{Search: term, Sort: store.SortName, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.CountMembers(ctx, o.ID, term, 0)
		if err != nil || n != len(rows) {
			t.Errorf("count of %q: got %d, %v; want %d", term, n, err, len(rows))
		}
		return ids(rows)
	}
	if got := search("ANA"); !reflect.DeepEqual(got, []int64{members[1].ID, members[4].ID}) {
		t.Errorf("search ANA: got %v", got)
	}
	if got := search("m07@"); !reflect.DeepEqual(got, []int64{members[7].ID}) {
		t.Errorf("search by email: got %v", got)
	}
	// Punctuation separates words, and is not a pattern.
	if got := search("eve_1"); !reflect.DeepEqual(got, []int64{members[5].ID}) {
		t.Errorf("search eve_1: got %v, want Eve_1 alone", got)
	}
	if got := search("eve%2"); !reflect.DeepEqual(got, []int64{members[6].ID}) {
		t.Errorf("search eve%%2: got %v, want eve%%2 alone", got)
	}
	if got := search("%"); len(got) != len(names) {
		t.Errorf("search %%, no word: got %v, want everyone", got)
	}
	if got := search("globex"); len(got) != 0 {
		t.Errorf("search found another organisation's member: %v", got)
	}
	if n, _ := s.CountMembers(ctx, o.ID, "", 0); n != len(names) {
		t.Errorf("count: got %d, want %d", n, len(names))
	}
	if n, _ := s.CountMembers(ctx, o.ID, "acme", 4); n != 5 {
		t.Errorf("count capped at 4: got %d, want 5 (over the cap)", n)
	}

	// A lock on a member's email shows in the list.
	if _, _, err := s.ReserveSigninAttempt(ctx, o.ID, members[2].Email, store.FailureRule{Now: now, Threshold: 1,
		LockFor: time.Hour, Forget: time.Hour}); err != nil {
		t.Fatal(err)
	}
	rows, _ := s.ListMembers(ctx, o.ID, store.MemberQuery{Search: members[2].Email, Limit: 5})
	if len(rows) != 1 || !rows[0].LockedUntil.Equal(now.Add(time.Hour)) {
		t.Errorf("locked member: got %+v, want locked until %v", rows, now.Add(time.Hour))
	}
}

func testMemberAccessAndRoles(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	other := NewOrganisation(t, s, "Globex")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	r := store.CustomRole{OrgID: o.ID, Name: "Auditor", Permissions: []string{"audit.read", "members.read"}, CreatedAt: now}
	if err := s.CreateRole(ctx, &r); err != nil {
		t.Fatal(err)
	}
	dup := store.CustomRole{OrgID: o.ID, Name: "AUDITOR", CreatedAt: now}
	if err := s.CreateRole(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate role name: got %v, want ErrConflict", err)
	}
	foreign := store.CustomRole{OrgID: other.ID, Name: "Auditor", CreatedAt: now}
	if err := s.CreateRole(ctx, &foreign); err != nil {
		t.Errorf("the same role name in another organisation: %v", err)
	}

	a := store.MemberAccess{Role: store.RoleMember, RoleID: r.ID, Permissions: "settings.read", Licensed: false, DataAccess: true}
	if err := s.SetMemberAccess(ctx, o.ID, m.ID, a); err != nil {
		t.Fatal(err)
	}
	got, _ := s.MemberByID(ctx, o.ID, m.ID)
	if got.RoleID != r.ID || got.Permissions != "settings.read" || got.Licensed || !got.DataAccess {
		t.Errorf("after SetMemberAccess: got %+v", got)
	}
	if err := s.SetMemberAccess(ctx, o.ID, m.ID, store.MemberAccess{Role: store.RoleMember, RoleID: foreign.ID}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's role: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteRole(ctx, o.ID, r.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("deleting a role in use: got %v, want ErrConflict", err)
	}
	sess := store.Session{TokenHash: tokenHash("ana"), OrgID: o.ID, MemberID: m.ID, CreatedAt: now, LastSeenAt: now,
		AuthTime: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, &sess); err != nil {
		t.Fatal(err)
	}
	if si, err := s.SignedInByTokenHash(ctx, tokenHash("ana")); err != nil || si.RolePermissions != "audit.read members.read" {
		t.Errorf("signed in with a custom role: got role permissions %q, %v", si.RolePermissions, err)
	}
	rows, _ := s.ListMembers(ctx, o.ID, store.MemberQuery{Limit: 5})
	if len(rows) != 1 || rows[0].RoleName != "Auditor" {
		t.Errorf("list shows role %+v, want Auditor", rows)
	}

	r.Name, r.Permissions = "Auditors", []string{"audit.read"}
	if err := s.UpdateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RoleByID(ctx, o.ID, r.ID); !reflect.DeepEqual(got, r) {
		t.Errorf("role: got %+v, want %+v", got, r)
	}
	if list, _ := s.Roles(ctx, o.ID); len(list) != 1 {
		t.Errorf("roles: got %+v, want one", list)
	}
	if err := s.SetMemberAccess(ctx, o.ID, m.ID, store.MemberAccess{Role: store.RoleOwner, Licensed: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, o.ID, r.ID); err != nil {
		t.Errorf("deleting an unused role: %v", err)
	}
	if n, _ := s.CountActiveOwners(ctx, o.ID); n != 1 {
		t.Errorf("active owners: got %d, want 1", n)
	}
	if n, _ := s.LicencesInUse(ctx, o.ID); n != 1 {
		t.Errorf("licences in use: got %d, want 1", n)
	}
	s.SetMemberStatus(ctx, o.ID, m.ID, store.StatusDisabled)
	if n, _ := s.CountActiveOwners(ctx, o.ID); n != 0 {
		t.Errorf("active owners after disabling: got %d, want 0", n)
	}
	if _, err := s.LockOrganisation(ctx, o.ID); err != nil {
		t.Errorf("lock organisation: %v", err)
	}
	admin := NewMember(t, s, o.ID, "admin@acme.test")
	s.SetMemberAccess(ctx, o.ID, admin.ID, store.MemberAccess{Role: store.RoleAdministrator, Licensed: true})
	NewMember(t, s, o.ID, "plain@acme.test")
	boss := NewMember(t, s, other.ID, "boss@globex.test")
	s.SetMemberAccess(ctx, other.ID, boss.ID, store.MemberAccess{Role: store.RoleOwner, Licensed: true})
	if list, err := s.Administrators(ctx, o.ID, 10); err != nil || len(list) != 1 || list[0].ID != admin.ID {
		t.Errorf("administrators (the owner is disabled): got %+v, %v", list, err)
	}
}

func testProfileAndPicture(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	if err := s.UpdateProfile(ctx, o.ID, m.ID, "Zoë Lima", "I <3 sign-in"); err != nil {
		t.Fatal(err)
	}
	p := store.Picture{ContentType: "image/png", Data: []byte{1, 2, 3}, UpdatedAt: now}
	if err := s.SetPicture(ctx, o.ID, m.ID, p); err != nil {
		t.Fatal(err)
	}
	p2 := store.Picture{ContentType: "image/jpeg", Data: []byte{4, 5}, UpdatedAt: now.Add(time.Minute)}
	if err := s.SetPicture(ctx, o.ID, m.ID, p2); err != nil {
		t.Fatal(err)
	}
	got, _ := s.MemberByID(ctx, o.ID, m.ID)
	if got.Name != "Zoë Lima" || got.AboutMe != "I <3 sign-in" || !got.PictureAt.Equal(p2.UpdatedAt) {
		t.Errorf("profile: got %+v", got)
	}
	if pic, err := s.Picture(ctx, o.ID, m.ID); err != nil || !reflect.DeepEqual(pic, p2) {
		t.Errorf("picture: got %+v, %v; want %+v", pic, err, p2)
	}
	rows, _ := s.ListMembers(ctx, o.ID, store.MemberQuery{Search: "zoë", Limit: 5})
	if len(rows) != 1 {
		t.Errorf("search by new name found %d members, want 1", len(rows))
	}
}

func testAPITokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	tok := store.APIToken{OrgID: o.ID, Name: "ci", TokenHash: tokenHash("secret"), Permissions: []string{"members.read"},
		CreatedBy: "ana@acme.test", CreatedAt: now}
	if err := s.CreateAPIToken(ctx, &tok); err != nil {
		t.Fatal(err)
	}
	dup := tok
	dup.TokenHash = tokenHash("other")
	if err := s.CreateAPIToken(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate token name: got %v, want ErrConflict", err)
	}
	got, err := s.APITokenByHash(ctx, tokenHash("secret"))
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("by hash: got %+v, %v; want %+v", got, err, tok)
	}
	if err := s.TouchAPIToken(ctx, tok.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.APITokenByHash(ctx, tokenHash("secret")); !got.LastUsedAt.Equal(now.Add(time.Hour)) {
		t.Errorf("last used: got %v", got.LastUsedAt)
	}
	if list, _ := s.APITokens(ctx, o.ID); len(list) != 1 {
		t.Errorf("tokens: got %d, want 1", len(list))
	}
	if err := s.DeleteAPIToken(ctx, o.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APITokenByHash(ctx, tokenHash("secret")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted token: got %v, want ErrNotFound", err)
	}
}

// testAdministrationIsolation: nothing of the admin console reaches across
// organisations.
func testAdministrationIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	acme := NewOrganisation(t, s, "Acme")
	globex := NewOrganisation(t, s, "Globex")
	ana := NewMember(t, s, acme.ID, "ana@acme.test")
	NewMember(t, s, globex.ID, "bob@globex.test")
	r := store.CustomRole{OrgID: acme.ID, Name: "Auditor", CreatedAt: now}
	s.CreateRole(ctx, &r)
	s.SetPicture(ctx, acme.ID, ana.ID, store.Picture{ContentType: "image/png", Data: []byte{1}, UpdatedAt: now})
	tok := store.APIToken{OrgID: acme.ID, Name: "ci", TokenHash: tokenHash("t"), CreatedBy: "x", CreatedAt: now}
	s.CreateAPIToken(ctx, &tok)

	notFound := map[string]error{
		"SetMemberAccess": s.SetMemberAccess(ctx, globex.ID, ana.ID, store.MemberAccess{Role: store.RoleOwner}),
		"UpdateProfile":   s.UpdateProfile(ctx, globex.ID, ana.ID, "x", ""),
		"SetPicture":      s.SetPicture(ctx, globex.ID, ana.ID, store.Picture{ContentType: "image/png", Data: []byte{2}, UpdatedAt: now}),
		"UpdateRole":      s.UpdateRole(ctx, store.CustomRole{ID: r.ID, OrgID: globex.ID, Name: "x"}),
		"DeleteRole":      s.DeleteRole(ctx, globex.ID, r.ID),
		"DeleteAPIToken":  s.DeleteAPIToken(ctx, globex.ID, tok.ID),
	}
	_, notFound["RoleByID"] = s.RoleByID(ctx, globex.ID, r.ID)
	_, notFound["Picture"] = s.Picture(ctx, globex.ID, ana.ID)
	for name, err := range notFound {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s across organisations: got %v, want ErrNotFound", name, err)
		}
	}
	if rows, _ := s.ListMembers(ctx, globex.ID, store.MemberQuery{Limit: 50}); len(rows) != 1 || rows[0].Email != "bob@globex.test" {
		t.Errorf("Globex's list: got %+v", rows)
	}
	if list, _ := s.Roles(ctx, globex.ID); len(list) != 0 {
		t.Errorf("Globex's roles: got %+v", list)
	}
	if list, _ := s.APITokens(ctx, globex.ID); len(list) != 0 {
		t.Errorf("Globex's tokens: got %+v", list)
	}
	if pic, _ := s.Picture(ctx, acme.ID, ana.ID); len(pic.Data) != 1 || pic.Data[0] != 1 {
		t.Errorf("Acme's picture changed through Globex: %+v", pic)
	}
	if got, _ := s.MemberByID(ctx, acme.ID, ana.ID); got.Name != ana.Name || got.Role != ana.Role {
		t.Errorf("Acme's member changed through Globex: %+v", got)
	}
}

func testAuditDailyCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	acme := NewOrganisation(t, s, "Acme")
	globex := NewOrganisation(t, s, "Globex")
	day0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	add := func(orgID int64, at time.Time, kind string) {
		e := store.AuditEvent{OrgID: orgID, At: at, Kind: kind}
		if err := s.AppendAuditEvent(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	add(acme.ID, day0.Add(-time.Minute), "signin-success") // before since
	add(acme.ID, day0.Add(time.Hour), "signin-success")
	add(acme.ID, day0.Add(23*time.Hour+59*time.Minute), "signin-success")
	add(acme.ID, day0.Add(25*time.Hour), "signin-failure")
	add(acme.ID, day0.Add(26*time.Hour), "member-change") // not asked for
	add(globex.ID, day0.Add(time.Hour), "signin-success")
	got, err := s.AuditDailyCounts(ctx, acme.ID, []string{"signin-success", "signin-failure"}, day0)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AuditDayCount{{Day: day0, Kind: "signin-success", Count: 2}, {Day: day0.Add(24 * time.Hour), Kind: "signin-failure", Count: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
