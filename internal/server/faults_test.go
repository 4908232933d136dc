package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store/sqlstore/sqltest"
)

// answerFault reports an answer that is neither the one wanted nor a clean
// refusal: a 503 must carry Retry-After, and no other 5xx is acceptable.
func answerFault(r *servertest.Response, err error) error {
	switch {
	case err != nil:
		return err
	case r.StatusCode == http.StatusServiceUnavailable && r.Header.Get("Retry-After") == "":
		return fmt.Errorf("%s %s: 503 without Retry-After", r.Request.Method, r.Request.URL.Path)
	case r.StatusCode >= 500 && r.StatusCode != http.StatusServiceUnavailable:
		return fmt.Errorf("%s %s: %d\n%.300s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Body)
	}
	return nil
}

func unavailable(r *servertest.Response) bool { return r.StatusCode == http.StatusServiceUnavailable }

// faultLoad is what the load's clients saw.
type faultLoad struct {
	mu          sync.Mutex
	faults      []error
	refused     int                  // 503 answers
	acked       map[string]int       // sign-ins answered 303 to /dashboard, per member
	tried       map[string]int       // sign-ins sent, per member
	firstOK     map[string]time.Time // the first acknowledged sign-in after the outage, per member
	outageEnded time.Time
}

func (l *faultLoad) fault(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.faults) < 10 {
		l.faults = append(l.faults, err)
	}
}

// signInOut signs email in, opens the dashboard and signs out, until stop.
func (l *faultLoad) signInOut(env *servertest.Env, org, email string, stop <-chan struct{}) {
	c := env.Client()
	for {
		select {
		case <-stop:
			return
		default:
		}
		l.mu.Lock()
		l.tried[email]++
		l.mu.Unlock()
		r, err := c.Try("POST", "/login", servertest.SignInForm(org, email, servertest.Password))
		if err := answerFault(r, err); err != nil {
			l.fault(err)
			continue
		}
		if unavailable(r) {
			l.mu.Lock()
			l.refused++
			l.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard" {
			l.fault(fmt.Errorf("sign-in of %s: %d %s", email, r.StatusCode, r.Header.Get("Location")))
			continue
		}
		l.mu.Lock()
		l.acked[email]++
		if !l.outageEnded.IsZero() && l.firstOK[email].IsZero() {
			l.firstOK[email] = time.Now()
		}
		l.mu.Unlock()
		for _, step := range []struct{ method, path string }{{"GET", "/dashboard"}, {"POST", "/logout"}} {
			var form url.Values
			if step.method == "POST" {
				form = url.Values{}
			}
			r, err := c.Try(step.method, step.path, form)
			if err := answerFault(r, err); err != nil {
				l.fault(err)
			} else if r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") != "/login" ||
				step.method == "GET" && r.StatusCode == http.StatusSeeOther {
				// The dashboard sending an acknowledged session to sign in
				// again would be a lost session.
				l.fault(fmt.Errorf("%s %s of %s: %d %s", step.method, step.path, email, r.StatusCode, r.Header.Get("Location")))
			}
		}
	}
}

// passwordChanger changes a member's password over and over, keeping the
// last acknowledged one and those whose answer was a 503 (which may or may
// not have been applied).
type passwordChanger struct {
	org, email     string
	acked          string
	pending        []string
	changes, tries int
}

func (p *passwordChanger) run(env *servertest.Env, l *faultLoad, stop <-chan struct{}) {
	c := env.Client()
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		current, ok := p.signIn(c, l)
		if !ok {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		next := fmt.Sprintf("%s %d", servertest.Password, n)
		p.tries++
		r, err := c.Try("POST", "/profile/password", url.Values{"current_password": {current}, "password": {next}, "password_confirm": {next}})
		switch {
		case answerFault(r, err) != nil:
			l.fault(answerFault(r, err))
		case unavailable(r):
			p.pending = append(p.pending, next)
		case r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/dashboard":
			p.acked, p.pending = next, nil
			p.changes++
		default:
			l.fault(fmt.Errorf("password change: %d %s\n%.300s", r.StatusCode, r.Header.Get("Location"), r.Body))
		}
	}
}

// signIn signs in with the acknowledged password or, failing that, one
// whose change may have been applied; it returns the password that worked.
func (p *passwordChanger) signIn(c *servertest.Client, l *faultLoad) (string, bool) {
	for _, pw := range append([]string{p.acked}, p.pending...) {
		r, err := c.Try("POST", "/login", servertest.SignInForm(p.org, p.email, pw))
		if err := answerFault(r, err); err != nil {
			l.fault(err)
			return "", false
		}
		if unavailable(r) {
			return "", false
		}
		if r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/dashboard" {
			return pw, true
		}
	}
	l.fault(fmt.Errorf("no password signs %s in: acknowledged %q, pending %q", p.email, p.acked, p.pending))
	return "", false
}

