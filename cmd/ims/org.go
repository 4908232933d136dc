package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/config"
	"imslogin/internal/membership"
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
			if err := config.ApplyEnvironment(cmd.Flags(), os.Getenv); err != nil {
				return err
			}
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
