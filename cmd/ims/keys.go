package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/audit"
	"imslogin/internal/config"
	"imslogin/internal/oidc"
	"imslogin/internal/secretbox"
	"imslogin/internal/store"
)

func newKeysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage organisations' token signing keys"}
	cmd.AddCommand(newKeysRotateCommand())
	return cmd
}

func newKeysRotateCommand() *cobra.Command {
	cfg := config.Default()
	var org, alg string
	cmd := &cobra.Command{
		Use:   "rotate --org NAME [--algorithm ES256|RS256]",
		Short: "Schedule a new signing key for an organisation's ID tokens",
		Long: "Make a new signing key for the organisation. It is published in the organisation's JWKS at once\n" +
			"and starts signing in " + oidc.KeyPrepublish.String() + ", so portals that cache keys know it first; the key it replaces\n" +
			"stays published until what it signed has expired. Keys also rotate by themselves every " +
			oidc.KeyPeriod.String() + ".",
		Example: "  ims keys rotate --org Acme",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			alg = strings.ToUpper(strings.TrimSpace(alg))
			if alg != oidc.ES256 && alg != oidc.RS256 {
				return fmt.Errorf("--algorithm %q: want ES256 or RS256", alg)
			}
			path, err := cfg.SecretKeyPath()
			if err != nil {
				return err
			}
			box, err := secretbox.LoadKey(path)
			if err != nil {
				return fmt.Errorf("%w (the key `ims serve` uses seals signing keys; start the server once, or name it with --secret-key-file)", err)
			}
			db, err := openMigrated(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			o, err := db.OrganisationByName(cmd.Context(), org)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no organisation named %q", org)
			}
			if err != nil {
				return err
			}
			keys := &oidc.Keys{Store: db, Box: box, Now: time.Now}
			k, err := keys.Rotate(cmd.Context(), o.ID, alg)
			if err != nil {
				return err
			}
			e := store.AuditEvent{OrgID: o.ID, At: time.Now(), Kind: audit.SigningKeyRotation, Actor: audit.ActorCommandLine,
				Detail: alg + " key " + k.ID}
			if err := db.AppendAuditEvent(cmd.Context(), &e); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "New %s signing key %s for %s: published now, signs from %s.\n",
				alg, k.ID, o.Name, k.ActiveFrom.UTC().Format(time.RFC3339))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "organisation name (required)")
	f.StringVar(&alg, "algorithm", oidc.ES256, "ES256 or RS256")
	cmd.MarkFlagRequired("org")
	addDatabaseFlag(cmd, &cfg.DatabaseURL)
	cfg.BindSecretKeyFlag(f)
	return cmd
}
