package main

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/audit"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

func TestLoginServiceCommands(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	out, err := run(t, "s3cret\n", "login-service", "add", "--org", "Acme", "--name", "NIH Network Login",
		"--issuer", "https://login.nih.test", "--client-id", "acme", "--public-url", "https://login.acme.test", "--json")
	if err != nil || !strings.Contains(out, `"redirect_uri": "https://login.acme.test/o/acme/login-services/1/callback"`) ||
		strings.Contains(out, "s3cret") {
		t.Fatalf("add: %v\n%s", err, out)
	}
	if out, err := run(t, "", "login-service", "add", "--org", "Acme", "--name", "Other", "--issuer", "https://x.test",
		"--client-id", "a"); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("add without a secret: %v\n%s", err, out)
	}
	if _, err := run(t, "s\n", "login-service", "add", "--org", "Acme", "--name", "Plain", "--issuer", "http://x.test",
		"--client-id", "a"); err == nil || !strings.Contains(err.Error(), "--issuer") {
		t.Errorf("an http issuer: %v", err)
	}
	if out, err = run(t, "", "login-service", "update", "--org", "Acme", "--service", "nih network login", "--disabled"); err != nil ||
		!strings.Contains(out, "disabled") {
		t.Errorf("update: %v\n%s", err, out)
	}
	if out, err = run(t, "", "login-service", "list", "--org", "Acme"); err != nil || !strings.Contains(out, "NIH Network Login") ||
		strings.Count(out, "\n") != 2 {
		t.Errorf("list: %v\n%s", err, out)
	}
	db := sqltest.Open(t, url)
	org, _ := db.OrganisationByName(context.Background(), "Acme")
	list, _ := db.LoginServicesOf(context.Background(), org.ID)
	if len(list) != 1 || list[0].Enabled || strings.Contains(string(list[0].ClientSecret), "s3cret") {
		t.Fatalf("stored: %+v", list)
	}
	if out, err = run(t, "", "login-service", "delete", "--org", "Acme", "--service", "NIH Network Login"); err != nil {
		t.Errorf("delete: %v\n%s", err, out)
	}
	events, _ := db.AuditEvents(context.Background(), org.ID, store.AuditFilter{Kind: audit.LoginServiceChange})
	if len(events) != 3 || events[0].Actor != "command line" {
		t.Errorf("audit: %+v", events)
	}
}

func TestMemberRegister(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	out, err := run(t, "", "portal", "create", "--org", "Acme", "--name", "Grants", "--redirect-uri", "https://grants.acme.test/cb", "--json")
	if err != nil {
		t.Fatal(err)
	}
	clientID := decodeJSON(t, out)["client_id"].(string)
	out, err = run(t, "", "member", "register", "--org", "Acme", "--portal", clientID, "--email", "Jane@Example.org",
		"--name", "Jane Roe", "--public-url", "https://login.acme.test")
	if err != nil || !strings.Contains(out, "Registered Jane Roe (jane@example.org) in Acme") {
		t.Fatalf("register: %v\n%s", err, out)
	}
	if _, err := run(t, "", "member", "register", "--org", "Acme", "--portal", "nope", "--email", "kim@example.org",
		"--name", "Kim"); err == nil || !strings.Contains(err.Error(), "--portal") {
		t.Errorf("an unknown portal: %v", err)
	}
	db := sqltest.Open(t, url)
	org, _ := db.OrganisationByName(context.Background(), "Acme")
	m, err := db.MemberByEmail(context.Background(), org.ID, "jane@example.org")
	if err != nil || m.Status != store.StatusInvited {
		t.Fatalf("member: %+v, %v", m, err)
	}
	mails, _ := db.RecentMail(context.Background(), 5)
	if len(mails) != 1 || !strings.Contains(mails[0].Text, "https://login.acme.test/register?token=") ||
		!strings.Contains(mails[0].Text, "https://login.acme.test/register/password?token=") {
		t.Errorf("registration email: %+v", mails)
	}
}
