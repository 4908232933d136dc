package token_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/token"
)

// links is an in-memory store of emailed links that records every lookup.
type links struct {
	byHash  map[string]store.LinkToken
	lookups []string // the hashes looked up
}

func (l *links) CreateLinkToken(_ context.Context, t *store.LinkToken) error {
	l.byHash[string(t.TokenHash)] = *t
	return nil
}

func (l *links) LinkTokenByHash(_ context.Context, hash []byte) (store.LinkToken, error) {
	l.lookups = append(l.lookups, string(hash))
	t, ok := l.byHash[string(hash)]
	if !ok {
		return t, store.ErrNotFound
	}
	return t, nil
}

func (l *links) RedeemLinkToken(_ context.Context, hash []byte, purpose store.LinkPurpose, now time.Time) (store.LinkToken, error) {
	l.lookups = append(l.lookups, string(hash))
	t, ok := l.byHash[string(hash)]
	if !ok || t.Purpose != purpose || t.EndReason != "" || !now.Before(t.ExpiresAt) {
		return store.LinkToken{}, store.ErrNotFound
	}
	t.EndReason = store.LinkEndedUsed
	l.byHash[string(hash)] = t
	return t, nil
}

// FuzzLinkToken: whatever a link carries, only the token issued for that
// purpose is accepted (by Check and by Redeem), and only text of the shape
// New makes (43 base64url characters, canonically encoded) is ever looked
// up in the store.
func FuzzLinkToken(f *testing.F) {
	purposes := []store.LinkPurpose{store.LinkInvitation, store.LinkReset, store.LinkRegistration}
	raw, _ := token.New()
	f.Add(raw, uint8(0))
	f.Add(raw[:42]+"=", uint8(1))
	f.Add("", uint8(2))
	f.Add(raw+"A", uint8(0))
	f.Add("../../../../etc/passwd", uint8(1))
	f.Fuzz(func(t *testing.T, raw string, p uint8) {
		ctx := context.Background()
		l := &links{byHash: map[string]store.LinkToken{}}
		m := store.Member{ID: 7, OrgID: 3}
		issued := map[store.LinkPurpose]string{}
		for _, purpose := range purposes {
			s, err := token.Issue(ctx, l, m, purpose, now, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			issued[purpose] = s
		}
		purpose := purposes[int(p)%len(purposes)]
		if _, err := token.Check(ctx, l, raw, purpose, now); err == nil && raw != issued[purpose] {
			t.Fatalf("Check accepted %q for %s", raw, purpose)
		}
		if _, err := token.Redeem(ctx, l, raw, purpose, now); err == nil && raw != issued[purpose] {
			t.Fatalf("Redeem accepted %q for %s", raw, purpose)
		}
		if len(l.lookups) == 0 {
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || len(b) != 32 || base64.RawURLEncoding.EncodeToString(b) != raw {
			t.Fatalf("%q, not a token New makes, was looked up", raw)
		}
	})
}
