package argon2_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// upstreamFile is a line of UPSTREAM naming a file.
type upstreamFile struct {
	kind     string // same, changed, dropped or ours
	local    string // the file here (same, changed, ours)
	upstream string // the module's file, from its root (same, changed, dropped)
	sum      string // changed: SHA-256 of the upstream file last merged
}

type upstreamInfo struct {
	module, version string
	files           []upstreamFile
}

func readUpstream(t *testing.T) upstreamInfo {
	t.Helper()
	text, err := os.ReadFile("UPSTREAM")
	if err != nil {
		t.Fatal(err)
	}
	var u upstreamInfo
	for n, line := range strings.Split(string(text), "\n") {
		if line == "" || line[0] == '#' || line[0] == ' ' || line[0] == '\t' {
			continue // comments, and the lines saying why
		}
		f := strings.Fields(line)
		want := map[string]int{"module": 2, "version": 2, "same": 3, "changed": 4, "dropped": 2, "ours": 2}[f[0]]
		if want == 0 || len(f) != want {
			t.Fatalf("UPSTREAM line %d: %q is not one of module, version, same, changed, dropped or ours with its fields", n+1, line)
		}
		switch f[0] {
		case "module":
			u.module = f[1]
		case "version":
			u.version = f[1]
		case "same":
			u.files = append(u.files, upstreamFile{kind: f[0], local: f[1], upstream: f[2]})
		case "changed":
			u.files = append(u.files, upstreamFile{kind: f[0], local: f[1], upstream: f[2], sum: f[3]})
		case "dropped":
			u.files = append(u.files, upstreamFile{kind: f[0], upstream: f[1]})
		case "ours":
			u.files = append(u.files, upstreamFile{kind: f[0], local: f[1]})
		}
	}
	if u.module == "" || u.version == "" {
		t.Fatal("UPSTREAM names no module or no version")
	}
	return u
}

// moduleDir finds the version of module that go.mod requires and its folder
// in the module cache, downloading it if missing. Without the go command or
// the module the test is skipped, except in CI (CI=true), where it fails.
func moduleDir(t *testing.T, module string) (version, dir string) {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	run := func(args ...string) ([]byte, error) {
		out, err := exec.Command(goCmd, args...).Output()
		if exit, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(exit.Stderr))
		}
		return out, err
	}
	list := func() (version, dir string, err error) {
		out, err := run("list", "-m", "-json", module)
		if err != nil {
			return "", "", err
		}
		var m struct {
			Version, Dir string
			Replace      *struct{ Path, Version string }
		}
		if err := json.Unmarshal(out, &m); err != nil {
			return "", "", err
		}
		if m.Replace != nil {
			t.Fatalf("go.mod replaces %s with %s %s: the fork is checked against the released module", module, m.Replace.Path, m.Replace.Version)
		}
		return m.Version, m.Dir, nil
	}
	version, dir, err = list()
	if err != nil || dir == "" {
		if _, err = run("mod", "download", module); err == nil {
			version, dir, err = list()
		}
	}
	if err != nil || dir == "" {
		msg := fmt.Sprintf("%s is not in the module cache and cannot be downloaded, so the fork cannot be compared with it: %v", module, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return version, dir
}

// TestForkMatchesUpstream keeps the fork current: the golang.org/x/crypto
// version go.mod requires is the one UPSTREAM names, the files UPSTREAM
// calls the same are byte-identical to that version's, the upstream files
// we changed are still those our changes were merged with, and every file
// here and upstream is accounted for. Bumping golang.org/x/crypto fails it
// until the fork is synced (UPSTREAM says how).
func TestForkMatchesUpstream(t *testing.T) {
	u := readUpstream(t)
	version, dir := moduleDir(t, u.module)
	if version != u.version {
		t.Fatalf("go.mod requires %s %s, but this fork is synced with %s (UPSTREAM): "+
			"compare it with %s/argon2, sync the files and set the version in UPSTREAM", u.module, version, u.version, dir)
	}
	named := map[string]bool{} // upstream files UPSTREAM names
	here := map[string]bool{}  // local files UPSTREAM names
	for _, f := range u.files {
		named[f.upstream] = true
		here[f.local] = true
		var theirs []byte
		if f.kind == "same" || f.kind == "changed" {
			var err error
			if theirs, err = os.ReadFile(filepath.Join(dir, f.upstream)); err != nil {
				t.Errorf("%s: %v (no longer upstream? say so in UPSTREAM)", f.upstream, err)
				continue
			}
		}
		var ours []byte
		if f.local != "" {
			var err error
			if ours, err = os.ReadFile(f.local); err != nil {
				t.Errorf("UPSTREAM names %s: %v", f.local, err)
				continue
			}
		}
		switch f.kind {
		case "same":
			if !bytes.Equal(ours, theirs) {
				t.Errorf("%s differs from %s %s's %s: copy it again, or call it changed in UPSTREAM and say why",
					f.local, u.module, version, f.upstream)
			}
		case "changed":
			if sum := sha256.Sum256(theirs); hex.EncodeToString(sum[:]) != f.sum {
				t.Errorf("%s %s's %s is not the file %s was merged with (SHA-256 %s, UPSTREAM has %s): "+
					"merge its changes into %s and write the new SHA-256 in UPSTREAM",
					u.module, version, f.upstream, f.local, hex.EncodeToString(sum[:]), f.sum, f.local)
			}
			if bytes.Equal(ours, theirs) {
				t.Errorf("%s is identical to upstream's %s: call it same in UPSTREAM", f.local, f.upstream)
			}
		}
	}
	upstream, err := os.ReadDir(filepath.Join(dir, "argon2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range upstream {
		if p := "argon2/" + e.Name(); !e.IsDir() && !named[p] {
			t.Errorf("%s %s has %s, which UPSTREAM does not name: copy, merge or drop it, and say so there", u.module, version, p)
		}
	}
	local, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range local {
		if !e.IsDir() && !here[e.Name()] {
			t.Errorf("%s is not in UPSTREAM: name it there (ours, or same or changed with its upstream file)", e.Name())
		}
	}
	if !slices.ContainsFunc(u.files, func(f upstreamFile) bool { return f.kind == "same" }) {
		t.Error("UPSTREAM calls no file the same as upstream's")
	}
}
