package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/web"
)

// TestUnreachableDatabaseAnswers503WithRetryAfter: a server error from a
// request that met the database out of reach, noted by the store on the
// request or found while the request ran, becomes 503 with Retry-After,
// as a page or as the API's JSON; another server error stays a 500; a 503
// always carries Retry-After.
func TestUnreachableDatabaseAnswers503WithRetryAfter(t *testing.T) {
	pages, err := web.NewRenderer(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	handler := retryWhenUnreachable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("fault") {
		case "noted":
			store.NoteUnreachable(r.Context())
		case "during":
			last = time.Now()
		case "busy":
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		http.Error(w, "Internal error; nothing was changed.", http.StatusInternalServerError)
	}), pages, func() time.Time { return last })
	for _, c := range []struct {
		target, retryAfter, body string
		status                   int
	}{
		{"/profile/password?fault=noted", "2", "briefly unavailable", 503},
		{"/api/v1/members?fault=noted", "2", `{"error":"The service is briefly unavailable`, 503},
		{"/login?fault=during", "2", "briefly unavailable", 503},
		{"/login?fault=busy", "2", "busy", 503},
		{"/login", "", "Internal error", 500}, // the database was away before, not during, this request
	} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("POST", c.target, nil))
		body := strings.ReplaceAll(w.Body.String(), " ", "")
		if w.Code != c.status || w.Header().Get("Retry-After") != c.retryAfter ||
			!strings.Contains(body, strings.ReplaceAll(c.body, " ", "")) || strings.Count(w.Body.String(), "Internal error") > 0 && c.status == 503 {
			t.Errorf("%s: %d, Retry-After %q\n%.400s\nwant %d, Retry-After %q, %q", c.target, w.Code, w.Header().Get("Retry-After"),
				w.Body.String(), c.status, c.retryAfter, c.body)
		}
	}
}
