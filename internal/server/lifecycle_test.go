package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
)

// closer closes the app's database for a lifecycle; before runs first and
// sees the database as the lifecycle leaves it.
type closer struct {
	app    *servertest.App
	before func()
}

func (c closer) Close() error {
	if c.before != nil {
		c.before()
	}
	return c.app.DB.Close()
}

// running is an app served by a Lifecycle on a port of its own.
type running struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// run serves app under a Lifecycle that closes the database with c.
func run(t *testing.T, app *servertest.App, c closer, first ...server.Worker) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	life := app.Server.Lifecycle(c, first...)
	go func() { r.done <- life.Run(ctx, ln) }()
	t.Cleanup(cancel)
	return r
}

// wait returns what Run returned.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
		return nil
	}
}

// stop ends the run as SIGTERM does and returns what Run returned.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	return r.wait(t)
}

// lastSignIn reads the app's member's last sign-in time.
func lastSignIn(app *servertest.App) (time.Time, error) {
	m, err := app.DB.MemberByID(context.Background(), app.Org.ID, app.Member.ID)
	return m.LastSignInAt, err
}

// TestShutdownOrder: when the context ends, the server stops accepting;
// the sign-in in flight completes; the recorder writes its time, before
// housekeeping, started first, is stopped last; housekeeping has returned
// when the database closes, and the database does close.
func TestShutdownOrder(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	var housekeepingSaw time.Time
	var housekeepingErr error
	housekeepingReturned := false
	housekeeping := server.Worker{Name: "housekeeping", Run: func(ctx context.Context) {
		<-ctx.Done()
		// Its last round, as a real one may be when asked to stop.
		housekeepingSaw, housekeepingErr = lastSignIn(app)
		housekeepingReturned = true
	}}
	var atClose time.Time
	returnedAtClose := false
	r := run(t, app, closer{app: app, before: func() {
		atClose, _ = lastSignIn(app)
		returnedAtClose = housekeepingReturned
	}}, housekeeping)

	conn, rest := beginSignIn(t, app, r.addr)
	defer conn.Close()
	r.cancel()
	waitRefused(t, r.addr)
	if _, err := conn.Write([]byte(rest)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the sign-in in flight got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("the sign-in in flight: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if housekeepingErr != nil || housekeepingSaw.IsZero() {
		t.Errorf("housekeeping, stopped last, saw the last sign-in %v, %v; want it written, the database open", housekeepingSaw, housekeepingErr)
	}
	if !returnedAtClose {
		t.Error("the database closed before housekeeping returned")
	}
	if atClose.IsZero() {
		t.Error("the sign-in in flight had no last sign-in written when the database closed")
	}
	if err := app.DB.Ping(context.Background()); err == nil {
		t.Error("the database is still open after Run returned")
	}
}

// beginSignIn sends a sign-in's header and half its form, so that it is in
// flight until the rest is sent.
func beginSignIn(t *testing.T, app *servertest.App, addr string) (conn net.Conn, rest string) {
	t.Helper()
	form := url.Values{"organisation": {app.Org.Name}, "email": {app.Member.Email}, "password": {servertest.Password}}.Encode()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n", addr, len(form))
	half := len(form) / 2
	if _, err := conn.Write([]byte(head + form[:half])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server read the header: the request is now in flight
	return conn, form[half:]
}

// waitRefused waits until the server no longer accepts connections.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		c.Close()
	}
	t.Fatal("the server still accepts connections after its context ended")
}

// TestLastSignInsAreWrittenWhenShutdownRunsOutOfTime: a request still in
// flight uses up the whole grace period, and the sign-in before it still
// has its time written before the database closes.
func TestLastSignInsAreWrittenWhenShutdownRunsOutOfTime(t *testing.T) {
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) { c.ShutdownTimeout = 100 * time.Millisecond }})
	var atClose time.Time
	r := run(t, app, closer{app: app, before: func() { atClose, _ = lastSignIn(app) }})
	signInOn(t, app, r.addr)
	// Half a request: the server waits for the rest until its header
	// timeout, far beyond the grace period.
	conn, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server read it: the connection is now active
	if err := r.stop(t); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run returned %v, want the grace period's deadline", err)
	}
	if atClose.IsZero() {
		t.Error("the last sign-in was lost when shutdown ran out of time")
	}
}

func TestRunStopsGracefully(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	r := run(t, app, closer{app: app})
	resp, err := http.Get("http://" + r.addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz on the running server: %v", err)
	}
	resp.Body.Close()
	if err := r.stop(t); err != nil {
		t.Errorf("Run returned %v after shutdown, want nil", err)
	}
}

// TestRunWritesLastSignInsBeforeTheDatabaseCloses: a sign-in just before
// shutdown, long before the next batch, has its time written.
func TestRunWritesLastSignInsBeforeTheDatabaseCloses(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	var atClose time.Time
	r := run(t, app, closer{app: app, before: func() { atClose, _ = lastSignIn(app) }})
	signInOn(t, app, r.addr)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if atClose.IsZero() {
		t.Error("the last sign-in was not written when the database closed")
	}
}

// signInOn signs the app's member in on the server running at addr.
func signInOn(t *testing.T, app *servertest.App, addr string) {
	t.Helper()
	form := url.Values{"organisation": {app.Org.Name}, "email": {app.Member.Email}, "password": {servertest.Password}}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := app.Browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign-in on the running server: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
