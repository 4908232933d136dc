package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/audit"
	"imslogin/internal/mfa"
	"imslogin/internal/store"
)

// mfaFlags are org set's multi-factor authentication flags, mirroring
// the MFA section of the Details page.
type mfaFlags struct {
	cmd          *cobra.Command
	state        string
	methods      string
	rememberDays int
}

func addMFAFlags(cmd *cobra.Command) *mfaFlags {
	f := &mfaFlags{cmd: cmd}
	cmd.Flags().StringVar(&f.state, "mfa", "", "on: every member must pass a second factor; off: only members who set one up")
	cmd.Flags().StringVar(&f.methods, "mfa-methods", "", "allowed MFA methods, comma-separated: email, sms, totp, webauthn")
	cmd.Flags().IntVar(&f.rememberDays, "mfa-remember-days", 30, `days "Remember me" skips the second factor (0 turns it off)`)
	return f
}

// changed reports whether any MFA flag was given.
func (f *mfaFlags) changed() bool {
	return f.cmd.Flags().Changed("mfa") || f.cmd.Flags().Changed("mfa-methods") || f.cmd.Flags().Changed("mfa-remember-days")
}

// check validates the flags before anything is written.
func (f *mfaFlags) check() error {
	if f.cmd.Flags().Changed("mfa") && f.state != "on" && f.state != "off" {
		return fmt.Errorf("--mfa %q: want on or off", f.state)
	}
	_, err := mfa.ParseMethods(f.methods)
	return err
}

// apply changes the organisation's policy as the flags say, audited.
func (f *mfaFlags) apply(ctx context.Context, db store.Store, org store.Organisation, out io.Writer) error {
	p, err := db.MFAPolicy(ctx, org.ID)
	if err != nil {
		return err
	}
	if f.cmd.Flags().Changed("mfa") {
		p.Required = f.state == "on"
	}
	if f.cmd.Flags().Changed("mfa-methods") {
		if p.Methods, err = mfa.ParseMethods(f.methods); err != nil {
			return err
		}
	}
	if f.cmd.Flags().Changed("mfa-remember-days") {
		p.TrustedDeviceDuration = time.Duration(f.rememberDays) * 24 * time.Hour
	}
	e := store.AuditEvent{At: time.Now(), Actor: audit.ActorCommandLine}
	if err := mfa.SavePolicy(ctx, db, org.ID, p, e); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s.\n", org.Name, mfa.Describe(p))
	return nil
}
