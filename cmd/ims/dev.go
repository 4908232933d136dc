package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/benchseed"
	"imslogin/internal/config"
	"imslogin/internal/membership"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/password"
	"imslogin/internal/server"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

func newDevCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "dev", Short: "Tools for development and benchmarks"}
	cmd.AddCommand(newDevSeedCommand())
	return cmd
}

func newDevSeedCommand() *cobra.Command {
	cfg := config.Default()
	var orgName, pw string
	var members int
	var withTOTP, withAdmin, withPortal bool
	cmd := &cobra.Command{
		Use:   "seed --org NAME --members N",
		Short: "Fill an organisation with members for benchmarks",
		Long: "Create the organisation if needed and add members member0000000@bench.test,\n" +
			"member0000001@bench.test, … who all share one password (hashed once), in large batches.\n" +
			"With --totp every member also gets an authenticator app with one shared secret, which\n" +
			"`ims-bench --scenario signin-totp` computes codes from. With --admin it also adds\n" +
			"admin@bench.test, an administrator with the same password, for `ims-bench --scenario members`.\n" +
			"With --portal it registers \"Bench Portal\" (confidential, first-party, client ID\n" +
			benchseed.PortalClientID + ", a fixed secret) for ims-bench's single sign-on scenarios.",
		Example: "  ims dev seed --org Bench --members 1000000\n  ims dev seed --org Bench --members 10000 --totp",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if members < 1 || members > 10_000_000 {
				return errors.New("--members: want 1 to 10000000")
			}
			if err := (password.Policy{MinLength: password.MinLengthSingleFactor}).Check(pw, password.Context{}); err != nil {
				return fmt.Errorf("--password: %w", err)
			}
			if _, err := cfg.SecretKeyPath(); withTOTP && err != nil {
				return err
			}
			db, err := openMigrated(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			var secrets *totp.Secrets
			if withTOTP { // before any member is added: the key may be refused
				if secrets, err = openSeedSecrets(cmd.Context(), cmd.ErrOrStderr(), db, cfg); err != nil {
					return err
				}
			}
			if err := seed(cmd.Context(), cmd.ErrOrStderr(), db, cfg, orgName, members, pw); err != nil {
				return err
			}
			if withAdmin {
				if err := seedAdmin(cmd.Context(), cmd.ErrOrStderr(), db, cfg, orgName, pw); err != nil {
					return err
				}
			}
			if withPortal {
				if err := seedPortal(cmd.Context(), cmd.ErrOrStderr(), db, orgName); err != nil {
					return err
				}
			}
			if withTOTP {
				return seedTOTP(cmd.Context(), cmd.ErrOrStderr(), db, secrets, orgName)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&orgName, "org", benchseed.Organisation, "organisation to fill (created if missing)")
	f.IntVar(&members, "members", 1000, "how many members to add")
	f.StringVar(&pw, "password", benchseed.Password, "the password every seeded member gets")
	f.BoolVar(&withTOTP, "totp", false, "give every member of the organisation an authenticator app (one shared secret)")
	f.BoolVar(&withAdmin, "admin", false, "also add "+benchseed.AdminEmail+", an administrator with the same password")
	f.BoolVar(&withPortal, "portal", false, "also register "+benchseed.PortalName+" with a fixed client secret, for the single sign-on scenarios")
	addDatabaseFlag(cmd, &cfg.DatabaseURL)
	addArgon2Flags(cmd, &cfg)
	cfg.BindSecretKeyFlag(f)
	return cmd
}

func seed(ctx context.Context, progress io.Writer, db *sqlstore.DB, cfg config.Config, orgName string, n int, pw string) error {
	hasher, err := password.NewHasher(server.PasswordParams(cfg), 1, time.Minute)
	if err != nil {
		return err
	}
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	org, err := db.OrganisationByName(ctx, orgName)
	if errors.Is(err, store.ErrNotFound) {
		org, err = (&membership.Service{Store: db, Now: time.Now}).CreateOrganisation(ctx, orgName)
	}
	if err != nil {
		return err
	}
	if _, err := db.MemberByEmail(ctx, org.ID, benchseed.MemberEmail(0)); err == nil {
		return fmt.Errorf("%s already has seeded members (%s…): seed a fresh database or another --org", org.Name, benchseed.MemberEmail(0))
	}
	start := time.Now()
	err = benchseed.SeedMembers(ctx, db, org.ID, n, hash, func(done int) {
		rate := float64(done) / time.Since(start).Seconds()
		fmt.Fprintf(progress, "\r%s %d/%d members (%.0f/s)   ", bar(done, n), done, n, rate)
	})
	if err != nil {
		return err
	}
	if err := db.RefreshStatistics(ctx); err != nil {
		return err
	}
	fmt.Fprintf(progress, "\nSeeded %d members into %q in %s.\n", n, org.Name, time.Since(start).Round(time.Millisecond))
	return nil
}

// seedAdmin adds the benchmark's administrator (seed has refused an
// organisation seeded before).
func seedAdmin(ctx context.Context, out io.Writer, db *sqlstore.DB, cfg config.Config, orgName, pw string) error {
	org, err := db.OrganisationByName(ctx, orgName)
	if err != nil {
		return err
	}
	hasher, err := password.NewHasher(server.PasswordParams(cfg), 1, time.Minute)
	if err != nil {
		return err
	}
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	admin := store.Member{OrgID: org.ID, Email: benchseed.AdminEmail, Name: "Bench Administrator", Role: store.RoleAdministrator,
		Status: store.StatusActive, Licensed: true, EmailVerified: true, PasswordHash: hash, CreatedAt: time.Now()}
	if err := db.CreateMember(ctx, &admin); err != nil {
		return err
	}
	fmt.Fprintf(out, "Added the administrator %s.\n", benchseed.AdminEmail)
	return nil
}

// seedPortal registers the benchmark's portal (seed has refused an
// organisation seeded before, so it is not there yet).
func seedPortal(ctx context.Context, out io.Writer, db *sqlstore.DB, orgName string) error {
	org, err := db.OrganisationByName(ctx, orgName)
	if err != nil {
		return err
	}
	if err := benchseed.SeedPortal(ctx, db, org.ID); err != nil {
		return err
	}
	fmt.Fprintf(out, "Registered %s (client ID %s, secret %s) at %s.\n", benchseed.PortalName, benchseed.PortalClientID,
		benchseed.PortalSecret, "/o/"+org.URLName)
	return nil
}

// openSeedSecrets opens the server's key, found (or made) as `ims serve`
// does, so that the server opens the secrets the seed seals.
func openSeedSecrets(ctx context.Context, out io.Writer, db *sqlstore.DB, cfg config.Config) (*totp.Secrets, error) {
	secrets, created, err := openSecrets(ctx, cfg, db)
	if created {
		path, _ := cfg.SecretKeyPath()
		fmt.Fprintf(out, "Created the key that seals authenticator-app secrets, %s: back it up with the database.\n", path)
	}
	return secrets, err
}

// seedTOTP gives the organisation's members without an authenticator app
// the benchmark's shared one, sealed for the organisation.
func seedTOTP(ctx context.Context, out io.Writer, db *sqlstore.DB, secrets *totp.Secrets, orgName string) error {
	org, err := db.OrganisationByName(ctx, orgName)
	if err != nil {
		return err
	}
	n, err := db.BulkAddTOTP(ctx, org.ID, secrets.SealShared(org.ID, benchseed.TOTPSecret), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d members got an authenticator app with the secret %s.\n", n, benchseed.TOTPSecret)
	return nil
}

// bar draws a 30-character progress bar.
func bar(done, total int) string {
	const width = 30
	filled := done * width / total
	b := make([]byte, width)
	for i := range b {
		if i < filled {
			b[i] = '#'
		} else {
			b[i] = '.'
		}
	}
	return "[" + string(b) + "]"
}
