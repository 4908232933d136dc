// Package backup is the backup-code second factor: ten random single-use
// codes shown once, stored as SHA-256 hashes (they carry 50 bits of
// randomness each, so a fast hash is enough); regenerating voids the set.
package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/store"
)

// Name is the method's key.
const Name = "backup"

// Count is how many codes a set has.
const Count = 10

// Method verifies backup codes.
type Method struct{ Store Codes }

// Codes keeps the codes, as factors.
type Codes interface {
	CreateMFAFactor(ctx context.Context, f *store.MFAFactor) error
	AdvanceMFAFactor(ctx context.Context, orgID, memberID, id, counter int64, at time.Time) error
	DeleteMemberMFAFactors(ctx context.Context, orgID, memberID int64, method string) (int64, error)
}

var _ mfa.Method = (*Method)(nil)

func (*Method) Name() string  { return Name }
func (*Method) Label() string { return "Backup code" }
func (*Method) AMR() string   { return "otp" }

func (*Method) Usable(s mfa.Subject) bool { return Remaining(s.Factors) > 0 }

func (*Method) Challenge(context.Context, mfa.Subject, bool) (mfa.Prompt, error) {
	return mfa.Prompt{CodeInput: true, Instructions: "Enter one of your backup codes. Each code works once."}, nil
}

// Verify marks the matching unused code as used; a used code is wrong.
func (m *Method) Verify(ctx context.Context, s mfa.Subject, form url.Values) error {
	h := hash(form.Get("code"))
	for _, f := range s.FactorsOf(Name) {
		if f.Counter == 0 && subtle.ConstantTimeCompare(f.Secret, h) == 1 {
			err := m.Store.AdvanceMFAFactor(ctx, s.Organisation.ID, s.Member.ID, f.ID, 1, s.Now)
			if errors.Is(err, store.ErrConflict) {
				return mfa.ErrWrongCode // spent by a concurrent request
			}
			return err
		}
	}
	return mfa.ErrWrongCode
}

// Remaining counts unused codes.
func Remaining(factors []store.MFAFactor) int {
	n := 0
	for _, f := range factors {
		if f.Method == Name && f.Counter == 0 {
			n++
		}
	}
	return n
}

// Generate replaces the member's codes with a new set, through tx, and
// returns the codes to show once.
func Generate(ctx context.Context, tx Codes, orgID, memberID int64, now time.Time) ([]string, error) {
	if _, err := tx.DeleteMemberMFAFactors(ctx, orgID, memberID, Name); err != nil {
		return nil, err
	}
	codes := make([]string, Count)
	for i := range codes {
		raw := strings.ToLower(rand.Text()[:10]) // base32: 50 bits
		codes[i] = raw[:5] + "-" + raw[5:]
		if err := tx.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: orgID, MemberID: memberID, Method: Name,
			Secret: hash(codes[i]), CreatedAt: now}); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// hash ignores case, spaces and dashes, so a code typed loosely works.
func hash(code string) []byte {
	code = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(code))
	return h[:]
}
