package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"imslogin/internal/mail/mailtest"
	"imslogin/internal/store/sqlstore/sqltest"
)

const killPassword = "a long and unusual passphrase"

// buildIMS builds the ims binary once for a test.
func buildIMS(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ims")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killTarget is one deployment under test: its database, the flags of
// ims serve, and the running process.
type killTarget struct {
	t     *testing.T
	bin   string
	dbURL string
	args  []string
	base  string
	proc  *exec.Cmd
	logs  *lockedBuffer
}

// start runs ims serve and returns when it answers /readyz, with the time
// that took.
func (k *killTarget) start() time.Duration {
	k.t.Helper()
	began := time.Now()
	k.logs = &lockedBuffer{}
	k.proc = exec.Command(k.bin, append([]string{"serve"}, k.args...)...)
	k.proc.Env = append(os.Environ(), "IMS_ARGON2_MEMORY_KIB=8192", "IMS_ARGON2_TIME=1")
	k.proc.Stdout, k.proc.Stderr = k.logs, k.logs
	if err := k.proc.Start(); err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(func() { k.proc.Process.Kill(); k.proc.Wait() })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if r, err := http.Get(k.base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return time.Since(began)
			}
		}
	}
	k.t.Fatalf("ims serve did not get ready\n%s", k.logs.String())
	return 0
}

// kill ends the process with SIGKILL: no deferred function, no drain.
func (k *killTarget) kill() {
	k.proc.Process.Signal(syscall.SIGKILL)
	k.proc.Wait()
}

// writes is what the clients sent and what was acknowledged (a 2xx).
type writes struct {
	mu                 sync.Mutex
	invited, attempted map[string]bool // invitations by email
	password           string          // the last password change acknowledged
	pending            []string        // changes sent without an answer
	changes            int
}

// invite adds members through the API until stop.
func (w *writes) invite(base, token, prefix string, stop <-chan struct{}) {
	c := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		email := fmt.Sprintf("%s-%d@acme.test", prefix, i)
		body, _ := json.Marshal(map[string]any{"email": email, "name": "Invited " + prefix, "role": "member", "licensed": false})
		req, _ := http.NewRequest("POST", base+"/api/v1/members", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		w.mu.Lock()
		w.attempted[email] = true
		w.mu.Unlock()
		r, err := c.Do(req)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r.Body.Close()
		if r.StatusCode == http.StatusCreated {
			w.mu.Lock()
			w.invited[email] = true
			w.mu.Unlock()
		}
	}
}

// changePasswords signs in and changes the password, over and over, until
// stop.
func (w *writes) changePasswords(base, email string, stop <-chan struct{}) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		w.mu.Lock()
		current := w.password
		w.mu.Unlock()
		r, err := c.PostForm(base+"/login", url.Values{"organisation": {"Acme"}, "email": {email}, "password": {current}})
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r.Body.Close()
		if r.StatusCode != http.StatusSeeOther {
			continue
		}
		next := fmt.Sprintf("%s %d", killPassword, n)
		w.mu.Lock()
		w.pending = append(w.pending, next)
		w.mu.Unlock()
		r, err = c.PostForm(base+"/profile/password", url.Values{"current_password": {current}, "password": {next}, "password_confirm": {next}})
		if err != nil {
			continue
		}
		r.Body.Close()
		if r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/dashboard" {
			w.mu.Lock()
			w.password, w.pending = next, nil
			w.changes++
			w.mu.Unlock()
		}
	}
}

// TestServeKilledMidWritesLosesNothing runs the ims binary, on SQLite and
// on PostgreSQL, while clients add members through the API (each with its
// invitation email) and a member changes their password again and again
// (each with its notice), and mail goes out to a real SMTP server; kills
// it with SIGKILL, starts it again on the same database and checks: every
// acknowledged invitation and password change is there, no member lacks
// its invitation link or email, and every queued message reaches the SMTP
// server exactly once.
func TestServeKilledMidWritesLosesNothing(t *testing.T) {
	bin := buildIMS(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		killMidWrites(t, bin, "sqlite:"+filepath.Join(dir, "ims.db"), "sqlite", filepath.Join(dir, "ims.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		dbURL := sqltest.NewPostgresDatabase(t)
		keyFile := filepath.Join(t.TempDir(), "secret.key")
		key := make([]byte, 32)
		rand.Read(key)
		if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600); err != nil {
			t.Fatal(err)
		}
		killMidWrites(t, bin, dbURL, "pgx", dbURL, "--secret-key-file", keyFile)
	})
}

