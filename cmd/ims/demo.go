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
	"imslogin/internal/demoportal"
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
	var addr, portalAddr, dataDir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a local demo: SQLite in a data folder, organisation Demo, its owner and a sample portal",
		Long: "Run the server on SQLite in the data folder. The first run creates the organisation\n" +
			"\"Demo\" and its owner " + demoOwnerEmail + " and prints the owner's password; later runs reuse the data.\n" +
			"Beside it runs a sample portal (on the next port unless --portal-addr is given), registered\n" +
			"as \"" + demoPortalName + "\" in Demo, that signs members in through single sign-on.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.Default()
			cfg.Addr = addr
			cfg.DatabaseURL = "sqlite:" + filepath.Join(dataDir, "ims.db")
			cfg.PublicURL = "http://" + publicHost(addr)
			if err := cfg.Validate(); err != nil {
				return err
			}
			if portalAddr == "" {
				var err error
				if portalAddr, err = nextPort(addr); err != nil {
					return err
				}
			}
			ln, err := net.Listen("tcp", addr) // fail before touching data if the port is taken
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			ln.Close()
			portalLn, err := net.Listen("tcp", portalAddr)
			if err != nil {
				return fmt.Errorf("the demo portal cannot listen on %s (choose another with --portal-addr): %w", portalAddr, err)
			}
			pc, err := seedDemo(cmd.Context(), cmd.OutOrStdout(), cfg, dataDir, "http://"+publicHost(portalLn.Addr().String()))
			if err != nil {
				portalLn.Close()
				return err
			}
			log := newLogger(cmd.ErrOrStderr(), cfg.LogLevel, cfg.LogFormat)
			return serve(cmd, cfg, demoOptions, demoPortalWorker(pc, portalLn, log))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&portalAddr, "portal-addr", "", "address of the sample portal (default: the port after --addr's)")
	cmd.Flags().StringVar(&dataDir, "data", "./ims-data", "folder for the SQLite database")
	return cmd
}

// seedDemo creates the demo organisation and owner once, registers the
// demo portal at portalURL (or reuses it), and prints how to sign in
// every time.
func seedDemo(ctx context.Context, out io.Writer, cfg config.Config, dataDir, portalURL string) (demoportal.Config, error) {
	var pc demoportal.Config
	db, err := openMigrated(ctx, cfg.DatabaseURL)
	if err != nil {
		return pc, err
	}
	defer db.Close()
	hasher, err := password.NewHasher(server.PasswordParams(cfg), 0, time.Minute)
	if err != nil {
		return pc, err
	}
	svc := &membership.Service{Store: db, Hasher: hasher, Now: time.Now}
	passwordPath := filepath.Join(dataDir, demoPasswordFile)
	org, err := db.OrganisationByName(ctx, demoOrganisation)
	if errors.Is(err, store.ErrNotFound) {
		if org, err = svc.CreateOrganisation(ctx, demoOrganisation); err != nil {
			return pc, err
		}
		ownerPassword := rand.Text()
		if _, err := svc.AddMember(ctx, membership.NewMember{Organisation: org.Name, Email: demoOwnerEmail,
			Name: "Demo Owner", Role: store.RoleOwner, Password: ownerPassword, EmailVerified: true, DataAccess: true}); err != nil {
			return pc, err
		}
		if err := os.WriteFile(passwordPath, []byte(ownerPassword+"\n"), 0o600); err != nil {
			return pc, err
		}
		fmt.Fprintf(out, "Created the demo in %s: organisation %q and its owner.\n", dataDir, demoOrganisation)
	} else if err != nil {
		return pc, err
	} else {
		fmt.Fprintf(out, "Reusing the demo data in %s.\n", dataDir)
	}
	if pc, err = ensureDemoPortal(ctx, db, cfg.PublicBaseURL(), org, dataDir, portalURL); err != nil {
		return pc, err
	}
	initial, err := os.ReadFile(passwordPath)
	pw := strings.TrimSpace(string(initial))
	if err != nil {
		pw = "(unknown: " + demoPasswordFile + " is missing)"
	}
	fmt.Fprintf(out, "\n  Sign in at   %s%s\n  Organisation %s\n  Email        %s\n  Password     %s  (the initial one)\n  Mailbox      %s/dev/mail  (every email the demo sends)\n"+
		"  Demo portal  %s  (a sample portal: \"Sign in with IMS Login\", single sign-on)\n\n",
		cfg.PublicBaseURL(), web.OrganisationSignInPath(org.URLName), demoOrganisation, demoOwnerEmail, pw, cfg.PublicBaseURL(),
		demoportal.HomeURL(portalURL))
	return pc, nil
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
