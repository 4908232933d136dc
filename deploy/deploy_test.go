package deploy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tool finds a command the check needs: missing, the test is skipped, or
// fails under CI=true, whose script installs it.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: .ci/run installs it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// buildStatic builds ims as the Dockerfile does.
func buildStatic(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ims")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "../cmd/ims")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// TestDockerfileImageIsStaticAndNonRoot checks the Dockerfile without a
// Docker engine: its final stage is the empty image, runs as a numeric
// non-root user, and holds a binary built with cgo off, which the test
// builds the same way and finds statically linked.
func TestDockerfileImageIsStaticAndNonRoot(t *testing.T) {
	df := read(t, "Dockerfile")
	stages := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(stages) < 2 || stages[len(stages)-1][1] != "scratch" {
		t.Fatalf("stages %v: want a build stage, then FROM scratch", stages)
	}
	final := df[strings.LastIndex(df, "FROM scratch"):]
	user := regexp.MustCompile(`(?m)^USER\s+(\d+)(?::(\d+))?\s*$`).FindStringSubmatch(final)
	if user == nil || user[1] == "0" || user[2] == "0" {
		t.Errorf("final stage user %v: want a numeric, non-root USER", user)
	}
	for _, want := range []string{"CGO_ENABLED=0 go build", "./cmd/ims", "ENTRYPOINT [\"/ims\"]", "ca-certificates.crt",
		"--chown=65532:65532"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	bin := buildStatic(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the binary is dynamically linked (%v): it would not run on an empty image", p.Type)
		}
	}
	// Built without cgo, it must still work: a driver that needs cgo would
	// build and then fail here.
	cmd := exec.Command(bin, "migrate", "--database-url", "sqlite:"+filepath.Join(t.TempDir(), "ims.db"))
	cmd.Env = []string{} // as in the image: nothing from this machine
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "schema version") {
		t.Errorf("the static binary's ims migrate: %v\n%s", err, out)
	}
}

// TestSystemdUnitVerifiesAndIsHardened runs systemd-analyze verify on the
// unit (pointed at a real binary: verify checks it exists) and requires no
// complaint, then requires an exposure level of at most 2.0 ("OK") from
// systemd-analyze security.
func TestSystemdUnitVerifiesAndIsHardened(t *testing.T) {
	analyze := tool(t, "systemd-analyze")
	unit := read(t, "systemd/ims.service")
	if !strings.Contains(unit, "ExecStart=/usr/local/bin/ims serve") {
		t.Fatal("the unit does not start /usr/local/bin/ims serve")
	}
	bin, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ims.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/ims", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out)
	}
}

// TestNginxExampleParses runs nginx -t on the example, with a certificate
// made for the test in place of the Let's Encrypt paths.
func TestNginxExampleParses(t *testing.T) {
	nginx := tool(t, "nginx")
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	conf := read(t, "nginx/ims.conf")
	for _, want := range []string{"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", "listen 443 ssl",
		"server 127.0.0.1:8080;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("the example lacks %q", want)
		}
	}
	conf = strings.NewReplacer("/etc/letsencrypt/live/login.example.org/fullchain.pem", cert,
		"/etc/letsencrypt/live/login.example.org/privkey.pem", key).Replace(conf)
	os.WriteFile(filepath.Join(dir, "ims.conf"), []byte(conf), 0o644)
	main := "pid " + dir + "/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include " + dir + "/ims.conf;\n}\n"
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644)
	if out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput(); err != nil {
		t.Errorf("nginx -t: %v\n%s", err, out)
	}
}

func selfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "login.example.org"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"login.example.org"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certPath, keyPath
}