func killMidWrites(t *testing.T, bin, dbURL, driver, dsn string, extra ...string) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	for _, args := range [][]string{
		{"org", "create", "--name", "Acme"},
		{"member", "add", "--org", "Acme", "--email", "pat@acme.test", "--name", "Pat", "--role", "owner", "--password-stdin", "--verified"},
	} {
		if out, err := run(t, killPassword+"\n", append(args, "--database-url", dbURL)...); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	var token, errOut bytes.Buffer
	cmd := newRootCommand(strings.NewReader(""), &token, &errOut)
	cmd.SetArgs([]string{"token", "create", "--org", "Acme", "--name", "load", "--permissions", "members.read,members.write",
		"--database-url", dbURL})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut.String())
	}
	smtp := mailtest.StartWith(t, mailtest.Options{Relay: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	k := &killTarget{t: t, bin: bin, dbURL: dbURL, base: "http://" + addr, args: append([]string{"--addr", addr,
		"--database-url", dbURL, "--public-url", "http://" + addr, "--smtp-url", smtp.URL,
		"--mail-from", "IMS Login <login@acme.test>", "--throttle-address-per-minute", "100000", "--throttle-address-burst", "100000"},
		extra...)}
	k.start()

	w := &writes{invited: map[string]bool{}, attempted: map[string]bool{}, password: killPassword}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, prefix := range []string{"a", "b", "c"} {
		wg.Go(func() { w.invite(k.base, strings.TrimSpace(token.String()), prefix, stop) })
	}
	wg.Go(func() { w.changePasswords(k.base, "pat@acme.test", stop) })
	time.Sleep(2500 * time.Millisecond)
	k.kill()
	close(stop)
	wg.Wait()

	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bind := func(query string) string { // PostgreSQL numbers its placeholders
		for n := 1; driver == "pgx" && strings.Contains(query, "?"); n++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", n), 1)
		}
		return query
	}
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(bind(query), args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	now := time.Now().UnixMilli()
	claimed := count(`SELECT count(*) FROM mail_outbox WHERE status = 'pending' AND claimed_until > ?`, now)
	// A claim outlives its process by its lease (5 minutes) so that a slow
	// worker on another node is not doubled; the test ends the claims
	// instead of waiting that long.
	if _, err := db.Exec(`UPDATE mail_outbox SET claimed_until = 0 WHERE status = 'pending'`); err != nil {
		t.Fatal(err)
	}
	queuedAtKill := count(`SELECT count(*) FROM mail_outbox WHERE status = 'pending'`)

	recovery := k.start()
	firstOK := time.Now()
	deadline := time.Now().Add(20 * time.Second)
	for count(`SELECT count(*) FROM mail_outbox WHERE status <> 'sent'`) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("mail still queued 20 s after the restart\n%s", k.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	delivered := time.Since(firstOK)

	// Every acknowledged invitation is a member, invited, with its link and email.
	for email := range w.invited {
		if n := count(`SELECT count(*) FROM members m JOIN link_tokens l ON l.member_id = m.id AND l.purpose = 'invitation'
			JOIN mail_outbox o ON o.recipient = m.email AND o.kind = 'invitation'
			WHERE m.email = ? AND m.status = 'invited' AND m.role = 'member'`, email); n != 1 {
			t.Errorf("acknowledged invitation of %s: %d complete records, want 1", email, n)
		}
	}
	// No member is partial: each has its invitation link and email, and
	// no member exists that nobody asked for.
	if n := count(`SELECT count(*) FROM members m WHERE m.status = 'invited' AND (
		NOT EXISTS (SELECT 1 FROM link_tokens l WHERE l.member_id = m.id AND l.purpose = 'invitation') OR
		NOT EXISTS (SELECT 1 FROM mail_outbox o WHERE o.recipient = m.email AND o.kind = 'invitation'))`); n != 0 {
		t.Errorf("%d invited members lack their invitation link or email", n)
	}
	members := count(`SELECT count(*) FROM members WHERE status = 'invited'`)
	if members < len(w.invited) || members > len(w.attempted) {
		t.Errorf("%d invited members: %d acknowledged, %d sent", members, len(w.invited), len(w.attempted))
	}
	// The password is the last acknowledged one, or one sent after it.
	worked := ""
	for _, pw := range append([]string{w.password}, w.pending...) {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := c.PostForm(k.base+"/login", url.Values{"organisation": {"Acme"}, "email": {"pat@acme.test"}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/dashboard" {
			worked = pw
			break
		}
	}
	if worked == "" {
		t.Errorf("no password signs in: acknowledged %q, unanswered %q", w.password, w.pending)
	}
	audited := count(`SELECT count(*) FROM audit_events WHERE kind = 'password-change'`)
	notices := count(`SELECT count(*) FROM mail_outbox WHERE kind = 'password-changed'`)
	if audited != notices || audited < w.changes {
		t.Errorf("password changes: %d audited, %d notices, %d acknowledged", audited, notices, w.changes)
	}
	// Every message reached the SMTP server once.
	rows := count(`SELECT count(*) FROM mail_outbox`)
	seen := map[string]int{}
	for _, m := range smtp.Messages() {
		seen[m.MessageID]++
	}
	// The one message the SMTP server may have accepted in the instant
	// between its answer and the outcome's write goes again, with the same
	// Message-ID: no more than that.
	again := 0
	for id, n := range seen {
		if again += n - 1; n > 2 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	if again > 1 {
		t.Errorf("%d messages delivered twice, want at most the one in flight at the kill", again)
	}
	if len(seen) != rows {
		t.Errorf("%d distinct messages delivered, %d queued", len(seen), rows)
	}
	t.Logf("%s: killed after %d invitations and %d password changes acknowledged (%d and %d sent); "+
		"%d messages queued at the kill, %d of them claimed; ready %v after the restart; all %d messages delivered "+
		"%v later, %d of them twice", strings.SplitN(dbURL, ":", 2)[0], len(w.invited), w.changes, len(w.attempted),
		w.changes+len(w.pending), queuedAtKill, claimed, recovery.Round(time.Millisecond), rows,
		delivered.Round(time.Millisecond), again)
}
