package main

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/portal"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// decodeJSON decodes out into a map, failing the test otherwise.
func decodeJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return m
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func acmePortals(t *testing.T, db *sqlstore.DB) (store.Organisation, []store.Portal) {
	t.Helper()
	org, err := db.OrganisationByName(context.Background(), "Acme")
	if err != nil {
		t.Fatal(err)
	}
	list, err := db.Portals(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return org, list
}

func secretOK(t *testing.T, db *sqlstore.DB, p store.Portal, secret string) bool {
	t.Helper()
	ok, err := portal.CheckSecret(context.Background(), db, p, secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestPortalCreatePrintsCredentialsOnce(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	out, err := run(t, "", "portal", "create", "--org", "Acme", "--name", "Team Wiki", "--redirect-uri", "https://wiki.acme.test/cb",
		"--redirect-uri", "http://127.0.0.1:9000/cb", "--home-url", "https://wiki.acme.test/", "--first-party",
		"--public-url", "https://login.acme.test/", "--json")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	creds := decodeJSON(t, out)
	if got := keys(creds); !slices.Equal(got, []string{"client_id", "client_secret", "issuer"}) {
		t.Errorf("--json keys %v, want client_id, client_secret, issuer", got)
	}
	if creds["issuer"] != "https://login.acme.test/o/acme" {
		t.Errorf("issuer %v", creds["issuer"])
	}
	db := sqltest.Open(t, url)
	org, list := acmePortals(t, db)
	if len(list) != 1 || list[0].ClientID != creds["client_id"] || !list[0].FirstParty || len(list[0].RedirectURIs) != 2 {
		t.Fatalf("stored: %+v", list)
	}
	if !secretOK(t, db, list[0], creds["client_secret"].(string)) {
		t.Error("the printed secret does not work")
	}
	events, _ := db.AuditEvents(context.Background(), org.ID, store.AuditFilter{Kind: audit.PortalChange})
	if len(events) != 1 || events[0].Actor != "command line" || !strings.Contains(events[0].Detail, `portal "Team Wiki" registered`) {
		t.Errorf("audit: %+v", events)
	}
	out, err = run(t, "", "portal", "create", "--org", "Acme", "--name", "Single Page App", "--type", "public",
		"--redirect-uri", "https://spa.acme.test/cb", "--json")
	if err != nil || decodeJSON(t, out)["client_secret"] != nil || !strings.Contains(out, `"client_secret": null`) {
		t.Errorf("public portal: %v\n%s", err, out)
	}
	out, err = run(t, "", "portal", "create", "--org", "Acme", "--name", "Back End", "--access-token-lifetime", "5m")
	if err != nil || !strings.Contains(out, `Registered portal "Back End" in Acme.`) || !strings.Contains(out, "Client secret: ims_cs_") ||
		!strings.Contains(out, "shown only now") || !strings.Contains(out, "Issuer:        http://127.0.0.1:8080/o/acme") {
		t.Errorf("create without --json: %v\n%s", err, out)
	}
}

// TestPortalCommandsRefuseBadInput: each refusal names the problem, exits
// non-zero and writes nothing.
func TestPortalCommandsRefuseBadInput(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	create := []string{"portal", "create", "--org", "Acme", "--name", "Wiki", "--redirect-uri", "https://wiki.acme.test/cb"}
	failures := map[string][]string{
		"--redirect-uri: http://wiki.acme.test/cb: plain http": {"portal", "create", "--org", "Acme", "--name", "Wiki", "--redirect-uri", "http://wiki.acme.test/cb"},
		"--redirect-uri: https://*.acme.test/cb: wildcards":    {"portal", "create", "--org", "Acme", "--name", "Wiki", "--redirect-uri", "https://*.acme.test/cb"},
		`--home-url: the scheme "javascript"`:                  append(slices.Clone(create), "--home-url", "javascript:alert(1)"),
		"--name: Give the portal a name":                       {"portal", "create", "--org", "Acme", "--name", " ", "--redirect-uri", "https://wiki.acme.test/cb"},
		`no organisation named "Nope"`:                         {"portal", "create", "--org", "Nope", "--name", "Wiki", "--redirect-uri", "https://wiki.acme.test/cb"},
		`--type "secret": want confidential or public`:         append(slices.Clone(create), "--type", "secret"),
		"--role: Choose at least one role":                     append(slices.Clone(create), "--access", "roles"),
		`--role: There is no role "Editors"`:                   append(slices.Clone(create), "--access", "roles", "--role", "Editors"),
		"--member: There is no team member bo@acme.test":       append(slices.Clone(create), "--access", "members", "--member", "bo@acme.test"),
		"--access: Choose who may use the portal":              append(slices.Clone(create), "--access", "everyone"),
		"--access-token-lifetime 0s: give a positive duration": append(slices.Clone(create), "--access-token-lifetime", "0"),
		"--refresh-grace: Refresh token grace period must be":  append(slices.Clone(create), "--refresh-grace", "5m"),
		`invalid argument "ten"`:                               append(slices.Clone(create), "--id-token-lifetime", "ten"),
		"--signing-algorithm: Choose ES256 or RS256":           append(slices.Clone(create), "--signing-algorithm", "HS256"),
		`required flag(s) "name" not set`:                      {"portal", "create", "--org", "Acme"},
		`--scope: "phone" is not a scope`:                      append(slices.Clone(create), "--scope", "openid", "--scope", "phone"),
		"--scope: openid must be among the scopes":             append(slices.Clone(create), "--scope", "email"),
		"--scope: Choose the scopes the portal may ask for":    append(slices.Clone(create), "--scope", ""),
	}
	for want, args := range failures {
		if out, err := run(t, "", args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ims %s: got %v (%s), want %q", strings.Join(args, " "), err, out, want)
		}
	}
	db := sqltest.Open(t, url)
	org, list := acmePortals(t, db)
	if len(list) != 0 {
		t.Errorf("refused portals were written: %+v", list)
	}
	if events, _ := db.AuditEvents(context.Background(), org.ID, store.AuditFilter{Kind: audit.PortalChange}); len(events) != 0 {
		t.Errorf("refusals were audited: %+v", events)
	}
}

func TestPortalListShowUpdateRotateDelete(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	out, err := run(t, "", "portal", "create", "--org", "Acme", "--name", "Team Wiki", "--redirect-uri", "https://wiki.acme.test/cb", "--json")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	first := decodeJSON(t, out)
	clientID := first["client_id"].(string)

	out, err = run(t, "", "portal", "list", "--org", "Acme", "--json")
	var list []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0]["client_id"] != clientID ||
		list[0]["name"] != "Team Wiki" || list[0]["access_token_lifetime"] != 600.0 || list[0]["client_secret"] != nil {
		t.Errorf("list --json: %v\n%s", err, out)
	}
	if out, err := run(t, "", "portal", "list", "--org", "Acme"); err != nil || !strings.Contains(out, clientID) ||
		!strings.Contains(out, "confidential") || !strings.Contains(out, "1 portals; issuer http://127.0.0.1:8080/o/acme") {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, err = run(t, "", "portal", "show", "--org", "Acme", "--portal", "team wiki", "--json")
	if err != nil || decodeJSON(t, out)["client_id"] != clientID || strings.Contains(out, "ims_cs_") {
		t.Errorf("show --json: %v\n%s", err, out)
	}
	if _, err := run(t, "", "portal", "show", "--org", "Acme"); err == nil || !strings.Contains(err.Error(), "--client-id ID or --portal NAME") {
		t.Errorf("show without a portal: %v", err)
	}
	if _, err := run(t, "", "portal", "show", "--org", "Acme", "--client-id", "nope"); err == nil || !strings.Contains(err.Error(), `no portal with client ID "nope"`) {
		t.Errorf("show an unknown portal: %v", err)
	}

	// Only the flags given change; a refused update changes nothing.
	out, err = run(t, "", "portal", "update", "--org", "Acme", "--client-id", clientID, "--access", "members", "--member", "ana@acme.test",
		"--home-url", "https://wiki.acme.test/")
	if err != nil || !strings.Contains(out, `Saved portal "Team Wiki"`) {
		t.Fatalf("update: %v\n%s", err, out)
	}
	if out, err := run(t, "", "portal", "update", "--org", "Acme", "--client-id", clientID, "--redirect-uri", "/relative"); err == nil ||
		!strings.Contains(err.Error(), "--redirect-uri: /relative: must be an absolute address") {
		t.Errorf("refused update: %v\n%s", err, out)
	}
	db := sqltest.Open(t, url)
	_, stored := acmePortals(t, db)
	p := stored[0]
	if p.Access != store.PortalAccessMembers || len(p.MemberIDs) != 1 || p.HomeURL != "https://wiki.acme.test/" ||
		!slices.Equal(p.RedirectURIs, []string{"https://wiki.acme.test/cb"}) || !p.Confidential {
		t.Errorf("after updates: %+v", p)
	}
	if out, err := run(t, "", "portal", "show", "--org", "Acme", "--client-id", clientID); err != nil || !strings.Contains(out, "1 chosen member: ana@acme.test") {
		t.Errorf("show: %v\n%s", err, out)
	}

	out, err = run(t, "", "portal", "rotate-secret", "--org", "Acme", "--client-id", clientID, "--overlap", "1h", "--json")
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	second := decodeJSON(t, out)
	if second["client_id"] != clientID || second["client_secret"] == first["client_secret"] {
		t.Errorf("rotate --json: %s", out)
	}
	for _, secret := range []any{first["client_secret"], second["client_secret"]} {
		if !secretOK(t, db, p, secret.(string)) {
			t.Errorf("secret %v does not work during the overlap", secret)
		}
	}
	if _, err := run(t, "", "portal", "rotate-secret", "--org", "Acme", "--client-id", clientID, "--overlap", "800h"); err == nil ||
		!strings.Contains(err.Error(), "--overlap: The overlap must be from 0") {
		t.Errorf("overlap beyond 30 days: %v", err)
	}
	if out, err := run(t, "", "portal", "update", "--org", "Acme", "--client-id", clientID, "--type", "public"); err != nil {
		t.Fatalf("made public: %v\n%s", err, out)
	}
	if secretOK(t, db, p, second["client_secret"].(string)) {
		t.Error("a portal made public keeps a working secret")
	}
	if _, err := run(t, "", "portal", "rotate-secret", "--org", "Acme", "--client-id", clientID); err == nil ||
		!strings.Contains(err.Error(), "A public portal has no client secret") {
		t.Errorf("rotating a public portal's secret: %v", err)
	}
	if out, err := run(t, "", "portal", "delete", "--org", "Acme", "--portal", "Team Wiki"); err != nil || !strings.Contains(out, "Deleted portal") {
		t.Errorf("delete: %v\n%s", err, out)
	}
	if _, list := acmePortals(t, db); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
	for _, args := range [][]string{{"create"}, {"list"}, {"show"}, {"update"}, {"delete"}, {"rotate-secret"}} {
		if out, err := run(t, "", append([]string{"portal"}, append(args, "--help")...)...); err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("ims portal %s --help: %v", args[0], err)
		}
	}
}

// TestPortalPKCEAndScopeFlags: a portal made on the command line requires
// PKCE and may ask for every scope unless told otherwise; update changes
// either alone, show prints both, and a bad scope list changes nothing.
func TestPortalPKCEAndScopeFlags(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	if out, err := run(t, "", "portal", "create", "--org", "Acme", "--name", "Wiki", "--redirect-uri", "https://wiki.acme.test/cb"); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	out, err := run(t, "", "portal", "create", "--org", "Acme", "--name", "Reports", "--redirect-uri", "https://reports.acme.test/cb",
		"--require-pkce=false", "--scope", "openid", "--scope", "email")
	if err != nil {
		t.Fatalf("create with the flags: %v\n%s", err, out)
	}
	db := sqltest.Open(t, url)
	_, list := acmePortals(t, db)
	if len(list) != 2 || list[0].Name != "Reports" || list[0].RequirePKCE || !slices.Equal(list[0].AllowedScopes, []string{"openid", "email"}) ||
		!list[1].RequirePKCE || !slices.Equal(list[1].AllowedScopes, portal.Scopes) {
		t.Fatalf("stored: %+v", list)
	}
	if out, err := run(t, "", "portal", "show", "--org", "Acme", "--portal", "Reports"); err != nil ||
		!regexp.MustCompile(`PKCE:\s+optional`).MatchString(out) || !regexp.MustCompile(`Scopes:\s+openid email\n`).MatchString(out) {
		t.Errorf("show: %v\n%s", err, out)
	}
	if out, err := run(t, "", "portal", "show", "--org", "Acme", "--portal", "Reports", "--json"); err != nil ||
		decodeJSON(t, out)["require_pkce"] != false || !strings.Contains(out, `"allowed_scopes": [`) {
		t.Errorf("show --json: %v\n%s", err, out)
	}
	if out, err := run(t, "", "portal", "update", "--org", "Acme", "--portal", "Reports", "--scope", "roles", "--name", "Renamed"); err == nil ||
		!strings.Contains(err.Error(), "--scope: openid must be among the scopes") {
		t.Errorf("update without openid: %v\n%s", err, out)
	}
	if out, err := run(t, "", "portal", "update", "--org", "Acme", "--portal", "Reports", "--require-pkce"); err != nil {
		t.Fatalf("update: %v\n%s", err, out)
	}
	_, list = acmePortals(t, db)
	if list[0].Name != "Reports" || !list[0].RequirePKCE || !slices.Equal(list[0].AllowedScopes, []string{"openid", "email"}) {
		t.Errorf("after the updates: %+v", list[0])
	}
}
