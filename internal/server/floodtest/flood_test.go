// Package floodtest floods one in-process server with concurrent sign-ins
// and measures the process's peak memory. It is a package of its own so
// the peak it reads belongs to this test alone.
package floodtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store/sqlstore/sqltest"
)

const (
	attempts    = 1000
	maxPeakMiB  = 300
	organisaton = "Acme"
)

// TestFlood sends 1,000 concurrent sign-ins, each from its own address
// (through the trusted proxy header), spread over 40 members, with
// production hashing cost and throttling. Every request must be answered
// with success, 429, 503 or 423 (each member gets 25 at once, and every
// attempt is counted until its password is checked, so a flood of one
// account locks it like a guessing attack), and the peak memory must stay
// under 300 MiB (not checked under the race detector).
// floodMembers is how many accounts the flood names.
const floodMembers = 40

func TestFlood(t *testing.T) {
	db := sqltest.NewSQLite(t)
	cfg := config.Default()
	cfg.DatabaseURL, cfg.PublicURL = "sqlite:unused", "http://127.0.0.1"
	cfg.TrustedProxyHeader = "X-Forwarded-For"
	env := servertest.Start(t, db, cfg, nil)
	org := servertest.NewOrganisation(t, db, organisaton, nil)
	ana := servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	// The other members share Ana's password hash: one hash made, not forty.
	forms := make([]string, floodMembers)
	for i := range forms {
		m := ana
		m.ID, m.Email = 0, fmt.Sprintf("member%02d@acme.test", i)
		if err := db.CreateMember(context.Background(), &m); err != nil {
			t.Fatal(err)
		}
		forms[i] = servertest.SignInForm(organisaton, m.Email, servertest.Password).Encode()
	}

	transport := &http.Transport{MaxIdleConnsPerHost: attempts, MaxConnsPerHost: 0, DisableKeepAlives: true}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var mu sync.Mutex
	statuses := map[int]int{}
	var failures []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", env.HTTP.URL+"/login", strings.NewReader(forms[i%floodMembers]))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.18.%d.%d", i/250, i%250+1))
			<-start
			resp, err := client.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err.Error())
				return
			}
			resp.Body.Close()
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
				if resp.Header.Get("Retry-After") == "" {
					failures = append(failures, fmt.Sprintf("%d without Retry-After", resp.StatusCode))
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	peak := peakRSSMiB(t)
	t.Logf("flood: %d sign-ins in %v: %v; peak memory (VmHWM) %d MiB; %d password hashes computed",
		attempts, elapsed.Round(time.Millisecond), statuses, peak, env.Server.Hasher.Computed())
	fmt.Printf("flood: %d concurrent sign-ins answered in %v %v, peak RSS %d MiB\n", attempts, elapsed.Round(time.Millisecond), statuses, peak)

	if len(failures) > 0 {
		t.Errorf("%d requests failed, for example: %s", len(failures), failures[0])
	}
	answered := 0
	for status, n := range statuses {
		answered += n
		switch status {
		case http.StatusSeeOther, http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusLocked:
		default:
			t.Errorf("%d answers with status %d; want only success (303), 429, 503 or 423", n, status)
		}
	}
	if answered != attempts {
		t.Errorf("%d of %d requests answered", answered, attempts)
	}
	if statuses[http.StatusSeeOther] == 0 || statuses[http.StatusTooManyRequests] == 0 {
		t.Errorf("statuses %v: want some sign-ins to succeed and the organisation's throttle to refuse others", statuses)
	}
	if peak >= maxPeakMiB && !raceDetector {
		t.Errorf("peak memory %d MiB, want under %d MiB", peak, maxPeakMiB)
	}
	// The server still works after the flood.
	env.Clock.Advance(time.Hour)
	c := env.Client()
	c.Header.Set("X-Forwarded-For", "203.0.113.1")
	c.SignIn(organisaton, "ana@acme.test")
}

// peakRSSMiB reads the process's peak resident memory from /proc.
func peakRSSMiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("read peak memory: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kib / 1024
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
