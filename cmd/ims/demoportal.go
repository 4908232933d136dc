package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/demoportal"
	"imslogin/internal/portal"
	"imslogin/internal/server"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

const (
	demoPortalName       = "Demo Portal"
	demoPortalSecretFile = "demo-portal-secret.txt"
)

// nextPort is addr with the port after its own (port 0, any free port,
// stays 0): where the demo portal listens unless --portal-addr says
// otherwise.
func nextPort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n >= 65535 {
		return "", fmt.Errorf("--addr %q: give a port from 0 to 65534, or set --portal-addr", addr)
	}
	if n == 0 { // any free port, as for the server
		return net.JoinHostPort(host, "0"), nil
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1)), nil
}

// ensureDemoPortal registers the demo portal in the Demo organisation, or
// reuses it. It is a confidential portal, as a server-side application
// is, whose secret is kept in the data folder (like the owner's first
// password): a folder without it (older than the demo portal, or the file
// deleted) gets a new secret, the old one ending at once, since no other
// process uses it. The addresses follow the portal's listen address; a
// portal registered before it took back-channel logout gets its URI.
func ensureDemoPortal(ctx context.Context, db *sqlstore.DB, publicURL string, org store.Organisation, dataDir, base string) (demoportal.Config, error) {
	svc := &portal.Service{Store: db, PublicURL: publicURL, Now: time.Now}
	by := portal.By{OrgID: org.ID, Actor: audit.ActorCommandLine}
	want := portal.Input{Name: demoPortalName, RedirectURIs: []string{demoportal.RedirectURI(base)},
		PostLogoutRedirectURIs: []string{demoportal.PostLogoutURI(base)}, HomeURL: demoportal.HomeURL(base),
		BackchannelLogoutURI: demoportal.BackchannelLogoutURI(base), Confidential: true, FirstParty: true, Access: store.PortalAccessAll}
	secretPath := filepath.Join(dataDir, demoPortalSecretFile)
	existing, err := findPortal(ctx, svc, org.ID, demoPortalName)
	if err != nil {
		return demoportal.Config{}, err
	}
	var p store.Portal
	var creds portal.Credentials
	if existing == nil {
		p, creds, err = svc.Create(ctx, by, want)
	} else {
		p = *existing
		if in := portal.InputOf(p); !sameDemoPortal(in, want) {
			in.RedirectURIs, in.PostLogoutRedirectURIs, in.HomeURL = want.RedirectURIs, want.PostLogoutRedirectURIs, want.HomeURL
			in.BackchannelLogoutURI = want.BackchannelLogoutURI
			in.Confidential, in.FirstParty = true, true
			p, creds, err = svc.Update(ctx, by, p.ID, in)
		}
	}
	if err != nil {
		return demoportal.Config{}, fmt.Errorf("register the demo portal: %w", err)
	}
	secret := creds.Secret
	if secret == "" {
		saved, err := os.ReadFile(secretPath)
		secret = strings.TrimSpace(string(saved))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return demoportal.Config{}, err
		}
	}
	if secret == "" {
		if creds, _, err = svc.RotateSecret(ctx, by, p.ID, 0); err != nil {
			return demoportal.Config{}, fmt.Errorf("give the demo portal a new secret: %w", err)
		}
		secret = creds.Secret
	}
	if err := os.WriteFile(secretPath, []byte(secret+"\n"), 0o600); err != nil {
		return demoportal.Config{}, err
	}
	return demoportal.Config{Name: demoPortalName, Issuer: portal.Issuer(publicURL, org), ClientID: p.ClientID,
		ClientSecret: secret, URL: base}, nil
}

func findPortal(ctx context.Context, svc *portal.Service, orgID int64, name string) (*store.Portal, error) {
	list, err := svc.List(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		if strings.EqualFold(p.Name, name) {
			return &p, nil
		}
	}
	return nil, nil
}

// sameDemoPortal: the stored portal already serves base as the demo needs.
func sameDemoPortal(have, want portal.Input) bool {
	return slices.Equal(have.RedirectURIs, want.RedirectURIs) && slices.Equal(have.PostLogoutRedirectURIs, want.PostLogoutRedirectURIs) &&
		have.HomeURL == want.HomeURL && have.BackchannelLogoutURI == want.BackchannelLogoutURI && have.Confidential && have.FirstParty
}

// demoPortalWorker serves the sample portal on ln for as long as the
// server's lifecycle runs it.
func demoPortalWorker(cfg demoportal.Config, ln net.Listener, log *slog.Logger) server.Worker {
	return server.Worker{Name: "demo portal", Run: func(ctx context.Context) {
		hs := &http.Server{Handler: demoportal.New(cfg), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		errc := make(chan error, 1)
		go func() { errc <- hs.Serve(ln) }()
		select {
		case err := <-errc:
			log.Error("demo portal stopped", "err", err)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				hs.Close()
			}
		}
	}}
}
