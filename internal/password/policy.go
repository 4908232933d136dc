package password

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Length limits from NIST SP 800-63B-4: at least 15 characters when the
// password is the only factor, 8 when MFA is required; at least 64 allowed.
const (
	MinLengthSingleFactor = 15
	MinLengthWithMFA      = 8
	MaxLength             = 256
)

// Policy is what a new password must satisfy.
type Policy struct {
	MinLength int
	// Blocklist, if set, is a larger list of breached passwords checked
	// besides the embedded common ones.
	Blocklist Blocklist
}

// MinLengthFor is the minimum length for an organisation: 15 characters
// when the password is the only factor, 8 when MFA is required, or more
// when its administrators raised it.
func MinLengthFor(mfaRequired bool, raised int) int {
	base := MinLengthSingleFactor
	if mfaRequired {
		base = MinLengthWithMFA
	}
	return min(max(base, raised), MaxLength)
}

// Context is what a password must not contain: the member's own details.
type Context struct {
	Email            string
	OrganisationName string
}

// PolicyError lists every rule a password breaks, in words for the member:
// Problems are the new password's, Confirmation its confirmation's, so a
// form can show each beside its field.
type PolicyError struct{ Problems, Confirmation []string }

func (e *PolicyError) Error() string { return strings.Join(e.all(), "; ") }

func (e *PolicyError) all() []string {
	return append(append([]string(nil), e.Problems...), e.Confirmation...)
}

// Check reports every rule password breaks, or nil. There are no
// composition rules: length and context only, as NIST SP 800-63B asks.
func (p Policy) Check(password string, c Context) error {
	password = norm.NFKC.String(password)
	var problems []string
	n := utf8.RuneCountInString(password)
	if n < p.MinLength {
		problems = append(problems, fmt.Sprintf("use at least %d characters (this has %d)", p.MinLength, n))
	}
	if n > MaxLength {
		problems = append(problems, fmt.Sprintf("use at most %d characters", MaxLength))
	}
	if strings.IndexFunc(password, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0 {
		problems = append(problems, "use printable characters only")
	}
	lower := strings.ToLower(password)
	if local, _, _ := strings.Cut(strings.ToLower(c.Email), "@"); len(local) >= 3 && strings.Contains(lower, local) {
		problems = append(problems, "do not include your email address")
	}
	if org := strings.ToLower(strings.TrimSpace(c.OrganisationName)); len(org) >= 3 && strings.Contains(lower, org) {
		problems = append(problems, "do not include the organisation name")
	}
	blocked := IsCommon(password)
	if !blocked && p.Blocklist != nil {
		found, err := p.Blocklist.Contains(password)
		if err != nil {
			return fmt.Errorf("password blocklist: %w", err)
		}
		blocked = found
	}
	if blocked {
		problems = append(problems, "this password is too common: it appears in lists of passwords attackers try first")
	}
	if len(problems) == 0 {
		return nil
	}
	return &PolicyError{Problems: problems}
}

// IsPolicyError reports whether err is a broken password rule.
func IsPolicyError(err error) bool {
	var pe *PolicyError
	return errors.As(err, &pe)
}

// CheckNew checks a new password and its confirmation together, so the
// member sees every problem at once.
func (p Policy) CheckNew(password, confirm string, c Context) error {
	err := p.Check(password, c)
	if password == confirm {
		return err
	}
	var pe *PolicyError
	if err != nil && !errors.As(err, &pe) {
		return err
	}
	if pe == nil {
		pe = &PolicyError{}
	}
	pe.Confirmation = append(pe.Confirmation, "the two passwords do not match")
	return pe
}

// Problems returns the broken rules in err, or nil for another error.
func Problems(err error) []string {
	var pe *PolicyError
	if errors.As(err, &pe) {
		return pe.all()
	}
	return nil
}

// ProblemsByField splits the broken rules in err between the new password
// and its confirmation; both are nil for another error.
func ProblemsByField(err error) (newPassword, confirmation []string) {
	var pe *PolicyError
	if errors.As(err, &pe) {
		return pe.Problems, pe.Confirmation
	}
	return nil, nil
}

// ForOrganisation is the policy for an organisation's members. Until
// organisations have an MFA requirement, every organisation gets the
// single-factor minimum, or the higher one its administrators set (Raised).
func ForOrganisation(extra Blocklist) Policy {
	return Policy{MinLength: MinLengthFor(false, 0), Blocklist: extra}
}

// Raised is p with an organisation's raised minimum length, when it is
// higher than p's.
func (p Policy) Raised(minLength int) Policy {
	p.MinLength = min(max(p.MinLength, minLength), MaxLength)
	return p
}
