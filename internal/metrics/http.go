package metrics

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Router names the route pattern a request matches ("" when none), as
// http.ServeMux.Handler does.
type Router func(r *http.Request) (pattern string)

// Middleware counts every request by route pattern and status code and
// observes its latency. Labels come from the mux's patterns, never from
// raw paths, so their number stays bounded whatever clients send.
func (m *Metrics) Middleware(next http.Handler, route Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		rm := m.route(routeLabel(route(r), r.URL.Path))
		rm.count(m, rec.status())
		rm.latency.Observe(time.Since(start).Seconds())
	})
}

// routeMetrics are one route's series, found once: a request then costs
// no label hashing.
type routeMetrics struct {
	label   string
	latency prometheus.Observer
	codes   sync.Map // status code → prometheus.Counter
}

func (m *Metrics) route(label string) *routeMetrics {
	if rm, ok := m.routes.Load(label); ok {
		return rm.(*routeMetrics)
	}
	rm, _ := m.routes.LoadOrStore(label, &routeMetrics{label: label, latency: m.latency.WithLabelValues(label)})
	return rm.(*routeMetrics)
}

func (rm *routeMetrics) count(m *Metrics, code int) {
	c, ok := rm.codes.Load(code)
	if !ok {
		c, _ = rm.codes.LoadOrStore(code, m.requests.WithLabelValues(rm.label, strconv.Itoa(code)))
	}
	c.(prometheus.Counter).Inc()
}

// providerPaths are the OpenID Connect provider's endpoints below
// /o/{org}/, which the mux sees as one pattern.
var providerPaths = map[string]bool{
	"authorize": true, "authorize/callback": true, "oauth/token": true, "oauth/introspect": true, "userinfo": true,
	"revoke": true, "end_session": true, "keys": true, ".well-known/openid-configuration": true,
	"device_authorization": true, "login": true, "consent": true,
}

// routeLabel is the pattern, split by endpoint for the provider's one
// pattern; "unmatched" for requests no route matched.
func routeLabel(pattern, path string) string {
	if pattern == "" {
		return "unmatched"
	}
	if pattern != "/o/{org}/" {
		return pattern
	}
	rest := path[min(len(path), 3):] // past "/o/"
	if i := strings.IndexByte(rest, '/'); i >= 0 && providerPaths[rest[i+1:]] {
		return "/o/{org}/" + rest[i+1:]
	}
	return "/o/{org}/other"
}

// recorder keeps the status code a handler wrote.
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes flushes on.
func (r *recorder) Flush() { http.NewResponseController(r.ResponseWriter).Flush() }

// Hijack passes hijacks on.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// grantTypes and oauthErrors bound the labels of token grants.
var (
	grantTypes = map[string]bool{"authorization_code": true, "refresh_token": true, "client_credentials": true,
		"urn:ietf:params:oauth:grant-type:jwt-bearer": true, "urn:ietf:params:oauth:grant-type:token-exchange": true,
		"urn:ietf:params:oauth:grant-type:device_code": true}
	oauthErrors = map[string]bool{"invalid_request": true, "invalid_client": true, "invalid_grant": true,
		"unauthorized_client": true, "unsupported_grant_type": true, "invalid_scope": true, "server_error": true,
		"access_denied": true}
)

// TokenGrants counts the token endpoint's grants by type and outcome. It
// wraps the OpenID Connect provider and looks only at POSTs to its token
// endpoint: it reads the form (the provider then finds it parsed) and, for
// a refusal, the OAuth error code of the answer's body.
func (m *Metrics) TokenGrants(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/oauth/token") {
			next.ServeHTTP(w, r)
			return
		}
		grant := r.PostFormValue("grant_type")
		if !grantTypes[grant] {
			grant = "other"
		}
		rec := &errorRecorder{recorder: recorder{ResponseWriter: w}}
		next.ServeHTTP(rec, r)
		m.grants.WithLabelValues(grant, rec.outcome()).Inc()
	})
}

// errorRecorder keeps the start of a refusal's body, for its error code.
type errorRecorder struct {
	recorder
	body []byte
}

func (e *errorRecorder) Write(b []byte) (int, error) {
	if e.status() >= 400 && len(e.body) < 512 {
		e.body = append(e.body, b[:min(len(b), 512-len(e.body))]...)
	}
	return e.recorder.Write(b)
}

func (e *errorRecorder) outcome() string {
	if e.status() < 400 {
		return "success"
	}
	var answer struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(e.body, &answer) == nil && oauthErrors[answer.Error] {
		return answer.Error
	}
	return "error_" + strconv.Itoa(e.status())
}
