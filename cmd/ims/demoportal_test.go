package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/demoportal"
	"imslogin/internal/portal"
	"imslogin/internal/store"
)

// TestDemoPortal: the first run registers the demo portal and keeps its
// secret in the data folder; later runs reuse both; a folder without the
// secret gets a new one (the old one stops); another address updates
// the registered URIs.
func TestDemoPortal(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Argon2MemoryKiB, cfg.Argon2Time = 8192, 1
	cfg.DatabaseURL = "sqlite:" + filepath.Join(dir, "ims.db")
	seed := func(base string) (demoportal.Config, string) {
		t.Helper()
		var out bytes.Buffer
		pc, err := seedDemo(context.Background(), &out, cfg, dir, base)
		if err != nil {
			t.Fatal(err)
		}
		return pc, out.String()
	}
	first, out := seed("http://127.0.0.1:8081")
	if !strings.Contains(out, "Demo portal  http://127.0.0.1:8081/") {
		t.Errorf("the demo does not print the portal's address:\n%s", out)
	}
	if first.Issuer != "http://127.0.0.1:8080/o/demo" || first.URL != "http://127.0.0.1:8081" || !strings.HasPrefix(first.ClientSecret, "ims_cs_") {
		t.Errorf("portal configuration %+v", first)
	}
	stored := demoPortalOf(t, cfg)
	if stored.HomeURL != "http://127.0.0.1:8081/" || stored.RedirectURIs[0] != "http://127.0.0.1:8081/callback" ||
		stored.PostLogoutRedirectURIs[0] != "http://127.0.0.1:8081/signed-out" ||
		stored.BackchannelLogoutURI != "http://127.0.0.1:8081/backchannel-logout" || !stored.Confidential || !stored.FirstParty ||
		stored.Access != store.PortalAccessAll {
		t.Errorf("registered %+v", stored)
	}
	if !secretWorks(t, cfg, stored, first.ClientSecret) {
		t.Error("the saved secret is not the portal's")
	}

	again, _ := seed("http://127.0.0.1:8081")
	if again.ClientID != first.ClientID || again.ClientSecret != first.ClientSecret {
		t.Errorf("second run: %s / %s, want the same portal and secret", again.ClientID, again.ClientSecret)
	}

	os.Remove(filepath.Join(dir, demoPortalSecretFile)) // a data folder from before the demo portal
	rotated, _ := seed("http://127.0.0.1:8081")
	if rotated.ClientID != first.ClientID || rotated.ClientSecret == first.ClientSecret || rotated.ClientSecret == "" {
		t.Errorf("without the secret file: %s / %q, want the same portal with a new secret", rotated.ClientID, rotated.ClientSecret)
	}
	if !secretWorks(t, cfg, stored, rotated.ClientSecret) || secretWorks(t, cfg, stored, first.ClientSecret) {
		t.Error("after rotation the new secret must work and the lost one must not")
	}
	if saved, _ := os.ReadFile(filepath.Join(dir, demoPortalSecretFile)); strings.TrimSpace(string(saved)) != rotated.ClientSecret {
		t.Errorf("secret file holds %q", saved)
	}

	moved, _ := seed("http://127.0.0.1:9191")
	if p := demoPortalOf(t, cfg); moved.ClientID != first.ClientID || p.RedirectURIs[0] != "http://127.0.0.1:9191/callback" ||
		p.HomeURL != "http://127.0.0.1:9191/" || p.BackchannelLogoutURI != "http://127.0.0.1:9191/backchannel-logout" || moved.ClientSecret != rotated.ClientSecret {
		t.Errorf("on another port: %+v", p)
	}
}

func demoPortalOf(t *testing.T, cfg config.Config) store.Portal {
	t.Helper()
	db, err := openMigrated(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, _ := db.OrganisationByName(context.Background(), demoOrganisation)
	list, err := db.Portals(context.Background(), org.ID)
	if err != nil || len(list) != 1 || list[0].Name != demoPortalName {
		t.Fatalf("portals of Demo: %+v, %v", list, err)
	}
	return list[0]
}

func secretWorks(t *testing.T, cfg config.Config, p store.Portal, secret string) bool {
	t.Helper()
	db, err := openMigrated(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ok, err := portal.CheckSecret(context.Background(), db, p, secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestNextPort(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1:8080": "127.0.0.1:8081", ":9000": ":9001", "[::1]:80": "[::1]:81", "127.0.0.1:0": "127.0.0.1:0"} {
		if got, err := nextPort(addr); err != nil || got != want {
			t.Errorf("nextPort(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for _, addr := range []string{"127.0.0.1", "127.0.0.1:65535", "127.0.0.1:-1", "127.0.0.1:http"} {
		if _, err := nextPort(addr); err == nil || !strings.Contains(err.Error(), "--addr") {
			t.Errorf("nextPort(%q): %v, want an error naming --addr", addr, err)
		}
	}
}

// TestDemoPortalWorker: the worker serves the sample portal until its
// context ends, then stops listening.
func TestDemoPortalWorker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	w := demoPortalWorker(demoportal.Config{Name: demoPortalName, Issuer: "http://127.0.0.1:1/o/demo", ClientID: "c", URL: base},
		ln, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Sign in with IMS Login") {
		t.Errorf("the portal's home page:\n%s", body)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not stop")
	}
	if _, err := http.Get(base + "/"); err == nil {
		t.Error("the portal still answers after the worker stopped")
	}
}

// TestDemoRefusesATakenPortalPort: nothing is written when the portal's
// port is taken.
func TestDemoRefusesATakenPortalPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	_, err = run(t, "", "demo", "--addr", "127.0.0.1:0", "--portal-addr", taken.Addr().String(), "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "--portal-addr") {
		t.Errorf("got %v, want the taken portal address refused", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data folder was made: %v", err)
	}
}
