// Package loadgen drives the real HTTP flows against a running server and
// measures what a person would feel (throughput, latency percentiles,
// errors) and what the operator pays (server CPU and peak memory). It is
// ims-bench's, under cmd/ims-bench/internal so that ims cannot link it.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"

	"imslogin/internal/benchseed"
)

// Scenarios the generator knows.
const (
	ScenarioSignIn     = "signin"      // GET /login, POST it, follow to the Dashboard
	ScenarioSignInTOTP = "signin-totp" // the same, with an authenticator-app code at /login/mfa
	ScenarioSession    = "session"     // GET /whoami with a valid session cookie
	ScenarioMembers    = "members"     // an administrator's Team Members pages: first page, a sort, a search
)

// membersPages are the Team Members requests the members scenario makes in
// turn: the first page, the newest sign-ins first, a search.
var membersPages = []string{"/admin/members", "/admin/members?sort=last_signin&desc=1", "/admin/members?q=member+12"}

// Scenarios lists every scenario, in the order of the help.
func Scenarios() []string {
	return []string{ScenarioSignIn, ScenarioSignInTOTP, ScenarioSession, ScenarioMembers, ScenarioCode, ScenarioRefresh,
		ScenarioUserInfo, ScenarioIntrospect, ScenarioClientCred}
}

// IsSignIn reports whether a scenario signs in with a password.
func IsSignIn(scenario string) bool {
	return scenario == ScenarioSignIn || scenario == ScenarioSignInTOTP
}

// Options describe one run.
type Options struct {
	BaseURL      string
	Organisation string
	Password     string
	Members      int // seeded members member0000000@bench.test … are used in turn
	FirstMember  int // where in that turn this run starts (Result.NextMember of the last run)
	Scenario     string
	Concurrency  int
	Warmup       time.Duration
	Duration     time.Duration
	ServerPID    int // 0: no server CPU or memory figures
	// Windows splits Duration into this many measured windows (default 1).
	// Between runs after each window but the last, once every flow of the
	// window has ended: ims-bench measures the raw argon2id rate there,
	// with the server idle, so a machine whose speed drifts during a run is
	// compared with itself throughout the run.
	Windows int
	Between func(ctx context.Context)
	// EmailOf names member i; default benchseed.MemberEmail.
	EmailOf func(i int) string
	// Portal is what the single sign-on scenarios act as.
	Portal Portal
}

// Result is what one run measured.
type Result struct {
	Scenario    string         `json:"scenario"`
	Concurrency int            `json:"concurrency"`
	Completed   int            `json:"completed"`
	Seconds     float64        `json:"seconds"`
	PerSecond   float64        `json:"per_second"`
	P50ms       float64        `json:"p50_ms"`
	P95ms       float64        `json:"p95_ms"`
	P99ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	Errors      map[string]int `json:"errors"`
	ServerCPU   float64        `json:"server_cpu_cores,omitempty"`
	// GeneratorCPU is this process's own CPU: the cores it took from the
	// server when both run on one machine.
	GeneratorCPU float64 `json:"generator_cpu_cores"`
	ServerPeakMB float64 `json:"server_peak_rss_mb,omitempty"`
	// HashRate and ShareOfLimit are filled for sign-in runs when the raw
	// argon2id rate was measured: throughput ÷ raw rate.
	HashRate     float64 `json:"raw_hash_per_second,omitempty"`
	ShareOfLimit float64 `json:"share_of_hash_limit,omitempty"`
	// WindowPerSecond is each measured window's throughput and HashRates
	// each measurement of the raw rate, in order: how much the machine's
	// speed moved during the run.
	WindowPerSecond []float64 `json:"window_per_second,omitempty"`
	HashRates       []float64 `json:"raw_hash_per_second_each,omitempty"`
	// NextMember is where the next run should start signing in, so runs
	// one after another do not reuse members just used (an authenticator
	// code is accepted once per member and 30-second step).
	NextMember int `json:"-"`
}

// worker is one simulated client with its own cookies and connection.
type worker struct {
	opts    Options
	next    int // the next member this worker signs in as
	browser *browser
	signed  [][]byte // the requests a signed-in scenario repeats, with the session cookie or a token
	sso     *sso     // a single sign-on scenario's state
	turn    int      // the next of them
	samples []time.Duration
	errs    map[string]int // by errorClass
}

