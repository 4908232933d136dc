package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestServerBinaryHasNoLoadGenerator lists, with the go command, every
// package linked into ims and into ims-bench: the load generator is in
// ims-bench only, and nothing of ims-bench is in the server.
func TestServerBinaryHasNoLoadGenerator(t *testing.T) {
	isLoadGenerator := func(path string) bool {
		return strings.HasSuffix(path, "/loadgen") || strings.HasPrefix(path, "imslogin/cmd/ims-bench")
	}
	ims, bench := goListDeps(t, "imslogin/cmd/ims"), goListDeps(t, "imslogin/cmd/ims-bench")
	if !slices.ContainsFunc(bench, func(p string) bool { return strings.HasSuffix(p, "/loadgen") }) {
		t.Fatalf("ims-bench does not link a load generator package; this test looks for the wrong one:\n%s",
			strings.Join(bench, "\n"))
	}
	for _, path := range ims {
		if isLoadGenerator(path) {
			t.Errorf("ims links %s: the load generator belongs to ims-bench alone", path)
		}
	}
}

// goListDeps returns the import paths of pkg and every package it links
// (its tests' imports are not among them).
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	gocmd, err := exec.LookPath("go") // go test puts its own go first in PATH
	if err != nil {
		t.Fatalf("the go command: %v", err)
	}
	out, err := exec.Command(gocmd, "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		var stderr []byte
		if e, ok := err.(*exec.ExitError); ok {
			stderr = e.Stderr
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	return strings.Fields(string(out))
}
