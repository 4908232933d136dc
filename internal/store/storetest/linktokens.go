package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"imslogin/internal/store"
)

func newLink(t testing.TB, s store.Store, orgID, memberID int64, purpose store.LinkPurpose, raw string, at time.Time) store.LinkToken {
	t.Helper()
	lt := store.LinkToken{TokenHash: tokenHash(raw), OrgID: orgID, MemberID: memberID, Purpose: purpose,
		CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if err := s.CreateLinkToken(context.Background(), &lt); err != nil {
		t.Fatalf("create link token: %v", err)
	}
	return lt
}

func testLinkTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	old := newLink(t, s, o.ID, m.ID, store.LinkReset, "old", now)
	invite := newLink(t, s, o.ID, m.ID, store.LinkInvitation, "invite", now)
	newer := newLink(t, s, o.ID, m.ID, store.LinkReset, "new", now.Add(time.Minute))

	got, err := s.LinkTokenByHash(ctx, old.TokenHash)
	if err != nil || got.EndReason != store.LinkEndedReplaced || !got.EndedAt.Equal(newer.CreatedAt) {
		t.Errorf("older reset link after a newer one: %+v, %v; want replaced", got, err)
	}
	if _, err := s.RedeemLinkToken(ctx, old.TokenHash, store.LinkReset, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeem replaced link: got %v, want ErrNotFound", err)
	}
	if got, _ := s.LinkTokenByHash(ctx, invite.TokenHash); got.EndReason != "" {
		t.Errorf("a reset link replaced the invitation: %+v", got)
	}
	if _, err := s.RedeemLinkToken(ctx, newer.TokenHash, store.LinkInvitation, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeem for another purpose: got %v, want ErrNotFound", err)
	}
	if _, err := s.RedeemLinkToken(ctx, newer.TokenHash, store.LinkReset, newer.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeem at expiry: got %v, want ErrNotFound", err)
	}
	used, err := s.RedeemLinkToken(ctx, newer.TokenHash, store.LinkReset, now.Add(2*time.Minute))
	if err != nil || used.MemberID != m.ID || used.OrgID != o.ID || used.EndReason != store.LinkEndedUsed {
		t.Fatalf("redeem live link: %+v, %v", used, err)
	}
	if _, err := s.RedeemLinkToken(ctx, newer.TokenHash, store.LinkReset, now.Add(3*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second redemption: got %v, want ErrNotFound", err)
	}
	if latest, err := s.LatestLinkToken(ctx, o.ID, m.ID, store.LinkReset); err != nil || string(latest.TokenHash) != string(newer.TokenHash) {
		t.Errorf("latest reset link: %+v, %v; want the newer one", latest, err)
	}
	if _, err := s.LatestLinkToken(ctx, o.ID, m.ID, store.LinkRegistration); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("latest registration link, none issued: got %v, want ErrNotFound", err)
	}
	if _, err := s.LinkTokenByHash(ctx, tokenHash("never issued")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown token: got %v, want ErrNotFound", err)
	}
}

// testLinkTokenConcurrentRedemption redeems one link 50 times at once:
// exactly one redemption succeeds.
func testLinkTokenConcurrentRedemption(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	lt := newLink(t, s, o.ID, m.ID, store.LinkReset, "race", now)
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := s.InTx(ctx, func(ctx context.Context) error {
				if _, err := s.RedeemLinkToken(ctx, lt.TokenHash, store.LinkReset, now); err != nil {
					return err
				}
				return s.SetPasswordHash(ctx, o.ID, m.ID, "$argon2id$winner")
			})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("redemption failed with %v, want success or ErrNotFound", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of 50 concurrent redemptions succeeded, want exactly 1", n)
	}
}

func testLinkTokenIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	ma := NewMember(t, s, a.ID, "same@example.test")
	mb := NewMember(t, s, b.ID, "same@example.test")
	la := newLink(t, s, a.ID, ma.ID, store.LinkReset, "alpha", now)
	newLink(t, s, b.ID, mb.ID, store.LinkReset, "beta", now) // must not replace Alpha's link
	if got, _ := s.LinkTokenByHash(ctx, la.TokenHash); got.EndReason != "" {
		t.Errorf("Beta's link ended Alpha's: %+v", got)
	}
	if _, err := s.LatestLinkToken(ctx, b.ID, ma.ID, store.LinkReset); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Beta reads Alpha's member's link: got %v, want ErrNotFound", err)
	}
	if _, err := s.RedeemLinkToken(ctx, la.TokenHash, store.LinkReset, now); err != nil {
		t.Errorf("Alpha's link after Beta's was created: %v", err)
	}
}

func testAcceptInvitation(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	other := NewOrganisation(t, s, "Other")
	m := store.Member{OrgID: o.ID, Email: "new@acme.test", Name: "New", Role: store.RoleMember, Status: store.StatusInvited,
		Licensed: true, CreatedAt: now}
	if err := s.CreateMember(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := s.AcceptInvitation(ctx, other.ID, m.ID, "$argon2id$x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("accept across organisations: got %v, want ErrNotFound", err)
	}
	if err := s.AcceptInvitation(ctx, o.ID, m.ID, "$argon2id$x"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.MemberByID(ctx, o.ID, m.ID)
	if got.Status != store.StatusActive || !got.EmailVerified || got.PasswordHash != "$argon2id$x" {
		t.Errorf("after accepting: %+v", got)
	}
	if err := s.AcceptInvitation(ctx, o.ID, m.ID, "$argon2id$y"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("accepting twice: got %v, want ErrNotFound", err)
	}
}

// testEndMemberLinkTokens: a change of email or password ends the member's
// live links of every purpose, and no one else's.
func testEndMemberLinkTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	ana, bo := NewMember(t, s, a.ID, "ana@alpha.test"), NewMember(t, s, a.ID, "bo@alpha.test")
	other := NewMember(t, s, b.ID, "ana@alpha.test")
	used := newLink(t, s, a.ID, ana.ID, store.LinkInvitation, "used", now)
	if _, err := s.RedeemLinkToken(ctx, used.TokenHash, store.LinkInvitation, now); err != nil {
		t.Fatal(err)
	}
	reset := newLink(t, s, a.ID, ana.ID, store.LinkReset, "reset", now)
	bos := newLink(t, s, a.ID, bo.ID, store.LinkReset, "bo", now)
	others := newLink(t, s, b.ID, other.ID, store.LinkReset, "other", now)
	if err := s.EndMemberLinkTokens(ctx, b.ID, ana.ID, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LinkTokenByHash(ctx, reset.TokenHash); got.EndReason != "" {
		t.Fatalf("another organisation ended Ana's link: %+v", got)
	}
	later := now.Add(time.Minute)
	if err := s.EndMemberLinkTokens(ctx, a.ID, ana.ID, later); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LinkTokenByHash(ctx, reset.TokenHash); got.EndReason != store.LinkEndedRevoked || !got.EndedAt.Equal(later) {
		t.Errorf("Ana's reset link: %+v, want revoked at %v", got, later)
	}
	if _, err := s.RedeemLinkToken(ctx, reset.TokenHash, store.LinkReset, later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeeming a revoked link: %v, want ErrNotFound", err)
	}
	if got, _ := s.LinkTokenByHash(ctx, used.TokenHash); got.EndReason != store.LinkEndedUsed {
		t.Errorf("a used link became %q", got.EndReason)
	}
	for _, lt := range []store.LinkToken{bos, others} {
		if got, _ := s.LinkTokenByHash(ctx, lt.TokenHash); got.EndReason != "" {
			t.Errorf("another member's link ended: %+v", got)
		}
	}
}