func (o Options) validate() error {
	var errs []error
	if _, err := newBrowser(o.BaseURL); err != nil {
		errs = append(errs, err)
	}
	if !IsSignIn(o.Scenario) && o.Scenario != ScenarioSession && o.Scenario != ScenarioMembers && !isSSO(o.Scenario) {
		errs = append(errs, fmt.Errorf("scenario %q: want one of %s", o.Scenario, strings.Join(Scenarios(), ", ")))
	}
	if p := o.Portal; isSSO(o.Scenario) && (p.URLName == "" || p.ClientID == "" || p.ClientSecret == "" || p.RedirectURI == "") {
		errs = append(errs, fmt.Errorf("scenario %s: the portal's URL name, client ID, secret and redirect URI are needed", o.Scenario))
	}
	if o.Concurrency < 1 || o.Members < 1 || o.Duration <= 0 || o.Warmup < 0 {
		errs = append(errs, errors.New("concurrency, members and duration must be positive"))
	}
	return errors.Join(errs...)
}

// Run performs one run: warm-up, then the measured windows. Flows that
// start in a window are counted in it, however late they end, and the
// window lasts until the last of them has ended.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.validate(); err != nil {
		return Result{}, err
	}
	if o.EmailOf == nil {
		o.EmailOf = benchseed.MemberEmail
	}
	workers := make([]*worker, o.Concurrency)
	for i := range workers {
		b, _ := newBrowser(o.BaseURL)
		workers[i] = &worker{opts: o, next: o.FirstMember + i, browser: b, errs: map[string]int{}}
		defer b.conn.close()
		if err := workers[i].prepare(); err != nil {
			return Result{}, err
		}
	}

	runWindow(ctx, workers, o.Warmup, false)
	windows := max(1, o.Windows)
	var m measured
	for i := range windows {
		if i > 0 && o.Between != nil {
			o.Between(ctx)
		}
		server, generator := sampleServer(o.ServerPID, i == 0), sampleServer(os.Getpid(), false)
		before, start := completed(workers), time.Now()
		runWindow(ctx, workers, o.Duration/time.Duration(windows), true)
		elapsed := time.Since(start)
		m.add(elapsed, server, sampleServer(o.ServerPID, false), generator, sampleServer(os.Getpid(), false))
		m.windowPerSecond = append(m.windowPerSecond, float64(completed(workers)-before)/elapsed.Seconds())
	}
	r := summarise(o, workers, m)
	if windows > 1 {
		r.WindowPerSecond = m.windowPerSecond
	}
	for _, w := range workers {
		r.NextMember = max(r.NextMember, w.next)
	}
	r.NextMember %= o.Members
	return r, ctx.Err()
}

// runWindow has every worker start flows for d, and returns when the last
// flow has ended. A measured window records each flow's time or error.
func runWindow(ctx context.Context, workers []*worker, d time.Duration, record bool) {
	if d <= 0 {
		return
	}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				err := w.iteration()
				if record {
					w.record(err, time.Since(t0))
				}
			}
		}()
	}
	wg.Wait()
}

// completed counts the flows the workers have completed in measured windows.
func completed(workers []*worker) int {
	n := 0
	for _, w := range workers {
		n += len(w.samples)
	}
	return n
}

func (w *worker) record(err error, took time.Duration) {
	if err == nil {
		w.samples = append(w.samples, took)
		return
	}
	class := errorClass(err)
	w.errs[class]++
	if class == "connection" {
		time.Sleep(20 * time.Millisecond) // do not spin on a refused connection
	}
}

// measured adds up the measured windows: their time, and the CPU the server
// and this process used in them (not between them).
type measured struct {
	elapsed             time.Duration
	serverCPU, benchCPU float64 // CPU seconds
	serverOK            bool
	peakRSSMB           float64
	windowPerSecond     []float64
}

func (m *measured) add(elapsed time.Duration, server0, server1, bench0, bench1 serverSample) {
	m.elapsed += elapsed
	m.benchCPU += bench1.cpuSeconds - bench0.cpuSeconds
	if server0.ok && server1.ok {
		m.serverOK = true
		m.serverCPU += server1.cpuSeconds - server0.cpuSeconds
		m.peakRSSMB = server1.peakRSSMB
	}
}

