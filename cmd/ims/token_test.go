package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/token"
)

func TestOrgSetLicences(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	out, err := run(t, "", "org", "set", "--name", "ACME", "--licences", "25")
	if err != nil || !strings.Contains(out, "Acme now has 25 licences (1 in use)") {
		t.Fatalf("org set: %v\n%s", err, out)
	}
	failures := map[string][]string{
		"has 1 licensed members":       {"org", "set", "--name", "Acme", "--licences", "0"},
		"from 0 to 1000000":            {"org", "set", "--name", "Acme", "--licences", "-3"},
		`no organisation named "Nope"`: {"org", "set", "--name", "Nope", "--licences", "3"},
		"nothing to change":            {"org", "set", "--name", "Acme"},
	}
	for want, args := range failures {
		if _, err := run(t, "", args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ims %s: got %v, want %q", strings.Join(args, " "), err, want)
		}
	}
	db := sqltest.Open(t, url)
	if o, _ := db.OrganisationByName(context.Background(), "Acme"); o.Licences != 25 {
		t.Errorf("licences: got %d, want 25", o.Licences)
	}
}

func TestTokenCreatePrintsTheTokenOnce(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	out, err := run(t, "", "token", "create", "--org", "Acme", "--name", "provisioning", "--permissions", "members.read,members.write")
	printed := regexp.MustCompile(`ims_[A-Za-z0-9_-]{43}`).FindString(out)
	if err != nil || printed == "" || !strings.Contains(out, "not shown again") {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	db := sqltest.Open(t, url)
	stored, err := db.APITokenByHash(context.Background(), token.Hash(strings.TrimPrefix(printed, "ims_")))
	if err != nil || strings.Join(stored.Permissions, " ") != "members.read members.write" || stored.CreatedBy != "command line" {
		t.Errorf("stored token: %+v, %v", stored, err)
	}
	failures := map[string][]string{
		`unknown permission "members.delete"`: {"token", "create", "--org", "Acme", "--name", "x", "--permissions", "members.delete"},
		"already a token with this name":      {"token", "create", "--org", "Acme", "--name", "provisioning", "--permissions", "audit.read"},
		`no organisation named "Nope"`:        {"token", "create", "--org", "Nope", "--name", "x", "--permissions", "audit.read"},
	}
	for want, args := range failures {
		if _, err := run(t, "", args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ims %s: got %v, want %q", strings.Join(args, " "), err, want)
		}
	}
}
