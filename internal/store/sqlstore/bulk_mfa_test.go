package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestBulkAddTOTP gives the organisation's members without an app one,
// once, and leaves other organisations alone.
func TestBulkAddTOTP(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, now := context.Background(), time.Now()
		acme, other := seedMembers(t, db, 3), store.Organisation{Name: "Other", Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
		if err := db.CreateOrganisation(ctx, &other); err != nil {
			t.Fatal(err)
		}
		stranger := store.Member{OrgID: other.ID, Email: "x@other.test", Name: "X", Role: store.RoleMember,
			Status: store.StatusActive, CreatedAt: now}
		if err := db.CreateMember(ctx, &stranger); err != nil {
			t.Fatal(err)
		}
		first, _ := db.MemberByEmail(ctx, acme.ID, "member0000000@bench.test")
		own := store.MFAFactor{OrgID: acme.ID, MemberID: first.ID, Method: "totp", Secret: []byte("OWNSECRET"), CreatedAt: now}
		if err := db.CreateMFAFactor(ctx, &own); err != nil {
			t.Fatal(err)
		}
		if n, err := db.BulkAddTOTP(ctx, acme.ID, []byte("BENCHSECRET"), now); err != nil || n != 2 {
			t.Fatalf("added %d, %v; want 2 (one member already has an app)", n, err)
		}
		if n, _ := db.BulkAddTOTP(ctx, acme.ID, []byte("BENCHSECRET"), now); n != 0 {
			t.Errorf("a second run added %d", n)
		}
		second, _ := db.MemberByEmail(ctx, acme.ID, "member0000001@bench.test")
		for m, want := range map[int64]string{first.ID: "OWNSECRET", second.ID: "BENCHSECRET"} {
			f, err := db.MemberMFAFactors(ctx, acme.ID, m)
			if err != nil || len(f) != 1 || string(f[0].Secret) != want {
				t.Errorf("member %d factors: %+v, %v; want one with %s", m, f, err, want)
			}
		}
		if f, _ := db.MemberMFAFactors(ctx, other.ID, stranger.ID); len(f) != 0 {
			t.Errorf("another organisation's member got %+v", f)
		}
	})
}
