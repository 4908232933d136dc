package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var metricsAddr = regexp.MustCompile(`metrics_addr=(\S+)`)

// TestServeMetricsOnTheirOwnListener runs ims serve with --metrics-addr:
// the metrics listener shows the sign-in and the database pools, and the
// public listener has no /metrics.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	t.Setenv("IMS_ARGON2_MEMORY_KIB", "8192")
	t.Setenv("IMS_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "ims.db"))
	if out, err := run(t, "", "org", "create", "--name", "Acme"); err != nil {
		t.Fatalf("org create: %v\n%s", err, out)
	}
	var logs lockedBuffer
	cmd := newRootCommand(strings.NewReader(""), &logs, &logs)
	cmd.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	addr := waitReady(t, &logs, done)
	m := metricsAddr.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no metrics address in the ready line:\n%s", logs.String())
	}
	form := url.Values{"organisation": {"Acme"}, "email": {"nobody@acme.test"}, "password": {"not the password"}}
	if resp, err := http.PostForm("http://"+addr+"/login", form); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	body := get(t, "http://"+m[1]+"/metrics", http.StatusOK)
	for _, want := range []string{`ims_signins_total{method="password",outcome="failure"} 1`,
		`ims_http_requests_total{code="401",route="POST /login"} 1`, `go_sql_max_open_connections{db_name="write"} 1`,
		`go_sql_open_connections{db_name="read"}`, `ims_password_hash_slots`, `process_resident_memory_bytes`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if body := get(t, "http://"+addr+"/metrics", http.StatusNotFound); strings.Contains(body, "ims_signins_total") {
		t.Error("the public listener serves metrics")
	}
}

func get(t *testing.T, u string, want int) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Errorf("GET %s: %d, want %d", u, resp.StatusCode, want)
	}
	return string(b)
}
