package mfa

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// ParseMethods reads a comma-separated list such as "email,sms,totp".
func ParseMethods(list string) ([]string, error) {
	var methods []string
	for _, m := range strings.Split(list, ",") {
		m = strings.ToLower(strings.TrimSpace(m))
		if m == "" || slices.Contains(methods, m) {
			continue
		}
		if !slices.Contains(Selectable, m) {
			return nil, fmt.Errorf("unknown MFA method %q: want %s", m, strings.Join(Selectable, ", "))
		}
		methods = append(methods, m)
	}
	return methods, nil
}

// Describe is a policy in words, for the audit log and the command line.
func Describe(p store.MFAPolicy) string {
	state := "off"
	if p.Required {
		state = "on"
	}
	return fmt.Sprintf("MFA %s; methods %s; remember browsers %d days", state, strings.Join(p.Methods, ", "),
		int(p.TrustedDeviceDuration/(24*time.Hour)))
}

// PolicyStore keeps organisations' policies.
type PolicyStore interface {
	MFAPolicy(ctx context.Context, orgID int64) (store.MFAPolicy, error)
	SetMFAPolicy(ctx context.Context, orgID int64, p store.MFAPolicy) error
	audit.Log
	store.Transactor
}

// SavePolicy validates p and stores it for the organisation with an audit
// entry e (its Kind and Detail are filled in), in one transaction: the
// settings page, the API and the command line all change it here.
func SavePolicy(ctx context.Context, st PolicyStore, orgID int64, p store.MFAPolicy, e store.AuditEvent) error {
	if err := ValidatePolicy(p); err != nil {
		return err
	}
	return st.InTx(ctx, func(ctx context.Context) error {
		before, err := st.MFAPolicy(ctx, orgID)
		if err != nil {
			return err
		}
		if err := st.SetMFAPolicy(ctx, orgID, p); err != nil {
			return err
		}
		e.OrgID, e.Kind = orgID, audit.SettingsChange
		e.Detail = Describe(before) + " → " + Describe(p)
		return st.AppendAuditEvent(ctx, &e)
	})
}

// MemberFactors removes a member's factors and remembered browsers.
type MemberFactors interface {
	DeleteMemberMFAFactors(ctx context.Context, orgID, memberID int64, method string) (int64, error)
	DeleteMemberTrustedDevices(ctx context.Context, orgID, memberID int64) (int64, error)
	SetLastMFAMethod(ctx context.Context, orgID, memberID int64, method string) error
}

// ResetMember removes every second factor and remembered browser of a
// member (an administrator's reset, audited by the caller).
func ResetMember(ctx context.Context, tx MemberFactors, orgID, memberID int64) error {
	if _, err := tx.DeleteMemberMFAFactors(ctx, orgID, memberID, ""); err != nil {
		return err
	}
	if _, err := tx.DeleteMemberTrustedDevices(ctx, orgID, memberID); err != nil {
		return err
	}
	return tx.SetLastMFAMethod(ctx, orgID, memberID, "")
}
