package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"imslogin/internal/benchseed"
	"imslogin/internal/config"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/secretbox"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestStartUpSealsPlainSecrets: an authenticator app and a set-up in
// progress stored in plain text (before sealing existed) are sealed by the
// start-up pass, and the member still signs in with the app.
func TestStartUpSealsPlainSecrets(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		cfg := config.Default()
		cfg.DatabaseURL, cfg.SecretKeyFile = "postgres://unused", filepath.Join(t.TempDir(), "secret.key")
		box, err := secretbox.CreateKey(cfg.SecretKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		app := servertest.New(t, servertest.Options{DB: db, Server: server.Options{Secrets: totp.NewSecrets(box)}})
		e, _ := totp.NewEnrolment(app.Org.Name, app.Member.Email)
		if err := db.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: app.Org.ID, MemberID: app.Member.ID, Method: totp.Name,
			Name: "Phone", Secret: []byte(e.Secret), CreatedAt: app.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		pending, _ := totp.NewEnrolment(app.Org.Name, app.Member.Email)
		now := app.Clock.Now()
		if err := db.PutOneTimeCode(ctx, store.OneTimeCode{OrgID: app.Org.ID, MemberID: app.Member.ID, Purpose: "mfa-totp-enrol",
			CodeHash: []byte("pending"), Destination: pending.URL, SentAt: now, ExpiresAt: now.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}

		secrets, err := prepareSecrets(ctx, cfg, db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		factors, _ := db.MemberMFAFactors(ctx, app.Org.ID, app.Member.ID)
		if len(factors) != 1 || !secretbox.IsSealed(factors[0].Secret) || strings.Contains(string(factors[0].Secret), e.Secret) {
			t.Fatalf("after the start-up pass: %+v", factors)
		}
		code, _ := db.OneTimeCode(ctx, app.Org.ID, app.Member.ID, "mfa-totp-enrol")
		if strings.Contains(code.Destination, pending.Secret) {
			t.Errorf("the set-up in progress is still plain: %q", code.Destination)
		}
		if url, err := secrets.OpenPending(app.Org.ID, app.Member.ID, code.Destination); err != nil || url != pending.URL {
			t.Errorf("the set-up in progress opens as %q, %v", url, err)
		}
		signInWithApp(t, app, app.Org.Name, app.Member.Email, servertest.Password, e.Secret)
		if apps, codes, err := sealStoredSecrets(ctx, secrets, db); apps != 0 || codes != 0 || err != nil {
			t.Errorf("a second pass sealed %d apps and %d set-ups, %v; want nothing left", apps, codes, err)
		}
	})
}

// TestStartUpRefusesANewKeyForSealedSecrets: the key file is gone but the
// database holds apps sealed with it: the server does not start, says so,
// makes no key and changes nothing.
func TestStartUpRefusesANewKeyForSealedSecrets(t *testing.T) {
	url, keyFile, before := seedSealedApps(t)
	os.Remove(keyFile)
	err := serveUntilRefused(t, url)
	if err == nil || !strings.Contains(err.Error(), "2 authenticator apps are in the database sealed") ||
		!strings.Contains(err.Error(), "restore the file") || !strings.Contains(err.Error(), keyFile) {
		t.Fatalf("got %v, want a refusal naming the file and the sealed apps", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was made: %v", err)
	}
	if after := storedSecrets(t, url); after != before {
		t.Errorf("stored secrets changed")
	}
}

// TestStartUpRefusesAKeyThatDoesNotOpenTheApps: another key in place of
// the one that sealed the apps (a wrong file restored) stops the start,
// instead of every sign-in with an app failing.
func TestStartUpRefusesAKeyThatDoesNotOpenTheApps(t *testing.T) {
	url, keyFile, before := seedSealedApps(t)
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := secretbox.CreateKey(keyFile); err != nil {
		t.Fatal(err)
	}
	err := serveUntilRefused(t, url)
	if err == nil || !strings.Contains(err.Error(), "does not open the authenticator apps") || !strings.Contains(err.Error(), keyFile) {
		t.Fatalf("got %v, want a refusal naming the key file", err)
	}
	if after := storedSecrets(t, url); after != before {
		t.Errorf("stored secrets changed")
	}
	// With the old key declared lost, the new key is used, and so is a
	// new file when none is left.
	db := sqltest.Open(t, url)
	cfg := config.Default()
	cfg.DatabaseURL, cfg.SecretKeyLost = url, true
	if _, created, err := openSecrets(context.Background(), cfg, db); err != nil || created {
		t.Errorf("--secret-key-lost with another key: created %v, %v", created, err)
	}
	os.Remove(keyFile)
	if _, created, err := openSecrets(context.Background(), cfg, db); err != nil || !created {
		t.Errorf("--secret-key-lost with no key file: created %v, %v", created, err)
	}
}

// seedSealedApps seeds two members with a sealed app into a new SQLite
// database, and returns its URL, its key file and the stored secrets.
func seedSealedApps(t *testing.T) (url, keyFile, stored string) {
	t.Helper()
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	dir := t.TempDir()
	url = "sqlite:" + filepath.Join(dir, "ims.db")
	if out, err := run(t, "", "dev", "seed", "--members", "2", "--totp", "--database-url", url); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	return url, filepath.Join(dir, "secret.key"), storedSecrets(t, url)
}

// serveUntilRefused runs ims serve on url and returns why it stopped; a
// start that is not refused serves until the test's deadline.
func serveUntilRefused(t *testing.T, url string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := newRootCommand(strings.NewReader(""), &strings.Builder{}, &strings.Builder{})
	cmd.SetArgs([]string{"serve", "--database-url", url, "--addr", "127.0.0.1:0"})
	return cmd.ExecuteContext(ctx)
}

// storedSecrets concatenates the stored secrets of the two seeded members.
func storedSecrets(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	db := sqltest.Open(t, url)
	org, err := db.OrganisationByName(ctx, "Bench")
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for i := range 2 {
		m, _ := db.MemberByEmail(ctx, org.ID, benchseed.MemberEmail(i))
		list, _ := db.MemberMFAFactors(ctx, org.ID, m.ID)
		if len(list) != 1 || !secretbox.IsSealed(list[0].Secret) {
			t.Fatalf("%s's apps: %+v", m.Email, list)
		}
		all.Write(list[0].Secret)
	}
	return all.String()
}

// TestPostgresNeedsAKeyFile: PostgreSQL without a key file is refused
// before the database is touched; a named file that does not exist is not
// made (each node would make its own), nor is one made for sealed apps.
func TestPostgresNeedsAKeyFile(t *testing.T) {
	url := sqltest.NewPostgresDatabase(t)
	_, err := run(t, "", "serve", "--database-url", url, "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "secret-key-file: required with PostgreSQL") {
		t.Fatalf("got %v", err)
	}
	if v := schemaVersion(t, url); v != 0 {
		t.Fatalf("the refused start migrated the database to version %d", v)
	}
	db := sqltest.Open(t, url)
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	cfg := config.Default()
	cfg.DatabaseURL, cfg.SecretKeyFile = url, keyFile
	_, _, err = openSecrets(context.Background(), cfg, db)
	if err == nil || !strings.Contains(err.Error(), "give every node the same file") {
		t.Errorf("a missing key file: %v", err)
	}
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	m := servertest.AddMember(t, db, org, "ana@acme.test", "Ana")
	if err := db.CreateMFAFactor(context.Background(), &store.MFAFactor{OrgID: org.ID, MemberID: m.ID, Method: totp.Name,
		Secret: servertest.Secrets.Seal(org.ID, m.ID, "JBSWY3DPEHPK3PXP")}); err != nil {
		t.Fatal(err)
	}
	_, _, err = openSecrets(context.Background(), cfg, db)
	if err == nil || !strings.Contains(err.Error(), "1 authenticator app is in the database sealed") {
		t.Errorf("a missing key file with a sealed app: %v", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was made: %v", err)
	}
}

// TestAdministrationNeedsNoKeyFile: commands that never read authenticator
// secrets (creating an organisation, adding a member) work on PostgreSQL
// without --secret-key-file.
func TestAdministrationNeedsNoKeyFile(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	url := sqltest.NewPostgresDatabase(t)
	if _, err := run(t, "", "org", "create", "--name", "Acme", "--database-url", url); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "correct horse battery staple\n", "member", "add", "--org", "Acme", "--email", "ana@acme.test",
		"--name", "Ana Lima", "--role", "owner", "--password-stdin", "--database-url", url); err != nil {
		t.Fatal(err)
	}
}

func schemaVersion(t *testing.T, url string) int {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, _ := db.Version(context.Background())
	return v
}

// signInWithApp signs in with a password and the app's current code.
func signInWithApp(t *testing.T, app *servertest.App, org, email, password, secret string) {
	t.Helper()
	c := app.Browser(t)
	resp, body := app.Post(t, c, "/login", neturl.Values{"organisation": {org}, "email": {email}, "password": {password}})
	if resp.Header.Get("Location") != "/login/mfa" {
		t.Fatalf("password: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	code, err := otptotp.GenerateCode(secret, app.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, body = app.Post(t, c, "/login/mfa", neturl.Values{"method": {"totp"}, "code": {code}})
	if resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("app code: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// TestStartUpRefusesANewKeyForSigningKeys: no authenticator app, but an
// organisation's signing key sealed with the missing key file: the server
// does not start, names the key, makes no file and keeps the key.
func TestStartUpRefusesANewKeyForSigningKeys(t *testing.T) {
	ctx := context.Background()
	url := newDatabase(t)
	db := sqltest.Open(t, url)
	org, err := db.OrganisationByName(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	k := store.SigningKey{ID: "k1", OrgID: org.ID, Algorithm: "ES256", Public: []byte("public"), Private: []byte("sealed"),
		CreatedAt: now, ActiveFrom: now}
	if err := db.CreateSigningKey(ctx, &k); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(filepath.Dir(strings.TrimPrefix(url, "sqlite:")), "secret.key")
	err = serveUntilRefused(t, url)
	if err == nil || !strings.Contains(err.Error(), "1 organisation signing key is in the database sealed") ||
		!strings.Contains(err.Error(), keyFile) {
		t.Fatalf("got %v, want a refusal naming the file and the signing key", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was made: %v", err)
	}
	if n, err := db.CountSigningKeys(ctx); n != 1 || err != nil {
		t.Errorf("signing keys after the refusal: %d, %v; want the one", n, err)
	}
}
