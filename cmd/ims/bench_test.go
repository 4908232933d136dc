package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/loadgen"
)

// TestBenchComparesSignInsWithTheRawRate runs ims bench's sign-in scenario
// against a seeded server: its JSON line holds every window's throughput
// and every raw-rate measurement (before, between and after the windows),
// and the share of the limit is the throughput over their mean.
func TestBenchComparesSignInsWithTheRawRate(t *testing.T) {
	app, dir := serveSeeded(t, "--members", "4")
	jsonPath := filepath.Join(dir, "bench.jsonl")
	out, err := run(t, "", "bench", "--url", app.URL, "--members", "4", "--scenario", "signin", "--concurrency", "2",
		"--warmup", "0s", "--duration", "600ms", "--windows", "2", "--hash-seconds", "100ms",
		"--argon2-memory-kib", "8192", "--json", jsonPath)
	if err != nil || !strings.Contains(out, "÷ raw") {
		t.Fatalf("bench: %v\n%s", err, out)
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
