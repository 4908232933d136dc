package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/mail"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

const wrong = "not the password at all"

// lockedPage reports whether a body is the "Account locked" answer with
// the time the lock lifts.
var lockedPage = regexp.MustCompile(`(?s)Account locked\..*You can try again after (\d\d:\d\d UTC on \d+ \w+ \d{4})`)

func signInAs(c *servertest.Client, org, email, pw string) *servertest.Response {
	return c.Post("/login", servertest.SignInForm(org, email, pw))
}

func TestLockoutAtExactlyN(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil) // default: 5 attempts, 15 minutes
	ana := servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	c := env.Client()
	for i := 1; i <= 4; i++ {
		r := signInAs(c, "Acme", "ana@acme.test", wrong)
		if r.StatusCode != http.StatusUnauthorized || strings.Contains(r.Body, "locked") {
			t.Fatalf("wrong password %d: %d, want the generic 401 without any lock", i, r.StatusCode)
		}
	}
	fifth := signInAs(c, "Acme", "ANA@acme.test ", wrong) // the same identifier, however typed
	m := lockedPage.FindStringSubmatch(fifth.Body)
	if fifth.StatusCode != http.StatusLocked || m == nil {
		t.Fatalf("fifth wrong password: %d, want 423 and the locked page\n%s", fifth.StatusCode, fifth.Body)
	}
	if want := "10:15 UTC on 21 Nov 2026"; m[1] != want || !strings.Contains(fifth.Body, "in 15 minutes") {
		t.Errorf("lock lifts at %q, want %q (in 15 minutes)", m[1], want)
	}
	// During the lock the right password gets exactly the same answer.
	right := signInAs(c, "Acme", "ana@acme.test", servertest.Password)
	again := signInAs(c, "Acme", "ana@acme.test", wrong)
	if right.StatusCode != http.StatusLocked || right.Body != again.Body {
		t.Errorf("locked: right password got %d, and its page differs from a wrong one's: %v", right.StatusCode, right.Body != again.Body)
	}
	// An email tells the member, once.
	msgs, err := db.OrganisationMail(context.Background(), org.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Kind != mail.AccountLocked || msgs[0].To != ana.Email ||
		!strings.Contains(msgs[0].Text, "10:15 UTC on 21 Nov 2026") || !strings.Contains(msgs[0].Text, "5") {
		t.Errorf("lockout email: got %+v", msgs)
	}
	// The lock lifts by itself.
	env.Clock.Advance(14*time.Minute + 59*time.Second)
	if r := signInAs(c, "Acme", "ana@acme.test", servertest.Password); r.StatusCode != http.StatusLocked {
		t.Errorf("a second before the lock lifts: %d, want 423", r.StatusCode)
	}
	env.Clock.Advance(time.Second)
	c.SignIn("Acme", "ana@acme.test")
	// A complete sign-in forgets the failures.
	if _, err := db.SigninLockout(context.Background(), org.ID, "ana@acme.test"); err == nil {
		t.Error("failure count kept after a successful sign-in")
	}
}

func TestLockoutSettingIsTheOrganisations(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	servertest.NewOrganisation(t, db, "Strict", func(s *store.OrganisationSettings) {
		s.LockoutThreshold, s.LockoutDuration = 2, 1440*time.Minute
	})
	c := env.Client()
	signInAs(c, "Strict", "a@strict.test", wrong)
	r := signInAs(c, "Strict", "a@strict.test", wrong)
	if r.StatusCode != http.StatusLocked || !strings.Contains(r.Body, "in 24 hours") {
		t.Errorf("second failure with threshold 2: %d, want locked for 24 hours\n%s", r.StatusCode, r.Body)
	}
}

// TestUnknownIdentifiersLockTheSameWay: a non-member's address, and an
// organisation that does not exist, lock after the same number of attempts
// with the same page, so the lock reveals nothing about who is a member.
func TestUnknownIdentifiersLockTheSameWay(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	pages := map[string][]string{}
	for _, who := range []struct{ org, email string }{
		{"Acme", "ana@acme.test"}, {"Acme", "nobody@acme.test"}, {"No Such Org", "ana@acme.test"},
	} {
		c := env.Client()
		for range 5 {
			r := signInAs(c, who.org, who.email, wrong)
			pages[who.org+"/"+who.email] = append(pages[who.org+"/"+who.email], fmt.Sprint(r.StatusCode, normalise(r.Body)))
		}
	}
	member := pages["Acme/ana@acme.test"]
	for who, got := range pages {
		for i := range got {
			if got[i] != member[i] {
				t.Errorf("%s, attempt %d differs from a member's:\n%s\n---\n%s", who, i+1, got[i], member[i])
			}
		}
	}
	if !strings.HasPrefix(member[4], "423") {
		t.Errorf("fifth attempt: %.40s, want 423", member[4])
	}
	if msgs, _ := db.OrganisationMail(context.Background(), org.ID, 10); len(msgs) != 1 {
		t.Errorf("%d emails, want one (to the member; nobody to tell for the others)", len(msgs))
	}
}

