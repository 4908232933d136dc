package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"imslogin/internal/store"
)

// searchNames returns the names a Team Members search finds, sorted by
// name, and checks the count agrees.
func searchNames(t *testing.T, s store.Store, orgID int64, search string) []string {
	t.Helper()
	return searchNamesIn(context.Background(), t, s, orgID, search)
}

// searchNamesIn is searchNames with the context's transaction, if any.
func searchNamesIn(ctx context.Context, t *testing.T, s store.Store, orgID int64, search string) []string {
	t.Helper()
	rows, err := s.ListMembers(ctx, orgID, store.MemberQuery{Search: search, Sort: store.SortName, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.Name)
	}
	if n, err := s.CountMembers(ctx, orgID, search, 0); err != nil || n != len(rows) {
		t.Errorf("count of %q: got %d, %v; want %d", search, n, err, len(rows))
	}
	return names
}

// testMemberSearch: a search finds the members with, for each of its words,
// a word of their name or email beginning with it, whatever the case,
// punctuation or alphabet, and never another organisation's members.
func testMemberSearch(t *testing.T, s store.Store) {
	o := NewOrganisation(t, s, "Acme")
	for _, m := range [][2]string{
		{"Carla Costa", "carla.costa@acme.test"},
		{"Dora Carlsen", "dc@acme.test"},
		{"Ana-Maria O'Brien", "amo@acme.test"},
		{"Bruno Dias", "bruno@partner.example"},
		{"Željko Đorđević", "zeljko@acme.test"},
	} {
		newNamedMember(t, s, o.ID, m[1], m[0], store.StatusActive, now)
	}
	globex := NewOrganisation(t, s, "Globex")
	newNamedMember(t, s, globex.ID, "carla@globex.test", "Carla Globex", store.StatusActive, now)

	for _, c := range []struct {
		search string
		want   []string
	}{
		{"carla", []string{"Carla Costa"}},
		{"CAR", []string{"Carla Costa", "Dora Carlsen"}}, // a first name and a last name beginning so
		{"arla", nil},                            // words match from their start
		{"costa carla", []string{"Carla Costa"}}, // every word, in any order
		{"carla dias", nil},
		{"maria", []string{"Ana-Maria O'Brien"}},
		{"o'brien", []string{"Ana-Maria O'Brien"}},
		{"ŽELJ", []string{"Željko Đorđević"}},
		{"đorđ", []string{"Željko Đorđević"}},
		{"carla.costa@acme.test", []string{"Carla Costa"}}, // an email
		{"carla.co", []string{"Carla Costa"}},              // its start
		{"partner.example", []string{"Bruno Dias"}},        // a domain
		{"@acme.test", []string{"Ana-Maria O'Brien", "Carla Costa", "Dora Carlsen", "Željko Đorđević"}},
		{"globex", nil},
	} {
		if got := searchNames(t, s, o.ID, c.search); !slices.Equal(got, c.want) {
			t.Errorf("search %q: got %q, want %q", c.search, got, c.want)
		}
	}
}

// testMemberSearchFollowsChanges: a renamed member is found by the new name
// and not the old, a changed email likewise, as soon as the change commits
// and only if it commits.
func testMemberSearchFollowsChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := newNamedMember(t, s, o.ID, "al@acme.test", "Ana Lima", store.StatusActive, now)
	newNamedMember(t, s, o.ID, "bruno@acme.test", "Bruno Dias", store.StatusActive, now)
	globex := NewOrganisation(t, s, "Globex")
	newNamedMember(t, s, globex.ID, "bea@globex.test", "Beatriz Souza", store.StatusActive, now)

	if err := s.UpdateProfile(ctx, o.ID, m.ID, "Beatriz Souza", ""); err != nil {
		t.Fatal(err)
	}
	if got := searchNames(t, s, o.ID, "souza"); !slices.Equal(got, []string{"Beatriz Souza"}) {
		t.Errorf("the new name: got %q, want Beatriz Souza (once: not Globex's)", got)
	}
	for _, old := range []string{"ana", "lima", "ana lima"} {
		if got := searchNames(t, s, o.ID, old); got != nil {
			t.Errorf("the old name, %q: got %q, want nobody", old, got)
		}
	}

	if err := s.ChangeMemberEmail(ctx, o.ID, m.ID, "bea.souza@acme.test"); err != nil {
		t.Fatal(err)
	}
	if got := searchNames(t, s, o.ID, "bea.souza@acme.test"); !slices.Equal(got, []string{"Beatriz Souza"}) {
		t.Errorf("the new email: got %q, want Beatriz Souza", got)
	}
	if got := searchNames(t, s, o.ID, "al@acme.test"); got != nil {
		t.Errorf("the old email: got %q, want nobody", got)
	}

	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.UpdateProfile(ctx, o.ID, m.ID, "Carla Costa", ""); err != nil {
			return err
		}
		if got := searchNamesIn(ctx, t, s, o.ID, "carla"); !slices.Equal(got, []string{"Carla Costa"}) {
			t.Errorf("inside the transaction: got %q, want Carla Costa", got)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if got := searchNames(t, s, o.ID, "carla"); got != nil {
		t.Errorf("a rolled-back rename: got %q, want nobody", got)
	}
	if got := searchNames(t, s, o.ID, "beatriz"); !slices.Equal(got, []string{"Beatriz Souza"}) {
		t.Errorf("after the rollback: got %q, want Beatriz Souza", got)
	}
}
