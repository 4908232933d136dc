// Package backup is the backup-code second factor: ten random single-use
// codes shown once; regenerating voids the set. Each code carries 50 bits
// of randomness, too few to store under a plain hash a copy of the
// database could be searched against, so each is stored as an HMAC-SHA256
// under a key derived from the server's secret key, bound to its member.
// Codes stored before that, as plain SHA-256, still work until used or
// replaced.
package backup

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/secretbox"
	"imslogin/internal/store"
)

// Name is the method's key.
const Name = "backup"

// Count is how many codes a set has.
const Count = 10

// KeyLabel names the key codes are stored under, derived from the server's
// secret key (secretbox.Box.DeriveKey).
const KeyLabel = "backup codes"

// KeyFrom derives the key of backup codes from the server's secret key:
// every node with that key checks codes alike.
func KeyFrom(box *secretbox.Box) []byte { return box.DeriveKey(KeyLabel) }

// Method verifies and makes backup codes.
type Method struct {
	Store Codes
	Key   []byte // keys the stored codes (KeyFrom); required
}

// Codes keeps the codes, as factors.
type Codes interface {
	CreateMFAFactor(ctx context.Context, f *store.MFAFactor) error
	AdvanceMFAFactor(ctx context.Context, orgID, memberID, id, counter int64, at time.Time) error
	DeleteMemberMFAFactors(ctx context.Context, orgID, memberID int64, method string) (int64, error)
}

var _ mfa.Method = (*Method)(nil)

// errNoKey refuses to make or check codes without the server's key.
var errNoKey = errors.New("backup: no key for backup codes")

func (*Method) Name() string  { return Name }
func (*Method) Label() string { return "Backup code" }
func (*Method) AMR() string   { return "otp" }

func (*Method) Usable(s mfa.Subject) bool { return Remaining(s.Factors) > 0 }

func (*Method) Challenge(context.Context, mfa.Subject, bool) (mfa.Prompt, error) {
	return mfa.Prompt{CodeInput: true, Instructions: "Enter one of your backup codes. Each code works once."}, nil
}

// Verify marks the matching unused code as used; a used code is wrong.
func (m *Method) Verify(ctx context.Context, s mfa.Subject, form url.Values) error {
	if len(m.Key) == 0 {
		return errNoKey
	}
	code := normalise(form.Get("code"))
	keyed, plain := m.hash(s.Member.ID, code), sha256.Sum256([]byte(code))
	for _, f := range s.FactorsOf(Name) {
		if f.Counter == 0 && subtle.ConstantTimeCompare(f.Secret, keyed)|subtle.ConstantTimeCompare(f.Secret, plain[:]) == 1 {
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
func (m *Method) Generate(ctx context.Context, tx Codes, orgID, memberID int64, now time.Time) ([]string, error) {
	if len(m.Key) == 0 {
		return nil, errNoKey
	}
	if _, err := tx.DeleteMemberMFAFactors(ctx, orgID, memberID, Name); err != nil {
		return nil, err
	}
	codes := make([]string, Count)
	for i := range codes {
		raw := strings.ToLower(rand.Text()[:10]) // base32: 50 bits
		codes[i] = raw[:5] + "-" + raw[5:]
		if err := tx.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: orgID, MemberID: memberID, Method: Name,
			Secret: m.hash(memberID, normalise(codes[i])), CreatedAt: now}); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// hash is the HMAC-SHA256, under the server's key, of the normalised code
// bound to its member.
func (m *Method) hash(memberID int64, code string) []byte {
	mac := hmac.New(sha256.New, m.Key)
	mac.Write([]byte(strconv.FormatInt(memberID, 10) + "\x00" + code))
	return mac.Sum(nil)
}

// normalise ignores case, spaces and dashes, so a code typed loosely works.
func normalise(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
}