// echoed is what the form echoes back: the names typed.
var echoed = regexp.MustCompile(`value="[^"]*"|organisation=[^"]*"`)

func normalise(body string) string { return echoed.ReplaceAllString(body, `""`) }

func TestUnlockLiftsTheLockAtOnce(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	c := env.Client()
	for range 5 {
		signInAs(c, "Acme", "ana@acme.test", wrong)
	}
	g := &lockout.Guard{Store: db, Now: env.Clock.Now}
	if was, err := g.Unlock(context.Background(), lockout.Of(org.ID, "ana@acme.test")); !was || err != nil {
		t.Fatalf("unlock: %v, %v", was, err)
	}
	c.SignIn("Acme", "ana@acme.test")
}

// interleavedWrongPasswords sends attempts wrong passwords at once, the
// i-th to nodes[i % len(nodes)], and counts the answers by status.
func interleavedWrongPasswords(t *testing.T, nodes []*servertest.Env, attempts int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range attempts {
		c := nodes[i%len(nodes)].Client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := c.Try("POST", "/login", servertest.SignInForm("Acme", "ana@acme.test", wrong))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("attempt %d: %v", i, err)
				return
			}
			statuses[r.StatusCode]++
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

// checkExactLock: with threshold n, exactly n-1 attempts were plain
// failures and every other one was told "locked", the lock was recorded
// once and one email was sent.
func checkExactLock(t *testing.T, db store.Store, org store.Organisation, statuses map[int]int, n, attempts int) {
	t.Helper()
	if statuses[http.StatusUnauthorized] != n-1 || statuses[http.StatusLocked] != attempts-(n-1) {
		t.Errorf("answers %v: want exactly %d × 401 and %d × 423", statuses, n-1, attempts-(n-1))
	}
	ctx := context.Background()
	locks, _ := db.AuditEvents(ctx, org.ID, store.AuditFilter{Kind: audit.Lockout})
	msgs, _ := db.OrganisationMail(ctx, org.ID, 100)
	if len(locks) != 1 || len(msgs) != 1 {
		t.Errorf("%d lockout entries and %d emails, want one of each", len(locks), len(msgs))
	}
}

func TestConcurrentFailuresLockAtExactlyNOnSQLite(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	checkExactLock(t, db, org, interleavedWrongPasswords(t, []*servertest.Env{env}, 12), 5, 12)
}

// TestTwoNodesLockAtExactlyNOnPostgres runs two servers, each with its own
// connection pool, on one PostgreSQL database, as two nodes behind a load
// balancer, and sends them interleaved concurrent wrong passwords.
func TestTwoNodesLockAtExactlyNOnPostgres(t *testing.T) {
	url := sqltest.NewPostgresDatabase(t)
	first, second := sqltest.Open(t, url), sqltest.Open(t, url)
	clock := servertest.NewClock()
	nodes := []*servertest.Env{servertest.Start(t, first, servertest.Config(), clock), servertest.Start(t, second, servertest.Config(), clock)}
	org := servertest.NewOrganisation(t, first, "Acme", func(s *store.OrganisationSettings) { s.LockoutThreshold = 7 })
	servertest.AddMember(t, first, org, "ana@acme.test", "Ana Lima")
	checkExactLock(t, first, org, interleavedWrongPasswords(t, nodes, 20), 7, 20)
	for _, node := range nodes {
		if r := signInAs(node.Client(), "Acme", "ana@acme.test", servertest.Password); r.StatusCode != http.StatusLocked {
			t.Errorf("right password on %s after the lock: %d, want 423", node.HTTP.URL, r.StatusCode)
		}
	}
}

func TestLockoutEmailShowsTheOrganisationsLogo(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	if err := db.SetBranding(context.Background(), store.Branding{OrgID: org.ID, Logo: []byte("\x89PNG"), UpdatedAt: env.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	c := env.Client()
	for range 5 {
		signInAs(c, "Acme", "ana@acme.test", wrong)
	}
	msgs, err := db.OrganisationMail(context.Background(), org.ID, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Kind != mail.AccountLocked {
		t.Fatalf("lockout email: %v %+v", err, msgs)
	}
	want := `<img src="http://127.0.0.1/brand/` + org.URLName + `/logo.png" alt="Acme"`
	if !strings.Contains(msgs[0].HTML, want) {
		t.Errorf("the lockout email lacks %s:\n%s", want, msgs[0].HTML)
	}
}
