package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"imslogin/cmd/ims-bench/internal/loadgen"
	"imslogin/internal/benchseed"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestSmoke runs each scenario briefly against a real server and checks
// that the report is complete and sane; it asserts no timing threshold.
func TestSmoke(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	members := seedMembers(t, app, 20)
	var out bytes.Buffer
	loadgen.WriteTableHeader(&out)
	for _, scenario := range []string{loadgen.ScenarioSignIn, loadgen.ScenarioSession} {
		r, err := loadgen.Run(context.Background(), loadgen.Options{
			BaseURL: app.URL, Organisation: app.Org.Name, Password: servertest.Password, Members: len(members),
			Scenario: scenario, Concurrency: 2, Warmup: 100 * time.Millisecond, Duration: time.Second,
			ServerPID: os.Getpid(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Completed == 0 || len(r.Errors) != 0 {
			t.Errorf("%s: %d completed, errors %v", scenario, r.Completed, r.Errors)
		}
		if !(r.P50ms > 0 && r.P50ms <= r.P95ms && r.P95ms <= r.P99ms && r.P99ms <= r.MaxMs) {
			t.Errorf("%s: percentiles out of order: %+v", scenario, r)
		}
		if r.ServerCPU <= 0 || r.ServerPeakMB <= 0 || r.GeneratorCPU <= 0 {
			t.Errorf("%s: no CPU or memory figures: server cpu %v, peak %v MB, generator cpu %v", scenario, r.ServerCPU, r.ServerPeakMB, r.GeneratorCPU)
		}
		loadgen.WriteTableRow(&out, r)
		var line bytes.Buffer
		loadgen.WriteJSONLine(&line, r)
		var back loadgen.Result
		if err := json.Unmarshal(line.Bytes(), &back); err != nil || back.Completed != r.Completed {
			t.Errorf("JSON line does not round-trip: %v %s", err, line.String())
		}
	}
	t.Log("\n" + out.String())
	if strings.Count(out.String(), "\n") != 3 {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestWrongPasswordIsCountedAsErrors(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	r, err := loadgen.Run(context.Background(), loadgen.Options{
		BaseURL: app.URL, Organisation: app.Org.Name, Password: "not the password at all", Members: 1,
		EmailOf: func(int) string { return "ana@acme.test" }, Scenario: loadgen.ScenarioSignIn, Concurrency: 1,
		Duration: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Completed != 0 || r.Errors["401"] == 0 {
		t.Errorf("failed sign-ins reported as %d completed, errors %v", r.Completed, r.Errors)
	}
}

// TestWindowsPauseTheLoad splits a run into windows: between them no
// request is in flight (the raw hash rate is measured there, with the
// server idle), and the time spent between them is not measured.
func TestWindowsPauseTheLoad(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	target, _ := url.Parse(app.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var inFlight, requests atomic.Int64
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		requests.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	defer counting.Close()

	const pause = 400 * time.Millisecond
	var betweens []int64 // requests in flight at each pause
	began := time.Now()
	r, err := loadgen.Run(context.Background(), loadgen.Options{
		BaseURL: counting.URL, Organisation: app.Org.Name, Password: servertest.Password, Members: 1,
		EmailOf: func(int) string { return app.Member.Email }, Scenario: loadgen.ScenarioSession, Concurrency: 4,
		Duration: 900 * time.Millisecond, Windows: 3,
		Between: func(context.Context) {
			before := requests.Load()
			betweens = append(betweens, inFlight.Load())
			time.Sleep(pause)
			if requests.Load() != before {
				t.Error("requests were made between windows")
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(betweens) != 2 || betweens[0] != 0 || betweens[1] != 0 {
		t.Errorf("requests in flight at each pause: %v; want two pauses with none", betweens)
	}
	if r.Completed == 0 || len(r.Errors) != 0 {
		t.Errorf("%d completed, errors %v", r.Completed, r.Errors)
	}
	if wall := time.Since(began).Seconds(); r.Seconds < 0.9 || r.Seconds > wall-2*pause.Seconds() {
		t.Errorf("measured %.2fs of a %.2fs run with %v of pauses", r.Seconds, wall, 2*pause)
	}
	// The run's throughput is the windows' weighted mean, so it lies
	// between the slowest window's and the fastest's.
	if w := r.WindowPerSecond; len(w) != 3 || slices.Min(w) <= 0 ||
		r.PerSecond < slices.Min(w)*0.999 || r.PerSecond > slices.Max(w)*1.001 {
		t.Errorf("window throughputs %v for a run of %.1f/s; want three around it", w, r.PerSecond)
	}
}

// seedMembers adds n members member0000000@bench.test… with the test
// password, as ims dev seed does, and returns them.
func seedMembers(t *testing.T, app *servertest.App, n int) []store.Member {
	t.Helper()
	hash, err := app.Server.Hasher.Hash(context.Background(), servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	members := benchseed.Members(app.Org.ID, 0, n, hash, time.Now())
	if err := app.DB.BulkCreateMembers(context.Background(), members); err != nil {
		t.Fatal(err)
	}
	return members
}

func TestRawHashRateIsPositive(t *testing.T) {
	rate := loadgen.RawHashRate(context.Background(), loadgen.HashParams{MemoryKiB: 8192, Time: 1, Threads: 1}, 1, 200*time.Millisecond)
	if rate <= 0 {
		t.Errorf("raw hash rate %v", rate)
	}
}

// TestEndedSessionsAreCountedAsErrors signs the clients out on the server
// during a session run: the checks after that are reported as 401s.
func TestEndedSessionsAreCountedAsErrors(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	signedOut := make(chan error, 1)
	time.AfterFunc(600*time.Millisecond, func() {
		signedOut <- app.DB.DeleteMemberSessions(ctx, app.Org.ID, app.Member.ID)
	})
	r, err := loadgen.Run(ctx, loadgen.Options{
		BaseURL: app.URL, Organisation: app.Org.Name, Password: servertest.Password, Members: 1,
		EmailOf: func(int) string { return app.Member.Email }, Scenario: loadgen.ScenarioSession, Concurrency: 2,
		Warmup: 100 * time.Millisecond, Duration: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-signedOut; err != nil {
		t.Fatal(err)
	}
	if r.Completed == 0 || r.Errors["401"] == 0 || len(r.Errors) != 1 {
		t.Errorf("%d completed, errors %v; want checks before the sign-out and only 401s after", r.Completed, r.Errors)
	}
}

// TestTOTPSignIns signs in with a password and an authenticator-app code.
// With enough members every sign-in succeeds; with one member, its codes
// are refused after the first (no code is accepted twice), which shows the
// codes are really checked.
func TestTOTPSignIns(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	members := seedMembers(t, app, 2000)
	if _, err := app.DB.BulkAddTOTP(ctx, app.Org.ID, servertest.Secrets.SealShared(app.Org.ID, benchseed.TOTPSecret), time.Now()); err != nil {
		t.Fatal(err)
	}
	run := func(n, first int) loadgen.Result {
		r, err := loadgen.Run(ctx, loadgen.Options{
			BaseURL: app.URL, Organisation: app.Org.Name, Password: servertest.Password, Members: n, FirstMember: first,
			Scenario: loadgen.ScenarioSignInTOTP, Concurrency: 2, Duration: 300 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// A second run starts after the members the first used, whose codes
	// for this step are spent.
	first := run(len(members), 0)
	second := run(len(members), first.NextMember)
	for _, r := range []loadgen.Result{first, second} {
		if r.Completed == 0 || len(r.Errors) != 0 {
			t.Errorf("%d completed, errors %v", r.Completed, r.Errors)
		}
	}
	// The plain sign-in scenario stops at the second step and says where.
	plain, err := loadgen.Run(ctx, loadgen.Options{BaseURL: app.URL, Organisation: app.Org.Name, Password: servertest.Password,
		Members: len(members), Scenario: loadgen.ScenarioSignIn, Concurrency: 1, Duration: 200 * time.Millisecond})
	if err != nil || plain.Completed != 0 || plain.Errors["ended at /login/mfa"] == 0 {
		t.Errorf("password only, with an app set up: %d completed, errors %v, %v", plain.Completed, plain.Errors, err)
	}
	if r := run(1, 0); r.Errors["401"] == 0 {
		t.Errorf("one member signing in again and again: %d completed, errors %v; want refused codes", r.Completed, r.Errors)
	}
}

// TestMembersScenario signs in as the benchmark's administrator and pages
// through Team Members; a member who is no administrator is refused.
func TestMembersScenario(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	hash, err := app.Server.Hasher.Hash(ctx, servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	admin := store.Member{OrgID: app.Org.ID, Email: benchseed.AdminEmail, Name: "Admin", Role: store.RoleAdministrator,
		Status: store.StatusActive, Licensed: true, EmailVerified: true, PasswordHash: hash, CreatedAt: time.Now()}
	if err := app.DB.CreateMember(ctx, &admin); err != nil {
		t.Fatal(err)
	}
	r, err := loadgen.Run(ctx, loadgen.Options{
		BaseURL: app.URL, Organisation: app.Org.Name, Password: servertest.Password, Members: 1,
		Scenario: loadgen.ScenarioMembers, Concurrency: 2, Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Completed < 3 || len(r.Errors) != 0 {
		t.Errorf("%d completed, errors %v", r.Completed, r.Errors)
	}
	if err := app.DB.SetMemberAccess(ctx, app.Org.ID, admin.ID, store.MemberAccess{Role: store.RoleMember, Licensed: true}); err != nil {
		t.Fatal(err)
	}
	r, _ = loadgen.Run(ctx, loadgen.Options{
		BaseURL: app.URL, Organisation: app.Org.Name, Password: servertest.Password, Members: 1,
		Scenario: loadgen.ScenarioMembers, Concurrency: 1, Duration: 200 * time.Millisecond,
	})
	if r.Completed != 0 || r.Errors["403"] == 0 {
		t.Errorf("a plain member: %d completed, errors %v; want 403s", r.Completed, r.Errors)
	}
}
