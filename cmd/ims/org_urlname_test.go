package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

func TestOrgURLName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ims.db")
	db := "sqlite:" + path
	// Bad input is refused before the database is even opened.
	for msg, args := range map[string][]string{
		`--url-name: URL name "Acme" may contain only lower-case letters a-z, digits and hyphens, such as "acme"`: {"--url-name", "Acme"},
		`--url-name: URL name "admin" is reserved`:                                                                {"--url-name", "admin"},
		"--url-name: URL name must not be empty":                                                                  {"--url-name", ""},
	} {
		_, err := run(t, "", append([]string{"org", "create", "--name", "Acme", "--database-url", db}, args...)...)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("org create %v: got %v, want %q", args, err, msg)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused commands created the database: %v", err)
	}

	out, err := run(t, "", "org", "create", "--name", "Acme Corp", "--database-url", db)
	if err != nil || !strings.Contains(out, "with the URL name acme-corp: its sign-in page is /o/acme-corp/login") {
		t.Fatalf("org create: %v\n%s", err, out)
	}
	if out, err := run(t, "", "org", "create", "--name", "Globex", "--url-name", "gx", "--database-url", db); err != nil ||
		!strings.Contains(out, "URL name gx") {
		t.Fatalf("org create --url-name: %v\n%s", err, out)
	}
	if _, err := run(t, "", "org", "create", "--name", "Initech", "--url-name", "gx", "--database-url", db); err == nil ||
		!strings.Contains(err.Error(), `URL name "gx" is taken by the organisation "Globex"`) {
		t.Errorf("org create with a taken URL name: %v", err)
	}

	out, err = run(t, "", "org", "set", "--name", "acme corp", "--url-name", "acme", "--database-url", db)
	if err != nil || !strings.Contains(out, "Acme Corp now has the URL name acme: its sign-in page is /o/acme/login") {
		t.Fatalf("org set --url-name: %v\n%s", err, out)
	}
	for msg, args := range map[string][]string{
		`--url-name: URL name "acme_corp" may contain only`:         {"--name", "Acme Corp", "--url-name", "acme_corp"},
		`--url-name: URL name "login" is reserved`:                  {"--name", "Acme Corp", "--url-name", "login", "--licences", "5"},
		`URL name "gx" belongs to another organisation`:             {"--name", "Acme Corp", "--url-name", "gx"},
		`no organisation named "Nope"`:                              {"--name", "Nope", "--url-name", "nope"},
		"nothing to change: give --url-name, --licences N or --mfa": {"--name", "Acme Corp"},
	} {
		_, err := run(t, "", append([]string{"org", "set", "--database-url", db}, args...)...)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("org set %v: got %v, want %q", args, err, msg)
		}
	}
	if _, err := run(t, "", "org", "set", "--name", "Acme Corp", "--url-name", "acme", "--database-url", db); err != nil {
		t.Errorf("setting the same URL name again: %v", err)
	}

	sdb := sqltest.Open(t, db)
	ctx := context.Background()
	for urlName, want := range map[string]string{"acme": "Acme Corp", "gx": "Globex"} {
		if org, err := sdb.OrganisationByURLName(ctx, urlName); err != nil || org.Name != want {
			t.Errorf("%s: %+v, %v; want %s", urlName, org, err, want)
		}
	}
	org, _ := sdb.OrganisationByName(ctx, "Acme Corp")
	if org.Licences != store.DefaultLicences {
		t.Errorf("a refused org set changed the licences to %d", org.Licences)
	}
	if _, err := sdb.OrganisationByName(ctx, "Initech"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused organisation was created: %v", err)
	}
	// One entry: the change; neither the refused ones nor setting it again.
	events, _ := sdb.AuditEvents(ctx, org.ID, store.AuditFilter{})
	if len(events) != 1 || events[0].Kind != "settings-change" || events[0].Actor != "command line" ||
		events[0].Detail != "URL name acme-corp → acme" {
		t.Errorf("audit: %+v", events)
	}
}
