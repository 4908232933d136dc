package main

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

func TestOrgSetMFA(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "ims.db")
	if _, err := run(t, "", "org", "create", "--name", "Acme", "--database-url", db); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "", "org", "set", "--name", "acme", "--mfa", "on", "--mfa-methods", "email, SMS,totp", "--database-url", db)
	if err != nil || !strings.Contains(out, "MFA on; methods email, sms, totp") {
		t.Fatalf("org set: %v\n%s", err, out)
	}
	for msg, args := range map[string][]string{
		`--mfa "maybe": want on or off`:     {"--mfa", "maybe"},
		`unknown MFA method "carrier"`:      {"--mfa-methods", "email,carrier"},
		"choose at least one MFA method":    {"--mfa", "on", "--mfa-methods", ""},
		"remembered browsers last 0 to 365": {"--mfa-remember-days", "400"},
	} {
		_, err := run(t, "", append([]string{"org", "set", "--name", "Acme", "--database-url", db}, args...)...)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%v: got %v, want %q", args, err, msg)
		}
	}
	if _, err := run(t, "", "org", "set", "--name", "Nope", "--mfa", "on", "--database-url", db); err == nil ||
		!strings.Contains(err.Error(), `no organisation named "Nope"`) {
		t.Errorf("unknown organisation: %v", err)
	}
	// Refused changes left the first one whole; only --mfa-remember-days changes it now.
	if _, err := run(t, "", "org", "set", "--name", "Acme", "--mfa-remember-days", "7", "--database-url", db); err != nil {
		t.Fatal(err)
	}
	sdb := sqltest.Open(t, db)
	org, _ := sdb.OrganisationByName(context.Background(), "Acme")
	p, _ := sdb.MFAPolicy(context.Background(), org.ID)
	want := store.MFAPolicy{Required: true, Methods: []string{"email", "sms", "totp"}, TrustedDeviceDuration: 7 * 24 * time.Hour}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy %+v, want %+v", p, want)
	}
	events, _ := sdb.AuditEvents(context.Background(), org.ID, store.AuditFilter{})
	if len(events) != 2 || events[0].Actor != "command line" || !strings.Contains(events[0].Detail, "remember browsers 30 days → ") {
		t.Errorf("audit: %+v", events)
	}
}
