package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/audit"
	"imslogin/internal/config"
	"imslogin/internal/linkmail"
	"imslogin/internal/registration"
	"imslogin/internal/store"
)

func newMemberRegisterCommand() *cobra.Command {
	cfg := config.Default()
	var org, clientID, email, name, role string
	cmd := &cobra.Command{
		Use:   "register --org NAME --portal CLIENT_ID --email EMAIL --name NAME [--role ROLE]",
		Short: "Register a person for a portal: an unlinked profile allowed into it, and a registration email (Step 1 and Step 2)",
		Example: `  ims member register --org Acme --portal 3kq9… --email jane@example.org --name "Jane Roe" \
    --public-url https://login.acme.org`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return err
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
			svc := &registration.Service{Store: db, Links: &linkmail.Sender{PublicURL: cfg.PublicBaseURL(), Now: time.Now}, Now: time.Now}
			m, reg, err := svc.Register(cmd.Context(), registration.By{OrgID: o.ID, Actor: audit.ActorCommandLine},
				registration.Input{PortalClientID: clientID, Email: email, Name: name, Role: store.Role(role)})
			var invalid *registration.Invalid
			if errors.As(err, &invalid) {
				var lines []string
				for field, msg := range invalid.Fields {
					if field != "" {
						msg = "--" + field + ": " + msg
					}
					lines = append(lines, msg)
				}
				sort.Strings(lines)
				return fmt.Errorf("nothing was changed:\n  %s", strings.Join(lines, "\n  "))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Registered %s (%s) in %s: the registration email is queued; it expires on %s.\n",
				m.Name, m.Email, o.Name, registration.ExpiryWords(reg.ExpiresAt))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "organisation name (required)")
	f.StringVar(&clientID, "portal", "", "the portal's client ID (required)")
	f.StringVar(&email, "email", "", "the person's email address (required)")
	f.StringVar(&name, "name", "", "the person's name (required)")
	f.StringVar(&role, "role", string(store.RoleMember), "member, administrator or owner")
	for _, req := range []string{"org", "portal", "email", "name"} {
		cmd.MarkFlagRequired(req)
	}
	addDatabaseFlag(cmd, &cfg.DatabaseURL)
	f.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "the server's public URL, which the email's links are built from (env IMS_PUBLIC_URL)")
	return cmd
}