// terminateBackends ends every connection to the test's own database, as a
// restart of PostgreSQL would, and returns how many it ended.
func terminateBackends(t *testing.T, admin *sql.DB, database string) int {
	t.Helper()
	var n int
	err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, database).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPostgresConnectionsEndedUnderSignInLoad ends every PostgreSQL
// connection of the test's database three times while four browsers sign
// in and out and a fifth changes its password: every answer is the normal
// one or 503 with Retry-After (never another 5xx, never a hang past the
// client's 60 s), every acknowledged sign-in and password change is in the
// database with its audit entry and notice, the password is the last one
// acknowledged (or one answered 503), and sign-ins succeed again within
// seconds of the last cut.
func TestPostgresConnectionsEndedUnderSignInLoad(t *testing.T) {
	dbURL := sqltest.NewPostgresDatabase(t)
	db := sqltest.Open(t, dbURL)
	u, _ := url.Parse(dbURL)
	database := u.Path[1:]
	admin, err := sql.Open("pgx", dbURL) // a connection of its own, ended with the others but for its own
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	members := []string{"a@acme.test", "b@acme.test", "c@acme.test", "d@acme.test"}
	for _, email := range members {
		servertest.AddMember(t, db, org, email, "Signer")
	}
	pc := &passwordChanger{org: org.Name, email: "p@acme.test", acked: servertest.Password}
	changer := servertest.AddMember(t, db, org, pc.email, "Changer")

	l := &faultLoad{acked: map[string]int{}, tried: map[string]int{}, firstOK: map[string]time.Time{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, email := range members {
		wg.Go(func() { l.signInOut(env, org.Name, email, stop) })
	}
	wg.Go(func() { pc.run(env, l, stop) })

	time.Sleep(time.Second)
	ended := 0
	for range 3 {
		ended += terminateBackends(t, admin, database)
		time.Sleep(700 * time.Millisecond)
	}
	ended += terminateBackends(t, admin, database)
	l.mu.Lock()
	l.outageEnded = time.Now()
	l.mu.Unlock()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	for _, err := range l.faults {
		t.Error(err)
	}
	var recovery []time.Duration
	for _, email := range members {
		if l.firstOK[email].IsZero() {
			t.Errorf("%s never signed in after the last cut", email)
			continue
		}
		recovery = append(recovery, l.firstOK[email].Sub(l.outageEnded))
	}
	sort.Slice(recovery, func(i, j int) bool { return recovery[i] < recovery[j] })
	if len(recovery) > 0 && recovery[len(recovery)-1] > 5*time.Second {
		t.Errorf("sign-ins resumed %v after the last cut, want within 5 s", recovery[len(recovery)-1])
	}
	t.Logf("%d connections ended in 4 cuts; %d answers 503 with Retry-After; sign-ins acknowledged %v; "+
		"password changes acknowledged %d of %d; first sign-in after the last cut within %v",
		ended, l.refused, l.acked, pc.changes, pc.tries, recovery)
	if ended == 0 || l.refused == 0 {
		t.Errorf("the cuts ended %d connections and caused %d refusals: the outage did not happen", ended, l.refused)
	}

	ctx := context.Background()
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := admin.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, email := range members {
		n := count(`SELECT count(*) FROM audit_events WHERE org_id = $1 AND email = $2 AND kind = 'signin-success'`, org.ID, email)
		if n < l.acked[email] || n > l.tried[email] {
			t.Errorf("%s: %d sign-ins in the audit log, %d acknowledged of %d sent", email, n, l.acked[email], l.tried[email])
		}
	}
	audited := count(`SELECT count(*) FROM audit_events WHERE org_id = $1 AND member_id = $2 AND kind = 'password-change'`, org.ID, changer.ID)
	notices := count(`SELECT count(*) FROM mail_outbox WHERE org_id = $1 AND recipient = $2 AND kind = 'password-changed'`, org.ID, pc.email)
	if audited != notices || audited < pc.changes || audited > pc.tries {
		t.Errorf("password changes: %d audited, %d notices queued, %d acknowledged of %d sent", audited, notices, pc.changes, pc.tries)
	}
	if _, ok := pc.signIn(env.Client(), l); !ok {
		t.Errorf("after the outage: %v", l.faults)
	}
}
