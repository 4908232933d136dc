package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is the command's output, written by the server while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var readyAddr = regexp.MustCompile(`msg="IMS Login is ready" addr=(\S+)`)

// TestServeStopsInOrder runs ims serve, signs a member in and ends the
// command's context as SIGTERM does: serve returns nil, the sign-in's time
// is in the database it closed, and no worker or housekeeping met that
// database closed.
func TestServeStopsInOrder(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	db := "sqlite:" + filepath.Join(t.TempDir(), "ims.db")
	t.Setenv("IMS_DATABASE_URL", db)
	if out, err := run(t, "", "org", "create", "--name", "Acme"); err != nil {
		t.Fatalf("org create: %v\n%s", err, out)
	}
	if out, err := run(t, "a long and unusual passphrase\n", "member", "add", "--org", "Acme", "--email", "ana@acme.test",
		"--name", "Ana", "--role", "owner", "--password-stdin", "--verified"); err != nil {
		t.Fatalf("member add: %v\n%s", err, out)
	}
	var logs lockedBuffer
	cmd := newRootCommand(strings.NewReader(""), &logs, &logs)
	cmd.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "debug"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	addr := waitReady(t, &logs, done)
	form := url.Values{"organisation": {"Acme"}, "email": {"ana@acme.test"}, "password": {"a long and unusual passphrase"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm("http://"+addr+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
	if strings.Contains(logs.String(), "database is closed") {
		t.Errorf("something used the database after it closed:\n%s", logs.String())
	}
	sdb, err := openMigrated(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	org, _ := sdb.OrganisationByName(context.Background(), "Acme")
	if m, err := sdb.MemberByEmail(context.Background(), org.ID, "ana@acme.test"); err != nil || m.LastSignInAt.IsZero() {
		t.Errorf("last sign-in after serve stopped: %v, %v; want it written", m.LastSignInAt, err)
	}
}

// waitReady returns the address serve listens on, once it says it is ready.
func waitReady(t *testing.T, logs *lockedBuffer, done <-chan error) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := readyAddr.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned %v before it was ready\n%s", err, logs.String())
		default:
		}
	}
	t.Fatalf("serve did not get ready\n%s", logs.String())
	return ""
}
