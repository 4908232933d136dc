package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/audit"
	"imslogin/internal/config"
	"imslogin/internal/mfa"
	"imslogin/internal/store"
)

// newOrgSetCommand changes an organisation's settings as its Details page
// does: for now the multi-factor authentication section.
func newOrgSetCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var name, state, methods string
	var rememberDays int
	cmd := &cobra.Command{
		Use:     "set --name NAME [--mfa on|off] [--mfa-methods email,sms,totp,webauthn] [--mfa-remember-days N]",
		Short:   "Change an organisation's settings (multi-factor authentication)",
		Example: `  ims org set --name Acme --mfa on --mfa-methods totp,webauthn,email`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.ApplyEnvironment(cmd.Flags(), os.Getenv); err != nil {
				return err
			}
			db, err := openMigrated(cmd.Context(), databaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			org, err := db.OrganisationByName(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no organisation named %q", name)
			} else if err != nil {
				return err
			}
			p, err := db.MFAPolicy(ctx, org.ID)
			if err != nil {
				return err
			}
			switch {
			case !cmd.Flags().Changed("mfa"):
			case state == "on":
				p.Required = true
			case state == "off":
				p.Required = false
			default:
				return fmt.Errorf("--mfa %q: want on or off", state)
			}
			if cmd.Flags().Changed("mfa-methods") {
				if p.Methods, err = mfa.ParseMethods(methods); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("mfa-remember-days") {
				p.TrustedDeviceDuration = time.Duration(rememberDays) * 24 * time.Hour
			}
			e := store.AuditEvent{At: time.Now(), Actor: audit.ActorCommandLine}
			if err := mfa.SavePolicy(ctx, db, org.ID, p, e); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s.\n", org.Name, mfa.Describe(p))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the organisation's name (required)")
	cmd.Flags().StringVar(&state, "mfa", "", "on: every member must pass a second factor; off: only members who set one up")
	cmd.Flags().StringVar(&methods, "mfa-methods", "", "allowed methods, comma-separated: email, sms, totp, webauthn")
	cmd.Flags().IntVar(&rememberDays, "mfa-remember-days", 30, `days "Remember me" skips the second factor (0 turns it off)`)
	cmd.MarkFlagRequired("name")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}