func (w *worker) iteration() error {
	if IsSignIn(w.opts.Scenario) {
		return w.signIn()
	}
	if w.sso != nil {
		return w.ssoIteration()
	}
	request := w.signed[w.turn%len(w.signed)]
	w.turn++
	a, err := w.browser.conn.roundTrip(request, statusOnly)
	if err == nil && a.status != http.StatusOK {
		err = statusError(a.status)
	}
	return err
}

// prepare signs in the scenarios that repeat requests of a signed-in
// member, and builds those requests with the session's cookie.
func (w *worker) prepare() error {
	var paths []string
	switch w.opts.Scenario {
	case ScenarioSession:
		paths = []string{"/whoami"}
	case ScenarioMembers:
		paths, w.opts.EmailOf = membersPages, func(int) string { return benchseed.AdminEmail }
	case ScenarioCode, ScenarioRefresh, ScenarioUserInfo, ScenarioIntrospect, ScenarioClientCred:
		return w.prepareSSO()
	default:
		return nil
	}
	if err := w.signIn(); err != nil {
		return fmt.Errorf("sign in before the %s scenario: %w", w.opts.Scenario, err)
	}
	for _, path := range paths {
		w.signed = append(w.signed, w.browser.request(path, nil))
	}
	return nil
}

// signIn does what a browser does: open the form, post it, follow the
// redirect to the Dashboard, entering an authenticator-app code on the way
// in the TOTP scenario. Each sign-in starts with no cookies.
func (w *worker) signIn() error {
	w.browser.forget()
	if err := w.open("/login", nil, "/login"); err != nil {
		return err
	}
	email := w.opts.EmailOf(w.next % w.opts.Members)
	w.next += w.opts.Concurrency
	form := url.Values{"organisation": {w.opts.Organisation}, "email": {email}, "password": {w.opts.Password}}
	if w.opts.Scenario == ScenarioSignInTOTP {
		if err := w.open("/login", form, "/login/mfa"); err != nil {
			return err
		}
		code, err := totp.GenerateCode(benchseed.TOTPSecret, time.Now())
		if err != nil {
			return err
		}
		form = url.Values{"method": {"totp"}, "code": {code}}
		return w.open("/login/mfa", form, "/dashboard")
	}
	return w.open("/login", form, "/dashboard")
}

// open visits path (posting form, if any) and follows the redirects, which
// must end with a page at want.
func (w *worker) open(path string, form url.Values, want string) error {
	a, page, err := w.browser.visit(path, form)
	switch {
	case err != nil:
		return err
	case a.status != http.StatusOK:
		return statusError(a.status)
	case page != want:
		return wrongPage(page)
	}
	return nil
}

type statusError int

// wrongPage is a flow that ended on another page than expected, such as a
// sign-in asking for a second factor the scenario does not give.
type wrongPage string

func (p wrongPage) Error() string { return "ended at " + string(p) }

func (s statusError) Error() string { return "HTTP " + strconv.Itoa(int(s)) }

func errorClass(err error) string {
	var s statusError
	if errors.As(err, &s) {
		return strconv.Itoa(int(s))
	}
	var p wrongPage
	var b badAnswer
	switch {
	case errors.As(err, &p):
		return p.Error()
	case errors.As(err, &b):
		return b.Error()
	case errors.Is(err, errRegranted):
		return "regrant"
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "connection"
}

func summarise(o Options, workers []*worker, m measured) Result {
	var all []time.Duration
	r := Result{Scenario: o.Scenario, Concurrency: o.Concurrency, Seconds: m.elapsed.Seconds(), Errors: map[string]int{}}
	for _, w := range workers {
		all = append(all, w.samples...)
		for k, v := range w.errs {
			r.Errors[k] += v
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r.Completed = len(all)
	r.PerSecond = float64(len(all)) / r.Seconds
	if len(all) > 0 {
		r.P50ms, r.P95ms, r.P99ms = ms(percentile(all, 50)), ms(percentile(all, 95)), ms(percentile(all, 99))
		r.MaxMs = ms(all[len(all)-1])
	}
	r.GeneratorCPU = m.benchCPU / r.Seconds
	if m.serverOK {
		r.ServerCPU = m.serverCPU / r.Seconds
		r.ServerPeakMB = m.peakRSSMB
	}
	return r
}

func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(i-1, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
