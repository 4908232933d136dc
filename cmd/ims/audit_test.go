package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imslogin/internal/lockout"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

// newDatabase makes an organisation Acme with member ana@acme.test.
func newDatabase(t *testing.T) string {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "ims.db")
	if _, err := run(t, "", "org", "create", "--name", "Acme", "--database-url", url); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "correct horse battery staple\n", "member", "add", "--org", "Acme", "--email", "ana@acme.test",
		"--name", "Ana Lima", "--role", "member", "--password-stdin", "--database-url", url); err != nil {
		t.Fatal(err)
	}
	return url
}

func lockAna(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db := sqltest.Open(t, url)
	org, _ := db.OrganisationByName(ctx, "Acme")
	g := &lockout.Guard{Store: db, Now: time.Now}
	for range 5 {
		if _, err := g.Reserve(ctx, lockout.Of(org.ID, "ana@acme.test"), lockout.PolicyOf(org.Settings)); err != nil {
			t.Fatal(err)
		}
	}
	if until, _ := g.LockedUntil(ctx, lockout.Of(org.ID, "ana@acme.test")); until.IsZero() {
		t.Fatal("ana is not locked")
	}
}

func TestMemberUnlock(t *testing.T) {
	url := newDatabase(t)
	lockAna(t, url)
	out, err := run(t, "", "member", "unlock", "--org", "acme", "--email", "Ana@Acme.test", "--database-url", url)
	if err != nil || !strings.Contains(out, "Unlocked") {
		t.Fatalf("unlock: %q, %v", out, err)
	}
	out, err = run(t, "", "member", "unlock", "--org", "Acme", "--email", "ana@acme.test", "--database-url", url)
	if err != nil || !strings.Contains(out, "was not locked") {
		t.Errorf("second unlock: %q, %v", out, err)
	}
	for _, args := range [][]string{
		{"--org", "Nope", "--email", "ana@acme.test"},
		{"--org", "Acme", "--email", "nobody@acme.test"},
	} {
		if _, err := run(t, "", append([]string{"member", "unlock", "--database-url", url}, args...)...); err == nil {
			t.Errorf("unlock %v succeeded", args)
		}
	}
	out, err = run(t, "", "audit", "--org", "Acme", "--event", "unlock", "--json", "--database-url", url)
	var entries []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 1 {
		t.Fatalf("audit of unlocks: %q, %v; want one entry (the second unlock found no lock)", out, err)
	}
	if e := entries[0]; e["email"] != "ana@acme.test" || e["actor"] != "command line" || e["event"] != "unlock" {
		t.Errorf("unlock entry: %v", e)
	}
}

func TestAuditCommand(t *testing.T) {
	url := newDatabase(t)
	ctx := context.Background()
	db := sqltest.Open(t, url)
	org, _ := db.OrganisationByName(ctx, "Acme")
	old := store.AuditEvent{OrgID: org.ID, At: time.Now().Add(-48 * time.Hour), Kind: "signin-failure", Email: "bob@acme.test",
		Address: "192.0.2.9", UserAgent: "Evil\x1b[2J agent", Detail: "not a member"}
	db.AppendAuditEvent(ctx, &old)

	out, err := run(t, "", "audit", "--org", "Acme", "--database-url", url)
	if err != nil || !strings.Contains(out, "EVENT") || !strings.Contains(out, "member-add") || !strings.Contains(out, "signin-failure") {
		t.Fatalf("table: %q, %v", out, err)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("a control character from a user agent reached the terminal")
	}
	if strings.Index(out, "member-add") > strings.Index(out, "signin-failure") {
		t.Error("not newest first")
	}
	for name, tc := range map[string]struct {
		args []string
		want []string // the events listed
	}{
		"since":  {[]string{"--since", "24h"}, []string{"member-add"}},
		"days":   {[]string{"--since", "3d"}, []string{"member-add", "signin-failure"}},
		"member": {[]string{"--member", "BOB@acme.test"}, []string{"signin-failure"}},
		"event":  {[]string{"--event", "member-add"}, []string{"member-add"}},
		"none":   {[]string{"--event", "lockout"}, []string{}},
	} {
		out, err := run(t, "", append([]string{"audit", "--org", "Acme", "--json", "--database-url", url}, tc.args...)...)
		var entries []struct {
			Event, At string
		}
		if err != nil || json.Unmarshal([]byte(out), &entries) != nil {
			t.Errorf("%s: %q, %v", name, out, err)
			continue
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Event)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: events %v, want %v", name, got, tc.want)
		}
	}
	for _, args := range [][]string{{"--event", "nonsense"}, {"--since", "yesterday"}, {"--since", "-5h"}, {"--org", "Nope"}} {
		full := append([]string{"audit", "--org", "Acme", "--database-url", url}, args...)
		if _, err := run(t, "", full...); err == nil {
			t.Errorf("audit %v succeeded", args)
		}
	}
}
