package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

// TestBackupUnderWriteLoadAndRestore backs up a SQLite database while ims
// serve runs on it and another process-like writer commits audit entries
// as fast as it can. Restore is refused while the server runs; once it has
// stopped, the restored database holds every entry committed before the
// backup began, and the replaced database, kept aside, every entry.
func TestBackupUnderWriteLoadAndRestore(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "ims.db")
	t.Setenv("IMS_DATABASE_URL", dbURL)
	if out, err := run(t, "", "org", "create", "--name", "Acme"); err != nil {
		t.Fatalf("org create: %v\n%s", err, out)
	}
	var logs lockedBuffer
	serveCmd := newRootCommand(strings.NewReader(""), &logs, &logs)
	serveCmd.SetArgs([]string{"serve", "--addr", "127.0.0.1:0"})
	ctx, stopServe := context.WithCancel(context.Background())
	defer stopServe()
	served := make(chan error, 1)
	go func() { served <- serveCmd.ExecuteContext(ctx) }()
	waitReady(t, &logs, served)

	writer, err := sqlstore.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	org, err := writer.OrganisationByName(context.Background(), "Acme")
	if err != nil {
		t.Fatal(err)
	}
	var committed atomic.Int64
	stopWriting := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := int64(1); ; n++ {
			select {
			case <-stopWriting:
				return
			default:
			}
			e := audit.Event(audit.Origin{Address: "192.0.2.1"}, time.Now(), org.ID, audit.SigninFailure)
			e.Detail = fmt.Sprintf("write %d", n)
			if err := writer.AppendAuditEvent(context.Background(), &e); err != nil {
				t.Errorf("write %d: %v", n, err)
				return
			}
			committed.Store(n)
		}
	})
	waitFor(t, func() bool { return committed.Load() >= 200 })
	before := committed.Load()
	backup := filepath.Join(dir, "backup.db")
	if out, err := run(t, "", "backup", "--to", backup); err != nil || !strings.Contains(out, "Backed up") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	during := committed.Load()
	waitFor(t, func() bool { return committed.Load() >= during+100 })
	close(stopWriting)
	wg.Wait()
	writer.Close()
	total := committed.Load()

	if out, err := run(t, "", "restore", "--from", backup); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("restore while ims serve runs: %v\n%s", err, out)
	}
	stopServe()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	out, err := run(t, "", "restore", "--from", backup)
	if err != nil || !strings.Contains(out, "ims.db.before-restore") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	restored := writtenIn(t, dbURL, org.ID)
	for n := int64(1); n <= before; n++ {
		if !restored[n] {
			t.Fatalf("write %d, committed before the backup began, is missing from the restored database", n)
		}
	}
	if int64(len(restored)) > during {
		t.Errorf("the backup holds %d writes, more than the %d committed when it ended", len(restored), during)
	}
	aside := writtenIn(t, "sqlite:"+filepath.Join(dir, "ims.db.before-restore"), org.ID)
	if int64(len(aside)) != total {
		t.Errorf("the replaced database holds %d writes, want all %d", len(aside), total)
	}
	t.Logf("%d writes before the backup, %d when it ended, %d in all; %d restored", before, during, total, len(restored))
}

// writtenIn returns the numbers of the test's writes in a database.
func writtenIn(t *testing.T, databaseURL string, orgID int64) map[int64]bool {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, err := db.AuditEvents(context.Background(), orgID, store.AuditFilter{Kind: audit.SigninFailure, Limit: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, e := range events {
		var n int64
		if _, err := fmt.Sscanf(e.Detail, "write %d", &n); err == nil {
			seen[n] = true
		}
	}
	return seen
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

// TestBackupRefusesPostgreSQL: PostgreSQL has its own tools, which the
// refusal names.
func TestBackupRefusesPostgreSQL(t *testing.T) {
	to := filepath.Join(t.TempDir(), "backup.db")
	for _, args := range [][]string{{"backup", "--to", to}, {"restore", "--from", to}} {
		out, err := run(t, "", append(args, "--database-url", "postgres://ims@db.example/ims")...)
		if err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("ims %s on PostgreSQL: %v\n%s", args[0], err, out)
		}
	}
}
