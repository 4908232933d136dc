package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/access"
	"imslogin/internal/admin"
	"imslogin/internal/audit"
	"imslogin/internal/config"
	"imslogin/internal/store"
)

func newTokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage organisations' API tokens"}
	cmd.AddCommand(newTokenCreateCommand())
	return cmd
}

func newTokenCreateCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var org, name, perms string
	cmd := &cobra.Command{
		Use:   "create --org NAME --name LABEL --permissions LIST",
		Short: "Create an API token and print it once",
		Long: "Create an API token for the REST API under /api/v1/. The token is printed once and only its\n" +
			"hash is kept. Permissions (comma-separated): " + strings.Join(access.All.Names(), ", ") + ".",
		Example: `  ims token create --org Acme --name provisioning --permissions members.read,members.write`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openMigrated(cmd.Context(), databaseURL)
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
			svc := &admin.Service{Store: db, Now: time.Now}
			operator := admin.Actor{OrgID: o.ID, Label: audit.ActorCommandLine, Perms: access.All, Owner: true, DataAccess: true}
			raw, t, err := svc.CreateToken(cmd.Context(), operator, admin.TokenInput{Name: name, Permissions: strings.Split(perms, ",")})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Created API token %q for %s with %s. Keep it secret: it is not shown again.\n",
				t.Name, o.Name, strings.Join(t.Permissions, ", "))
			fmt.Fprintln(cmd.OutOrStdout(), raw)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "organisation name (required)")
	f.StringVar(&name, "name", "", "a label for the token (required)")
	f.StringVar(&perms, "permissions", "", "comma-separated permissions (required)")
	for _, n := range []string{"org", "name", "permissions"} {
		cmd.MarkFlagRequired(n)
	}
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}
