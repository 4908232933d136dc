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
	"imslogin/web"
)

func newOrgCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Manage organisations"}
	cmd.AddCommand(newOrgCreateCommand(), newOrgSetCommand())
	return cmd
}

func newOrgCreateCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var name, urlName string
	cmd := &cobra.Command{
		Use:   "create --name NAME [--url-name URL-NAME]",
		Short: "Create an organisation",
		Example: `  ims org create --name "Acme Research"
  ims org create --name "Acme Research" --url-name acme`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkURLNameFlag(cmd, urlName); err != nil {
				return err
			}
			db, err := openMigrated(cmd.Context(), databaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := &membership.Service{Store: db, Now: time.Now}
			org, err := svc.AddOrganisation(cmd.Context(), membership.NewOrganisation{Name: name, URLName: urlName})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created organisation %q (id %d) with the URL name %s: its sign-in page is %s on the public URL.\n",
				org.Name, org.ID, org.URLName, web.OrganisationSignInPath(org.URLName))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "organisation name members type when signing in (required)")
	cmd.Flags().StringVar(&urlName, "url-name", "", "URL name (lower-case letters, digits, hyphens) naming the organisation in addresses; default: derived from the name")
	cmd.MarkFlagRequired("name")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}

// checkURLNameFlag validates --url-name, when given, before anything is
// opened or written.
func checkURLNameFlag(cmd *cobra.Command, urlName string) error {
	if !cmd.Flags().Changed("url-name") {
		return nil
	}
	if err := store.ValidURLName(urlName); err != nil {
		return fmt.Errorf("--url-name: %w", err)
	}
	return nil
}

func newOrgSetCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var name, urlName string
	var licences int
	var mfaChange *mfaFlags
	cmd := &cobra.Command{
		Use:   "set --name NAME [--url-name URL-NAME] [--licences N] [--mfa on|off] [--mfa-methods email,sms,totp,webauthn] [--mfa-remember-days N]",
		Short: "Change an organisation: its URL name, its number of licences, its multi-factor authentication",
		Example: `  ims org set --name "Acme Research" --licences 50
  ims org set --name "Acme Research" --url-name acme-research
  ims org set --name "Acme Research" --mfa on --mfa-methods totp,webauthn,email`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("licences") && !cmd.Flags().Changed("url-name") && !mfaChange.changed() {
				return errors.New("nothing to change: give --url-name, --licences N or --mfa, --mfa-methods, --mfa-remember-days")
			}
			if err := checkURLNameFlag(cmd, urlName); err != nil {
				return err
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
			svc := &admin.Service{Store: db, Now: time.Now}
			if cmd.Flags().Changed("url-name") {
				if err := svc.SetURLName(cmd.Context(), org.ID, urlName); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s now has the URL name %s: its sign-in page is %s on the public URL.\n",
					org.Name, urlName, web.OrganisationSignInPath(urlName))
			}
			if mfaChange.changed() {
				if err := mfaChange.apply(cmd.Context(), db, org, cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			if !cmd.Flags().Changed("licences") {
				return nil
			}
			if err := svc.SetLicences(cmd.Context(), org.ID, licences); err != nil {
				return err
			}
			used, _ := db.LicencesInUse(cmd.Context(), org.ID)
			fmt.Fprintf(cmd.OutOrStdout(), "%s now has %d licences (%d in use).\n", org.Name, licences, used)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the organisation's name (required)")
	cmd.Flags().StringVar(&urlName, "url-name", "", "the organisation's URL name (lower-case letters, digits, hyphens), naming it in addresses")
	cmd.Flags().IntVar(&licences, "licences", 0, "total licences the organisation may assign")
	mfaChange = addMFAFlags(cmd)
	cmd.MarkFlagRequired("name")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}
