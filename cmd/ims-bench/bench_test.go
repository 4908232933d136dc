package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/cmd/ims-bench/internal/loadgen"
	"imslogin/internal/benchseed"
	"imslogin/internal/server/servertest"
)

// run executes the ims-bench command line and returns its output and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCommand(&out, &out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// serveSeeded starts a server whose organisation holds n members as
// `ims dev seed` adds them: its default organisation, addresses and
// password, which are ims-bench's defaults.
func serveSeeded(t *testing.T, n int) *servertest.App {
	t.Helper()
	app := servertest.New(t, servertest.Options{OrgName: benchseed.Organisation})
	hash, err := app.Server.Hasher.Hash(context.Background(), benchseed.Password)
	if err != nil {
		t.Fatal(err)
	}
	if err := benchseed.SeedMembers(context.Background(), app.DB, app.Org.ID, n, hash, nil); err != nil {
		t.Fatal(err)
	}
	return app
}

// TestBenchComparesSignInsWithTheRawRate runs ims-bench's sign-in scenario
// against a seeded server: its JSON line holds every window's throughput
// and every raw-rate measurement (before, between and after the windows),
// and the share of the limit is the throughput over their mean.
func TestBenchComparesSignInsWithTheRawRate(t *testing.T) {
	app := serveSeeded(t, 4)
	jsonPath := filepath.Join(t.TempDir(), "bench.jsonl")
	out, err := run(t, "--url", app.URL, "--members", "4", "--scenario", "signin", "--concurrency", "2",
		"--warmup", "0s", "--duration", "600ms", "--windows", "2", "--hash-seconds", "100ms",
		"--argon2-memory-kib", "8192", "--json", jsonPath)
	if err != nil || !strings.Contains(out, "÷ raw") {
		t.Fatalf("ims-bench: %v\n%s", err, out)
	}
	line, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r loadgen.Result
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if r.Completed == 0 || len(r.Errors) != 0 {
		t.Fatalf("%d sign-ins, errors %v", r.Completed, r.Errors)
	}
	if len(r.WindowPerSecond) != 2 || len(r.HashRates) != 3 {
		t.Fatalf("%d window throughputs and %d raw rates; want 2 and 3", len(r.WindowPerSecond), len(r.HashRates))
	}
	if want := r.PerSecond / mean(r.HashRates); r.HashRate != mean(r.HashRates) || math.Abs(r.ShareOfLimit-want) > 1e-9 {
		t.Errorf("share %.4f of %.1f/s; want %.4f, %.1f/s over the mean of %v", r.ShareOfLimit, r.HashRate, want,
			r.PerSecond, r.HashRates)
	}
}

// TestBenchSessionChecks runs the session scenario at two concurrencies,
// one table row each, with no raw-rate column (it is not a sign-in).
func TestBenchSessionChecks(t *testing.T) {
	app := serveSeeded(t, 2)
	out, err := run(t, "--url", app.URL, "--members", "2", "--scenario", "session", "--concurrency", "1,2",
		"--warmup", "0s", "--duration", "200ms", "--pid", "0")
	if err != nil {
		t.Fatalf("ims-bench: %v\n%s", err, out)
	}
	_, table, _ := strings.Cut(out, "scenario ")
	rows := strings.Split(strings.TrimSpace(table), "\n")
	if len(rows) != 3 || !strings.HasPrefix(rows[1], "session ") || !strings.HasPrefix(rows[2], "session ") {
		t.Fatalf("want a table of two session rows:\n%s", out)
	}
	for _, row := range rows[1:] {
		if fields := strings.Fields(row); fields[len(fields)-3] != "0" || fields[len(fields)-1] != "-" {
			t.Errorf("row %q: want no errors and no share of the hash limit", row)
		}
	}
}

// TestBenchSingleSignOn runs every single sign-on scenario briefly against
// a server with the portal `ims dev seed --portal` registers, using
// ims-bench's defaults for it: every run completes flows without an error
// (a refresh token used twice, an inactive token or a missing code would
// be one).
func TestBenchSingleSignOn(t *testing.T) {
	app := serveSeeded(t, 2)
	if err := benchseed.SeedPortal(context.Background(), app.DB, app.Org.ID); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(t.TempDir(), "bench.jsonl")
	scenarios := []string{"code", "refresh", "userinfo", "introspect", "client-credentials"}
	out, err := run(t, "--url", app.URL, "--members", "2", "--scenario", strings.Join(scenarios, ","), "--concurrency", "2",
		"--warmup", "0s", "--duration", "300ms", "--json", jsonPath)
	if err != nil {
		t.Fatalf("ims-bench: %v\n%s", err, out)
	}
	lines, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(lines))
	for _, scenario := range scenarios {
		var r loadgen.Result
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s: %v\n%s", scenario, err, out)
		}
		if r.Scenario != scenario || r.Completed == 0 || len(r.Errors) != 0 {
			t.Errorf("%s: got %s with %d completed, errors %v", scenario, r.Scenario, r.Completed, r.Errors)
		}
	}
}

// TestBenchRefusesBadInput: bad flags, from the command line or the
// environment as with ims, are refused before any request is sent.
func TestBenchRefusesBadInput(t *testing.T) {
	for want, args := range map[string][]string{
		"--concurrency: want numbers": {"--concurrency", "0"},
		"--windows: want 1 or more":   {"--windows", "0"},
		`scenario "nope"`:             {"--scenario", "nope", "--url", "http://127.0.0.1:1", "--hash-seconds", "0"},
		"client ID, secret":           {"--scenario", "code", "--client-secret", "", "--url", "http://127.0.0.1:1"},
		"unknown flag: --nope":        {"--nope"},
		"unknown command":             {"extra"},
	} {
		if _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ims-bench %s: got %v, want %q", strings.Join(args, " "), err, want)
		}
	}
	t.Setenv("IMS_CONCURRENCY", "2,x")
	if _, err := run(t); err == nil || !strings.Contains(err.Error(), "--concurrency") {
		t.Errorf("IMS_CONCURRENCY=2,x: got %v", err)
	}
	if out, err := run(t, "--help"); err != nil || !strings.Contains(out, "Usage:\n  ims-bench [flags]") {
		t.Errorf("--help: %v\n%s", err, out)
	}
}
