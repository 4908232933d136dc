package token_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
	"imslogin/internal/token"
)

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func issue(t *testing.T, s store.Store, m store.Member, purpose store.LinkPurpose, at time.Time) string {
	t.Helper()
	raw, err := token.Issue(context.Background(), s, m, purpose, at, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func redeem(s store.Store, raw string, purpose store.LinkPurpose, at time.Time) error {
	return s.InTx(context.Background(), func(ctx context.Context) error {
		_, err := token.Redeem(ctx, s, raw, purpose, at)
		return err
	})
}

func TestLinksThatDoNotWorkSayWhy(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		o := storetest.NewOrganisation(t, db, "Acme")
		m := storetest.NewMember(t, db, o.ID, "ana@acme.test")
		old := issue(t, db, m, store.LinkReset, now)
		live := issue(t, db, m, store.LinkReset, now.Add(time.Minute))
		tampered := []byte(live)
		tampered[10] ^= 1
		cases := []struct {
			name, raw string
			purpose   store.LinkPurpose
			at        time.Time
			want      error
		}{
			{"voided by a newer link", old, store.LinkReset, now.Add(2 * time.Minute), token.ErrReplaced},
			{"tampered", string(tampered), store.LinkReset, now.Add(2 * time.Minute), token.ErrInvalid},
			{"truncated", live[:20], store.LinkReset, now.Add(2 * time.Minute), token.ErrInvalid},
			{"another purpose", live, store.LinkInvitation, now.Add(2 * time.Minute), token.ErrInvalid},
			{"expired", live, store.LinkReset, now.Add(61 * time.Minute), token.ErrExpired},
		}
		for _, c := range cases {
			if err := redeem(db, c.raw, c.purpose, c.at); !errors.Is(err, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			}
		}
		if err := redeem(db, live, store.LinkReset, now.Add(2*time.Minute)); err != nil {
			t.Fatalf("live link: %v", err)
		}
		if err := redeem(db, live, store.LinkReset, now.Add(3*time.Minute)); !errors.Is(err, token.ErrUsed) {
			t.Errorf("reused: got %v, want ErrUsed", err)
		}
		if _, err := token.Check(context.Background(), db, live, store.LinkReset, now); !errors.Is(err, token.ErrUsed) {
			t.Errorf("check after use: got %v, want ErrUsed", err)
		}
	})
}

func TestFiftyConcurrentRedemptionsOneSucceeds(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		o := storetest.NewOrganisation(t, db, "Acme")
		m := storetest.NewMember(t, db, o.ID, "ana@acme.test")
		raw := issue(t, db, m, store.LinkReset, now)
		var ok, used atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				switch err := redeem(db, raw, store.LinkReset, now.Add(time.Second)); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, token.ErrUsed):
					used.Add(1)
				default:
					t.Errorf("redemption: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 || used.Load() != 49 {
			t.Errorf("%d succeeded and %d were told the link was used; want 1 and 49", ok.Load(), used.Load())
		}
	})
}

// TestNewTokensCarry256RandomBits: a token decodes to 32 bytes, no two
// are alike, and what is stored is its SHA-256, not the token.
func TestNewTokensCarry256RandomBits(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		raw, hash := token.New()
		b, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || len(b) != 32 {
			t.Fatalf("token %q: %d bytes, %v; want 32", raw, len(b), err)
		}
		if seen[raw] {
			t.Fatalf("token %q made twice", raw)
		}
		seen[raw] = true
		if sum := sha256.Sum256([]byte(raw)); !bytes.Equal(hash, sum[:]) {
			t.Fatal("the stored form is not the token's SHA-256")
		}
	}
}
