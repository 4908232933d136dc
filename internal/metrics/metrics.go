package metrics

import (
	"database/sql"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one process's collectors, in a registry of their own (no
// global state). Its methods are the hooks: each is a counter increment or
// a histogram observation, with no lock of its own.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	signIns   *prometheus.CounterVec
	lockouts  prometheus.Counter
	throttled *prometheus.CounterVec
	hashWait  prometheus.Histogram
	grants    *prometheus.CounterVec
	routes    sync.Map // route label → *routeMetrics
}

// New makes the collectors, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ims_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code."}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ims_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its handler's return, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ims_signins_total",
			Help: "Sign-in attempts by method (password, or the step that answered) and outcome " +
				"(success, failure, locked, refused, throttled, busy)."}, []string{"method", "outcome"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "ims_lockouts_total",
			Help: "Accounts (or unknown identifiers) locked after too many failed attempts."}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ims_throttled_requests_total",
			Help: "Sign-in attempts refused with 429 by a throttle, by the limit that refused them (address, organisation)."},
			[]string{"limit"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ims_password_hash_wait_seconds",
			Help:    "Time a password hash waited for a slot of the hashing pool (0 when one was free).",
			Buckets: []float64{0, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5}}),
		grants: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ims_token_grants_total",
			Help: "Token endpoint requests by grant type and outcome (success, or the OAuth error code)."},
			[]string{"grant_type", "outcome"}),
	}
	// Series that alerts watch exist from the start, at 0.
	for _, limit := range []string{"address", "organisation"} {
		m.throttled.WithLabelValues(limit)
	}
	for _, outcome := range []string{"success", "failure", "locked", "busy"} {
		m.signIns.WithLabelValues("password", outcome)
	}
	m.reg.MustRegister(m.requests, m.latency, m.signIns, m.lockouts, m.throttled, m.hashWait, m.grants,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4})
}

// signInMethods bound the method label: the password, the sign-in steps,
// and the password with each second factor.
var signInMethods = map[string]bool{"password": true, "verify-email": true, "phone": true, "mfa": true, "step": true,
	"reauthentication": true, "password+email": true, "password+sms": true, "password+totp": true,
	"password+webauthn": true, "password+backup": true}

// SignIn counts one sign-in attempt's outcome; a method it does not know
// is counted as "other".
func (m *Metrics) SignIn(method, outcome string) {
	if !signInMethods[method] {
		method = "other"
	}
	m.signIns.WithLabelValues(method, outcome).Inc()
}

// Throttled counts an attempt a throttle refused.
func (m *Metrics) Throttled(limit string) { m.throttled.WithLabelValues(limit).Inc() }

// Locked counts an identifier locked.
func (m *Metrics) Locked() { m.lockouts.Inc() }

// HashWaited records how long a hash waited for a slot.
func (m *Metrics) HashWaited(d time.Duration) { m.hashWait.Observe(d.Seconds()) }

// HashPool is what the metrics read from the password hashing pool at
// each scrape.
type HashPool interface {
	Workers() int
	Busy() int
	Waiting() int
	Computed() int64
	Rejected() int64
}

// WatchHashPool exposes the pool's slots, queue and refusals.
func (m *Metrics) WatchHashPool(p HashPool) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ims_password_hash_slots",
			Help: "Slots of the password hashing pool (hashes that may run at once)."},
			func() float64 { return float64(p.Workers()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ims_password_hash_busy_slots",
			Help: "Slots of the password hashing pool hashing now."}, func() float64 { return float64(p.Busy()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ims_password_hash_queue_length",
			Help: "Requests waiting for a slot of the password hashing pool."}, func() float64 { return float64(p.Waiting()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ims_password_hashes_total",
			Help: "Password hashes computed (sign-ins, unknown accounts' dummy hashes, password changes)."},
			func() float64 { return float64(p.Computed()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ims_password_hash_rejected_total",
			Help: "Requests answered 503 because the hashing pool stayed busy for the whole queue wait, or its queue was full."},
			func() float64 { return float64(p.Rejected()) }),
	)
}

// WatchDatabasePool exposes a database/sql pool's statistics, labelled
// db_name=name (SQLite has a "write" and a "read" pool).
func (m *Metrics) WatchDatabasePool(name string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}
