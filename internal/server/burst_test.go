package server_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	pqtotp "github.com/pquerna/otp/totp"

	"imslogin/internal/audit"
	"imslogin/internal/config"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// unthrottled lets one test client send bursts: the lockout, not the
// throttle, is under test.
func unthrottled(c *config.Config) {
	c.ThrottleAddressPerMinute, c.ThrottleAddressBurst = 1e6, 1e6
	c.ThrottleOrganisationPerMinute, c.ThrottleOrganisationBurst = 1e6, 1e6
}

// failureDetails counts the organisation's sign-in failure entries by detail.
func failureDetails(t *testing.T, db store.Store, orgID int64) map[string]int {
	t.Helper()
	list, err := db.AuditEvents(context.Background(), orgID, store.AuditFilter{Kind: audit.SigninFailure})
	if err != nil {
		t.Fatal(err)
	}
	details := map[string]int{}
	for _, e := range list {
		details[e.Detail]++
	}
	return details
}

// TestBurstOfWrongPasswordsChecksAtMostN sends 40 wrong passwords for one
// account at once. Each attempt is counted before its hash, so exactly the
// threshold's worth are checked and counted, every other is refused
// unchecked, and the right password sent once they are counted is refused
// too, even while the burst is still being answered.
func TestBurstOfWrongPasswordsChecksAtMostN(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		app := servertest.New(t, servertest.Options{DB: db, Config: unthrottled})
		const attempts, n = 40, 5
		ctx := context.Background()
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range attempts {
			c := app.Browser(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, _, err := app.TryPost(c, "/login", url.Values{"organisation": {"Acme"},
					"email": {app.Member.Email}, "password": {"not the password at all"}})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("wrong password: %v", err)
					return
				}
				statuses[resp.StatusCode]++
			}()
		}
		close(start)
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
			l, err := db.SigninLockout(ctx, app.Org.ID, app.Member.Email)
			if err == nil && l.Failures >= n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the burst never counted %d failures: %+v, %v", n, l, err)
			}
		}
		right, body, err := app.TryPost(app.Browser(t), "/login", url.Values{"organisation": {"Acme"},
			"email": {app.Member.Email}, "password": {servertest.Password}})
		if err != nil || right.StatusCode != http.StatusLocked {
			t.Errorf("the right password after %d wrong ones were counted: %v %v, want 423 Account locked\n%s", n, right, err, body)
		}
		wg.Wait()
		if statuses[http.StatusUnauthorized] != n-1 || statuses[http.StatusLocked] != attempts-(n-1) {
			t.Errorf("answers %v: want %d × 401 and %d × 423", statuses, n-1, attempts-(n-1))
		}
		if l, err := db.SigninLockout(ctx, app.Org.ID, app.Member.Email); err != nil || l.Failures != n {
			t.Errorf("counted %+v, %v: want exactly %d failures", l, err, n)
		}
		details := failureDetails(t, db, app.Org.ID)
		if details["wrong password"] != n {
			t.Errorf("%d passwords checked and found wrong, want exactly %d (entries %v)", details["wrong password"], n, details)
		}
		if details["account locked"] != attempts-n+1 {
			t.Errorf("%d attempts refused unchecked, want %d (entries %v)", details["account locked"], attempts-n+1, details)
		}
	})
}

// TestBurstOfWrongCodesChecksAtMostFive sends 30 wrong authenticator-app
// codes in one sign-in at once: each answer is counted on the flow before
// it is checked, so exactly five are checked and counted and the sign-in
// ends.
func TestBurstOfWrongCodesChecksAtMostFive(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		app := servertest.New(t, servertest.Options{DB: db, Config: unthrottled})
		ctx := context.Background()
		org := app.Org
		org.Settings.LockoutThreshold = 100 // the flow's limit, not the account's, is under test
		if err := db.UpdateOrganisation(ctx, org); err != nil {
			t.Fatal(err)
		}
		e, err := totp.NewEnrolment(org.Name, app.Member.Email)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: org.ID, MemberID: app.Member.ID, Method: totp.Name,
			Name: "Phone", Secret: servertest.Secrets.Seal(org.ID, app.Member.ID, e.Secret), CreatedAt: app.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		c := app.Browser(t)
		if loc := startSignIn(t, app, c, app.Member.Email); loc != "/login/mfa" {
			t.Fatalf("after the password: %s, want the MFA step", loc)
		}
		wrong := "000000"
		if right, _ := pqtotp.GenerateCode(e.Secret, app.Clock.Now()); right == wrong {
			wrong = "000001"
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, _, err := app.TryPost(c, "/login/mfa", url.Values{"method": {"totp"}, "code": {wrong}}); err != nil {
					t.Errorf("wrong code: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		// Exactly five: each reserved answer is checked and counted, even
		// when another request ended the sign-in meanwhile.
		if checked := failureDetails(t, db, org.ID)["wrong totp code"]; checked != 5 {
			t.Errorf("%d wrong codes checked and counted, want 5", checked)
		}
		if resp, _ := app.Get(t, c, "/login/mfa"); resp.StatusCode != http.StatusGone {
			t.Errorf("the sign-in after the burst: %d, want 410 (ended)", resp.StatusCode)
		}
	})
}
