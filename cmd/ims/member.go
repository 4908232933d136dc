package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/config"
	"imslogin/internal/linkmail"
	"imslogin/internal/membership"
	"imslogin/internal/password"
	"imslogin/internal/server"
	"imslogin/internal/store"
)

func newMemberCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "member", Short: "Manage an organisation's team members"}
	cmd.AddCommand(newMemberAddCommand(), newMemberUnlockCommand(), newMemberRegisterCommand())
	return cmd
}

func newMemberUnlockCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var organisation, email string
	cmd := &cobra.Command{
		Use:   "unlock --org NAME --email EMAIL",
		Short: "Lift a member's sign-in lock at once",
		Long: "Lift the lock that failed sign-in attempts put on a member, and forget those attempts.\n" +
			"The unlock is recorded in the organisation's audit log.",
		Example: `  ims member unlock --org Acme --email ana@acme.org`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openMigrated(cmd.Context(), databaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := &membership.Service{Store: db, Now: time.Now}
			wasLocked, err := svc.Unlock(cmd.Context(), organisation, email, "")
			if err != nil {
				return err
			}
			if wasLocked {
				fmt.Fprintf(cmd.OutOrStdout(), "Unlocked %s in %s: they can sign in again now.\n", email, organisation)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s in %s was not locked; any failed attempts are forgotten.\n", email, organisation)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&organisation, "org", "", "organisation name (required)")
	cmd.Flags().StringVar(&email, "email", "", "the member's email address (required)")
	cmd.MarkFlagRequired("org")
	cmd.MarkFlagRequired("email")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}

func newMemberAddCommand() *cobra.Command {
	cfg := config.Default()
	var n membership.NewMember
	var role string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "add --org NAME --email EMAIL --name NAME --role owner|administrator|member [--password-stdin]",
		Short: "Add a team member",
		Long: "Add a team member. With --password-stdin the password is read from the first line of\n" +
			"standard input and the member can sign in at once; without it the member is invited\n" +
			"and cannot sign in until they set a password.",
		Example: `  printf '%s\n' "$PASSWORD" | ims member add --org Acme --email ana@acme.org --name "Ana Lima" --role owner --password-stdin`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n.Role = store.Role(role)
			if passwordStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return errors.New("--password-stdin: no password on standard input")
				}
				n.Password = strings.TrimRight(line, "\r\n")
				if n.Password == "" {
					return errors.New("--password-stdin: the password is empty")
				}
			}
			db, err := openMigrated(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			hasher, err := password.NewHasher(server.PasswordParams(cfg), 0, time.Minute)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			svc := &membership.Service{Store: db, Hasher: hasher, Now: time.Now}
			if cmd.Flags().Changed("public-url") || hasSignInURL(cmd.Context(), db, n.Organisation) {
				svc.Invitations = &linkmail.Sender{PublicURL: cfg.PublicBaseURL(), InvitationLifetime: cfg.InvitationLifetime, Now: time.Now}
			}
			m, err := svc.AddMember(cmd.Context(), n)
			if errors.Is(err, membership.ErrCannotInvite) {
				return errors.New("inviting needs --public-url (or IMS_PUBLIC_URL), as the organisation has no sign-in URL: " +
					"the invitation link is built from it; or add the member with --password-stdin")
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Added %s <%s> to %s as %s (%s).\n", m.Name, m.Email, n.Organisation, m.Role, m.Status)
			if m.Status == store.StatusInvited {
				fmt.Fprintf(cmd.OutOrStdout(), "An invitation email to %s is in the outbox; its link is valid for %s.\n",
					m.Email, linkmail.Words(cfg.InvitationLifetime))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&n.Organisation, "org", "", "organisation name (required)")
	f.StringVar(&n.Email, "email", "", "email address (required)")
	f.StringVar(&n.Name, "name", "", "full name (required)")
	f.StringVar(&role, "role", "", "owner, administrator or member (required)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	f.BoolVar(&n.EmailVerified, "verified", false, "mark the email address as already verified")
	f.BoolVar(&n.DataAccess, "data-access", false, "grant Sensitive Data Access")
	for _, name := range []string{"org", "email", "name", "role"} {
		cmd.MarkFlagRequired(name)
	}
	addDatabaseFlag(cmd, &cfg.DatabaseURL)
	addArgon2Flags(cmd, &cfg)
	f.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "the address links in the invitation email point to (env IMS_PUBLIC_URL)")
	f.DurationVar(&cfg.InvitationLifetime, "invitation-lifetime", cfg.InvitationLifetime, "how long the invitation link works")
	return cmd
}

// hasSignInURL reports whether the organisation has its own address for
// links. Without it, or a public URL given, an invitation link would point at
// the built-in default, 127.0.0.1, which works on no one else's machine.
func hasSignInURL(ctx context.Context, db store.Store, orgName string) bool {
	org, err := db.OrganisationByName(ctx, orgName)
	return err == nil && org.SignInURL != ""
}
