package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/config"
	"imslogin/internal/devmail"
	"imslogin/internal/membership"
	"imslogin/internal/password"
	"imslogin/internal/server"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/web"
)

const (
	demoOrganisation = "Demo"
	demoOwnerEmail   = "owner@demo.test"
	demoPasswordFile = "demo-owner-password.txt"
)

func newDemoCommand() *cobra.Command {
	var addr, dataDir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a local demo: SQLite in a data folder, organisation Demo and its owner",
		Long: "Run the server on SQLite in the data folder. The first run creates the organisation\n" +
			"\"Demo\" and its owner " + demoOwnerEmail + " and prints the owner's password; later runs reuse the data.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.Default()
			cfg.Addr = addr
			cfg.DatabaseURL = "sqlite:" + filepath.Join(dataDir, "ims.db")
			cfg.PublicURL = "http://" + publicHost(addr)
			if err := cfg.Validate(); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr) // fail before touching data if the port is taken
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			ln.Close()
			if err := seedDemo(cmd.Context(), cmd.OutOrStdout(), cfg, dataDir); err != nil {
				return err
			}
			return serve(cmd, cfg, demoOptions)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&dataDir, "data", "./ims-data", "folder for the SQLite database")
	return cmd
}

// seedDemo creates the demo organisation and owner once, and prints how to
// sign in every time.
func seedDemo(ctx context.Context, out io.Writer, cfg config.Config, dataDir string) error {
	db, err := openMigrated(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	hasher, err := password.NewHasher(server.PasswordParams(cfg), 0, time.Minute)
	if err != nil {
		return err
	}
	svc := &membership.Service{Store: db, Hasher: hasher, Now: time.Now}
	passwordPath := filepath.Join(dataDir, demoPasswordFile)
	org, err := db.OrganisationByName(ctx, demoOrganisation)
	if errors.Is(err, store.ErrNotFound) {
		if org, err = svc.CreateOrganisation(ctx, demoOrganisation); err != nil {
			return err
		}
		ownerPassword := rand.Text()
		if _, err := svc.AddMember(ctx, membership.NewMember{Organisation: org.Name, Email: demoOwnerEmail,
			Name: "Demo Owner", Role: store.RoleOwner, Password: ownerPassword, EmailVerified: true, DataAccess: true}); err != nil {
			return err
		}
		if err := os.WriteFile(passwordPath, []byte(ownerPassword+"\n"), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "Created the demo in %s: organisation %q and its owner.\n", dataDir, demoOrganisation)
	} else if err != nil {
		return err
	} else {
		fmt.Fprintf(out, "Reusing the demo data in %s.\n", dataDir)
	}
	initial, err := os.ReadFile(passwordPath)
	pw := strings.TrimSpace(string(initial))
	if err != nil {
		pw = "(unknown: " + demoPasswordFile + " is missing)"
	}
	fmt.Fprintf(out, "\n  Sign in at   %s%s\n  Organisation %s\n  Email        %s\n  Password     %s  (the initial one)\n  Mailbox      %s/dev/mail  (every email the demo sends)\n\n",
		cfg.PublicBaseURL(), web.OrganisationSignInPath(org.URLName), demoOrganisation, demoOwnerEmail, pw, cfg.PublicBaseURL())
	return nil
}

// publicHost turns a listen address into one a browser can open.
func publicHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// demoOptions add the development mailbox: the demo sends no email, and
// every message can be read at /dev/mail instead.
func demoOptions(db *sqlstore.DB, log *slog.Logger) (server.Options, error) {
	pages, err := web.NewRenderer(log)
	if err != nil {
		return server.Options{}, err
	}
	return server.Options{
		Extra: []server.Mounter{&devmail.Handler{Store: db, Pages: pages, Log: log}},
		DashboardLinks: []web.Link{{Title: "Development mailbox", Href: "/dev/mail",
			Description: "Every email the demo would have sent, with its links."}},
	}, nil
}
