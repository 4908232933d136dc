package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"imslogin/internal/store"
)

// testURLNames: a URL name is derived from the name when none is given,
// the next free -2, -3… when it is taken, and found exactly; one given is
// stored as it is, and refused when taken.
func testURLNames(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, c := range []struct{ name, want string }{
		{"Acme Corp", "acme-corp"},
		{"ACME-corp!", "acme-corp-2"},
		{"Acme Corp.", "acme-corp-3"},
		{"Café Zoë", "cafe-zoe"},
		{"東京", "org"},
		{"大阪", "org-2"},
		{"Admin", "admin-org"},
	} {
		o := NewOrganisation(t, s, c.name)
		if o.URLName != c.want {
			t.Errorf("%q: URL name %q, want %q", c.name, o.URLName, c.want)
		}
		got, err := s.OrganisationByURLName(ctx, c.want)
		if err != nil || got.ID != o.ID || got.URLName != c.want || got.Name != c.name {
			t.Errorf("by URL name %q: got %+v, %v; want %q", c.want, got, err, c.name)
		}
		if byID, _ := s.OrganisationByID(ctx, o.ID); byID.URLName != c.want {
			t.Errorf("by ID: URL name %q, want %q", byID.URLName, c.want)
		}
	}
	for _, missing := range []string{"acme", "acme-corp-4", "ACME-CORP", "", "acme-corp%"} {
		if got, err := s.OrganisationByURLName(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("by URL name %q: got %+v, %v; want ErrNotFound", missing, got, err)
		}
	}

	given := store.Organisation{Name: "Globex", URLName: "gx", Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
	if err := s.CreateOrganisation(ctx, &given); err != nil || given.URLName != "gx" {
		t.Fatalf("a given URL name: %q, %v", given.URLName, err)
	}
	taken := store.Organisation{Name: "Initech", URLName: "acme-corp", Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
	if err := s.CreateOrganisation(ctx, &taken); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a given URL name that is taken: got %v, want ErrConflict", err)
	}
	if _, err := s.OrganisationByName(ctx, "Initech"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused organisation was stored: %v", err)
	}
	dupName := store.Organisation{Name: "acme corp", Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
	if err := s.CreateOrganisation(ctx, &dupName); !errors.Is(err, store.ErrConflict) || dupName.URLName != "" {
		t.Errorf("a name that is taken: got %v and URL name %q, want ErrConflict and none", err, dupName.URLName)
	}

	// A long name's candidates stay within 63 characters and still differ.
	long := strings.Repeat("Research ", 10)
	first, second := NewOrganisation(t, s, long), NewOrganisation(t, s, long+"!")
	if len(first.URLName) > store.MaxURLNameLength || len(second.URLName) > store.MaxURLNameLength ||
		second.URLName != store.URLNameCandidate(first.URLName, 2) {
		t.Errorf("long names: %q and %q", first.URLName, second.URLName)
	}
}

// testURLNameChange: SetURLName changes one organisation's URL name, never
// to another's, and a settings update or rename leaves it.
func testURLNameChange(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	if err := s.SetURLName(ctx, a.ID, "alpha-research"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OrganisationByURLName(ctx, "alpha-research"); err != nil || got.ID != a.ID {
		t.Errorf("the new URL name finds %+v, %v", got, err)
	}
	if _, err := s.OrganisationByURLName(ctx, "alpha"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old URL name still finds an organisation: %v", err)
	}
	if err := s.SetURLName(ctx, b.ID, "alpha-research"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("taking another organisation's URL name: got %v, want ErrConflict", err)
	}
	if got, _ := s.OrganisationByID(ctx, b.ID); got.URLName != "beta" {
		t.Errorf("Beta's URL name after the refused change: %q", got.URLName)
	}
	if err := s.SetURLName(ctx, 999999, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("URL name of a missing organisation: got %v, want ErrNotFound", err)
	}
	if err := s.SetURLName(ctx, a.ID, "alpha-research"); err != nil {
		t.Errorf("setting the same URL name again: %v", err)
	}

	renamed, _ := s.OrganisationByID(ctx, a.ID)
	renamed.Name, renamed.URLName = "Alpha Labs", "ignored"
	if err := s.UpdateOrganisation(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OrganisationByID(ctx, a.ID); got.Name != "Alpha Labs" || got.URLName != "alpha-research" {
		t.Errorf("after a rename: %q with URL name %q, want Alpha Labs with alpha-research", got.Name, got.URLName)
	}
	// The session and sign-in reads carry it too.
	m := NewMember(t, s, a.ID, "ana@alpha.test")
	subject, err := s.PasswordSubject(ctx, "alpha labs", m.Email, "k")
	if err != nil || subject.Organisation.URLName != "alpha-research" {
		t.Errorf("password subject: URL name %q, %v", subject.Organisation.URLName, err)
	}
}

// testURLNamesConcurrent: creations racing for one derived URL name each
// get their own or ErrConflict (PostgreSQL, try again), never a shared one.
func testURLNamesConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const creators = 8
	var wg sync.WaitGroup
	results := make([]store.Organisation, creators)
	errs := make([]error, creators)
	for i := range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = store.Organisation{Name: "Acme" + strings.Repeat("!", i+1), Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
			errs[i] = s.CreateOrganisation(ctx, &results[i])
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("creation %d: %v", i, err)
			}
			continue
		}
		if seen[results[i].URLName] {
			t.Errorf("two organisations share the URL name %q", results[i].URLName)
		}
		seen[results[i].URLName] = true
		if got, err := s.OrganisationByURLName(ctx, results[i].URLName); err != nil || got.ID != results[i].ID {
			t.Errorf("%s finds %+v, %v", results[i].URLName, got, err)
		}
	}
	if !seen["acme"] {
		t.Errorf("no creation got the plain URL name: %v (errors %v)", seen, fmt.Sprint(errs))
	}
}
