package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/loadgen"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

// TestDevSeed fills an organisation for benchmarks with members, an
// administrator and the shared authenticator app; seeding it again is
// refused with a clear message and changes nothing.
func TestDevSeed(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	url := "sqlite:" + filepath.Join(t.TempDir(), "ims.db")
	out, err := run(t, "", "dev", "seed", "--members", "3", "--admin", "--totp", "--database-url", url)
	if err != nil || !strings.Contains(out, "Seeded 3 members") || !strings.Contains(out, "4 members got an authenticator app") {
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
	db, err := sqlstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, _ := db.OrganisationByName(ctx, "Bench")
	admin, err := db.MemberByEmail(ctx, org.ID, loadgen.AdminEmail)
	if err != nil || admin.Role != store.RoleAdministrator || admin.PasswordHash == "" {
		t.Errorf("administrator: %+v, %v", admin, err)
	}
	if n, _ := db.CountMembers(ctx, org.ID, "", 0); n != 4 {
		t.Errorf("%d members, want 3 and the administrator", n)
	}
	factors, _ := db.MemberMFAFactors(ctx, org.ID, admin.ID)
	if len(factors) != 1 || string(factors[0].Secret) != loadgen.TOTPSecret {
		t.Errorf("the administrator's factors: %+v", factors)
	}
}
