package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"imslogin/internal/benchseed"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/token"
)

// BenchmarkSignInWithoutHash runs a password sign-in's database work, the
// six statements TestDatabaseRoundTrips pins (read the organisation, member
// and lock in one, read the MFA policy and factors, then one
// transaction starting the session and writing the audit entry), at 1,000
// and 1,000,000 members, so the two can be compared:
//
//	go test ./internal/store/sqlstore -run XXX -bench SignInWithoutHash -benchtime 20000x
func BenchmarkSignInWithoutHash(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			db := sqltest.NewSQLite(b)
			org := seedMembers(b, db, n)
			settle(b, db)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if err := signInWithoutHash(ctx, db, org.Name, benchseed.MemberEmail(rand.IntN(n))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func signInWithoutHash(ctx context.Context, db store.Store, orgName, email string) error {
	subject, err := db.PasswordSubject(ctx, orgName, email, email)
	if err != nil {
		return err
	}
	o, m := subject.Organisation, subject.Member
	if m.ID == 0 || subject.Counted {
		return fmt.Errorf("%s: member %d, failures on record %v", email, m.ID, subject.Counted)
	}
	if _, _, err := db.MemberMFA(ctx, o.ID, m.ID); err != nil {
		return err
	}
	_, hash := token.New()
	now := time.Now()
	return db.InTx(ctx, func(ctx context.Context) error {
		s := store.Session{TokenHash: hash, OrgID: o.ID, MemberID: m.ID, CreatedAt: now, LastSeenAt: now,
			AuthTime: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateSession(ctx, &s); err != nil {
			return err
		}
		return db.AppendAuditEvent(ctx, &store.AuditEvent{OrgID: o.ID, At: now, Kind: "signin.success", MemberID: m.ID,
			Email: m.Email, Address: "127.0.0.1", UserAgent: "bench"})
	})
}

// BenchmarkSessionLookup is the session check's one query.
func BenchmarkSessionLookup(b *testing.B) {
	db := sqltest.NewSQLite(b)
	org := seedMembers(b, db, 1000)
	ctx := context.Background()
	m, _ := db.MemberByEmail(ctx, org.ID, "member0000001@bench.test")
	raw, hash := token.New()
	now := time.Now()
	s := store.Session{TokenHash: hash, OrgID: org.ID, MemberID: m.ID, CreatedAt: now, LastSeenAt: now, AuthTime: now,
		ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateSession(ctx, &s); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.SignedInByTokenHash(ctx, token.Hash(raw)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func seedMembers(b testing.TB, db *sqlstore.DB, n int) store.Organisation {
	b.Helper()
	ctx := context.Background()
	org := store.Organisation{Name: "Bench", Settings: store.DefaultOrganisationSettings(), CreatedAt: time.Now()}
	if err := db.CreateOrganisation(ctx, &org); err != nil {
		b.Fatal(err)
	}
	if err := benchseed.SeedMembers(ctx, db, org.ID, n, "$argon2id$x", nil); err != nil {
		b.Fatal(err)
	}
	return org
}

// settle moves the seed's pages from the write-ahead log into the file and
// onto the disk before the clock starts, so the timed loop shares neither
// the checkpoint nor the write-back of a few hundred megabytes.
func settle(b testing.TB, db *sqlstore.DB) {
	if err := db.Exec(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	syscall.Sync()
}
