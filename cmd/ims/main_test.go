package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/store"
)

// run executes the ims command line and returns its output and error.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCommand(strings.NewReader(stdin), &out, &out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestOperatorCommands(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	db := "sqlite:" + filepath.Join(t.TempDir(), "ims.db")
	out, err := run(t, "", "migrate", "--database-url", db)
	if err != nil || !strings.Contains(out, "applied 0001_foundation.sql") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if out, _ := run(t, "", "migrate", "--database-url", db); !strings.Contains(out, "up to date") {
		t.Errorf("second migrate: %s", out)
	}
	if out, err := run(t, "", "org", "create", "--name", "Acme", "--database-url", db); err != nil || !strings.Contains(out, `Created organisation "Acme"`) {
		t.Fatalf("org create: %v\n%s", err, out)
	}
	t.Setenv("IMS_DATABASE_URL", db) // the environment works as well as the flag
	failures := map[string][]string{
		`an organisation named "acme" already exists`: {"org", "create", "--name", "acme"},
		`required flag(s) "name" not set`:             {"org", "create"},
		`no organisation named "Nope"`:                {"member", "add", "--org", "Nope", "--email", "a@b.test", "--name", "A", "--role", "owner"},
		"not a valid address":                         {"member", "add", "--org", "Acme", "--email", "a.b.test", "--name", "A", "--role", "owner"},
		`role "king"`:                                 {"member", "add", "--org", "Acme", "--email", "a@b.test", "--name", "A", "--role", "king"},
	}
	for want, args := range failures {
		if _, err := run(t, "", args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ims %s: got %v, want %q", strings.Join(args, " "), err, want)
		}
	}
	if _, err := run(t, "short\n", "member", "add", "--org", "Acme", "--email", "ana@acme.test", "--name", "Ana",
		"--role", "owner", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "at least 15 characters") {
		t.Errorf("weak password: %v", err)
	}
	out, err = run(t, "a long and unusual passphrase\n", "member", "add", "--org", "Acme", "--email", "ana@acme.test",
		"--name", "Ana Lima", "--role", "owner", "--password-stdin")
	if err != nil || !strings.Contains(out, "(active)") {
		t.Fatalf("member add: %v\n%s", err, out)
	}
	if _, err := run(t, "", "member", "add", "--org", "Acme", "--email", "ANA@acme.test", "--name", "Ana", "--role", "member"); err == nil ||
		!strings.Contains(err.Error(), "already a member") {
		t.Errorf("duplicate member: %v", err)
	}
	if _, err := run(t, "", "member", "add", "--org", "Acme", "--email", "bo@acme.test", "--name", "Bo", "--role", "member"); err == nil ||
		!strings.Contains(err.Error(), "inviting needs --public-url") {
		t.Errorf("invitation without an address for its link: %v", err)
	}
	out, err = run(t, "", "member", "add", "--org", "Acme", "--email", "bo@acme.test", "--name", "Bo", "--role", "member",
		"--public-url", "https://login.acme.test")
	if err != nil || !strings.Contains(out, "(invited)") {
		t.Errorf("member without password: %v\n%s", err, out)
	}
	// The refused weak-password member was not written.
	sdb, err := openMigrated(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	org, _ := sdb.OrganisationByName(context.Background(), "Acme")
	if _, err := sdb.MemberByEmail(context.Background(), org.ID, "a@b.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused member exists: %v", err)
	}
	mail, _ := sdb.OrganisationMail(context.Background(), org.ID, 10)
	if len(mail) != 1 || !strings.Contains(mail[0].Text, "https://login.acme.test/invitation?") {
		t.Errorf("invitations: %+v; want one, linking to the public URL", mail)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"demo"}, {"migrate"}, {"org", "create"}, {"org", "set"}, {"member", "add"}} {
		out, err := run(t, "", append(args, "--help")...)
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("ims %s --help: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestServeRefusesInvalidConfiguration(t *testing.T) {
	_, err := run(t, "", "serve", "--database-url", "mysql://x", "--public-url", "ftp://x")
	if err == nil || !strings.Contains(err.Error(), "database-url") || !strings.Contains(err.Error(), "public-url") {
		t.Errorf("got %v, want both problems reported", err)
	}
}

func TestDemoSeedsOnceAndReuses(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Argon2MemoryKiB, cfg.Argon2Time = 8192, 1
	cfg.DatabaseURL = "sqlite:" + filepath.Join(dir, "ims.db")
	var out bytes.Buffer
	if _, err := seedDemo(context.Background(), &out, cfg, dir, "http://127.0.0.1:8081"); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	if !strings.Contains(first, "Created the demo") || !strings.Contains(first, "owner@demo.test") ||
		!strings.Contains(first, "Sign in at   http://127.0.0.1:8080/o/demo/login") {
		t.Fatalf("first run:\n%s", first)
	}
	out.Reset()
	if _, err := seedDemo(context.Background(), &out, cfg, dir, "http://127.0.0.1:8081"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Reusing the demo data") || !strings.Contains(out.String(), "/o/demo/login") {
		t.Errorf("second run:\n%s", out.String())
	}
	pw := func(s string) string { _, after, _ := strings.Cut(s, "Password"); return strings.Fields(after)[0] }
	if pw(first) != pw(out.String()) || len(pw(first)) < 15 {
		t.Errorf("password printed %q then %q", pw(first), pw(out.String()))
	}
}

// TestMemberAddVerified: --verified marks the email verified; without it a
// member added from the command line starts unverified.
func TestMemberAddVerified(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	db := "sqlite:" + filepath.Join(t.TempDir(), "ims.db")
	t.Setenv("IMS_DATABASE_URL", db)
	if out, err := run(t, "", "org", "create", "--name", "Acme"); err != nil {
		t.Fatalf("org create: %v\n%s", err, out)
	}
	pw := "a long and unusual passphrase\n"
	if out, err := run(t, pw, "member", "add", "--org", "Acme", "--email", "ana@acme.test", "--name", "Ana",
		"--role", "owner", "--password-stdin", "--verified"); err != nil {
		t.Fatalf("member add --verified: %v\n%s", err, out)
	}
	if out, err := run(t, pw, "member", "add", "--org", "Acme", "--email", "bo@acme.test", "--name", "Bo",
		"--role", "member", "--password-stdin"); err != nil {
		t.Fatalf("member add: %v\n%s", err, out)
	}
	sdb, err := openMigrated(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	org, _ := sdb.OrganisationByName(context.Background(), "Acme")
	for email, want := range map[string]bool{"ana@acme.test": true, "bo@acme.test": false} {
		if m, err := sdb.MemberByEmail(context.Background(), org.ID, email); err != nil || m.EmailVerified != want {
			t.Errorf("%s: verified %v, %v; want %v", email, m.EmailVerified, err, want)
		}
	}
}
