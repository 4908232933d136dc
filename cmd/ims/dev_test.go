package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imslogin/internal/benchseed"
	"imslogin/internal/config"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/portal"
	"imslogin/internal/secretbox"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestDevSeed fills an organisation for benchmarks with members, an
// administrator and the shared authenticator app; seeding it again is
// refused with a clear message and changes nothing.
func TestDevSeed(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "ims.db")
	out, err := run(t, "", "dev", "seed", "--members", "3", "--admin", "--totp", "--portal", "--database-url", url)
	if err != nil || !strings.Contains(out, "Seeded 3 members") || !strings.Contains(out, "4 members got an authenticator app") ||
		!strings.Contains(out, "Created the key") || !strings.Contains(out, "Registered Bench Portal (client ID "+benchseed.PortalClientID) {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	if _, err := run(t, "", "dev", "seed", "--members", "5", "--database-url", url); err == nil ||
		!strings.Contains(err.Error(), "already has seeded members") {
		t.Errorf("second seed: %v", err)
	}
	if _, err := run(t, "", "dev", "seed", "--members", "0", "--database-url", url); err == nil {
		t.Error("seeding 0 members succeeded")
	}
	ctx := context.Background()
	db := sqltest.Open(t, url)
	org, _ := db.OrganisationByName(ctx, "Bench")
	admin, err := db.MemberByEmail(ctx, org.ID, benchseed.AdminEmail)
	if err != nil || admin.Role != store.RoleAdministrator || admin.PasswordHash == "" {
		t.Errorf("administrator: %+v, %v", admin, err)
	}
	if n, _ := db.CountMembers(ctx, org.ID, "", 0); n != 4 {
		t.Errorf("%d members, want 3 and the administrator", n)
	}
	p, err := db.PortalByClientID(ctx, benchseed.PortalClientID)
	if err != nil || p.OrgID != org.ID || !p.Confidential || !p.FirstParty || p.RedirectURIs[0] != benchseed.PortalRedirectURI {
		t.Errorf("the benchmark portal: %+v, %v", p, err)
	}
	if ok, err := portal.CheckSecret(ctx, db, p, benchseed.PortalSecret, time.Now()); !ok || err != nil {
		t.Errorf("the benchmark portal's secret does not work: %v, %v", ok, err)
	}
	factors, _ := db.MemberMFAFactors(ctx, org.ID, admin.ID)
	if len(factors) != 1 || strings.Contains(string(factors[0].Secret), benchseed.TOTPSecret) {
		t.Fatalf("the administrator's factors: %+v", factors)
	}
	box, err := secretbox.LoadKey(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := totp.NewSecrets(box).Open(org.ID, factors[0].MemberID, factors[0].Secret); err != nil || got != benchseed.TOTPSecret {
		t.Errorf("the seeded secret opens as %q, %v", got, err)
	}
}

// TestDevSeedTOTPSignsIn: a member seeded with --totp signs in with a code
// of the shared secret on a server using the key the seed found, as
// `ims serve` on that database does.
func TestDevSeedTOTPSignsIn(t *testing.T) {
	app, _ := serveSeeded(t, "--members", "2", "--totp")
	signInWithApp(t, app, "Bench", benchseed.MemberEmail(1), "bench password 0001", benchseed.TOTPSecret)
}

// serveSeeded seeds a fresh SQLite database with `ims dev seed` and the
// given flags (argon2id at 8 MiB), and serves it as `ims serve` would: with
// the key beside the database, which the seed makes with --totp and the
// server otherwise. It returns the server and the database's folder.
func serveSeeded(t *testing.T, seedFlags ...string) (*servertest.App, string) {
	t.Helper()
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "ims.db")
	if out, err := run(t, "", append([]string{"dev", "seed", "--database-url", url}, seedFlags...)...); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	cfg := config.Default()
	cfg.DatabaseURL = url
	db, err := openMigrated(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	secrets, _, err := openSecrets(context.Background(), cfg, db)
	if err != nil {
		t.Fatalf("the server's key: %v", err)
	}
	return servertest.New(t, servertest.Options{DB: db, Server: server.Options{Secrets: secrets}}), dir
}
