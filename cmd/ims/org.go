package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/admin"
	"imslogin/internal/config"
	"imslogin/internal/membership"
	"imslogin/internal/store"
)

func newOrgCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Manage organisations"}
	cmd.AddCommand(newOrgCreateCommand(), newOrgSetCommand())
	return cmd
}

func newOrgCreateCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var name string
	cmd := &cobra.Command{
		Use:     "create --name NAME",
		Short:   "Create an organisation",
		Example: `  ims org create --name "Acme Research"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openMigrated(cmd.Context(), databaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := &membership.Service{Store: db, Now: time.Now}
			org, err := svc.CreateOrganisation(cmd.Context(), name)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created organisation %q (id %d).\n", org.Name, org.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "organisation name members type when signing in (required)")
	cmd.MarkFlagRequired("name")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}

func newOrgSetCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var name string
	var licences int
	var mfaChange *mfaFlags
	cmd := &cobra.Command{
		Use:   "set --name NAME [--licences N] [--mfa on|off] [--mfa-methods email,sms,totp,webauthn] [--mfa-remember-days N]",
		Short: "Change an organisation: its number of licences, its multi-factor authentication",
		Example: `  ims org set --name "Acme Research" --licences 50
  ims org set --name "Acme Research" --mfa on --mfa-methods totp,webauthn,email`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("licences") && !mfaChange.changed() {
				return errors.New("nothing to change: give --licences N or --mfa, --mfa-methods, --mfa-remember-days")
			}
			if err := mfaChange.check(); err != nil {
				return err
			}
			db, err := openMigrated(cmd.Context(), databaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			org, err := db.OrganisationByName(cmd.Context(), name)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no organisation named %q", name)
			}
			if err != nil {
				return err
			}
			if mfaChange.changed() {
				if err := mfaChange.apply(cmd.Context(), db, org, cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			if !cmd.Flags().Changed("licences") {
				return nil
			}
			svc := &admin.Service{Store: db, Now: time.Now}
			if err := svc.SetLicences(cmd.Context(), org.ID, licences); err != nil {
				return err
			}
			used, _ := db.LicencesInUse(cmd.Context(), org.ID)
			fmt.Fprintf(cmd.OutOrStdout(), "%s now has %d licences (%d in use).\n", org.Name, licences, used)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the organisation's name (required)")
	cmd.Flags().IntVar(&licences, "licences", 0, "total licences the organisation may assign")
	mfaChange = addMFAFlags(cmd)
	cmd.MarkFlagRequired("name")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}
