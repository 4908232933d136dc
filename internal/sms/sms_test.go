package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"imslogin/internal/sms"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// fakeTwilio speaks Twilio's Messages API: it checks the account's basic
// auth, answers 201 with a message resource, or fails while failing > 0.
type fakeTwilio struct {
	mu       sync.Mutex
	failing  int
	received []map[string]string
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC123/Messages.json" {
		http.Error(w, `{"code":20404,"message":"not found"}`, http.StatusNotFound)
		return
	}
	if !ok || user != "AC123" || pass != "secret-token" {
		http.Error(w, `{"code":20003,"message":"Authenticate"}`, http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing > 0 {
		f.failing--
		http.Error(w, `{"code":20500,"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	r.ParseForm()
	f.received = append(f.received, map[string]string{"To": r.PostForm.Get("To"), "From": r.PostForm.Get("From"), "Body": r.PostForm.Get("Body")})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"sid": "SM1", "status": "queued", "to": r.PostForm.Get("To")})
}

func twilioAt(t *testing.T, fake *fakeTwilio) sms.Provider {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	p, err := sms.FromURL("twilio://AC123:secret-token@" + strings.TrimPrefix(srv.URL, "http://") + "?from=%2B15550100&insecure=true")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCodeArrivesThroughTwilioAndFailuresAreRetriedFromTheOutbox(t *testing.T) {
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	fake := &fakeTwilio{failing: 1}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	if err := db.InTx(ctx, func(ctx context.Context) error {
		return sms.Enqueue(ctx, db, org.ID, "+447700900123", "123456 is your code", now)
	}); err != nil {
		t.Fatal(err)
	}
	w := &sms.Worker{Store: db, Provider: twilioAt(t, fake), Now: clock, FirstRetry: 15 * time.Second}
	if sent, err := w.RunOnce(ctx); sent != 0 || err != nil {
		t.Fatalf("first round while Twilio fails: sent %d, %v", sent, err)
	}
	if sent, _ := w.RunOnce(ctx); sent != 0 {
		t.Fatal("retried before its time")
	}
	now = now.Add(15 * time.Second)
	if sent, err := w.RunOnce(ctx); sent != 1 || err != nil {
		t.Fatalf("retry: sent %d, %v", sent, err)
	}
	if len(fake.received) != 1 {
		t.Fatalf("Twilio got %d messages", len(fake.received))
	}
	got := fake.received[0]
	if got["To"] != "+447700900123" || got["From"] != "+15550100" || got["Body"] != "123456 is your code" {
		t.Errorf("Twilio got %v", got)
	}
	list, _ := db.RecentSMS(ctx, 10)
	if len(list) != 1 || list[0].Status != store.MailSent || list[0].Attempts != 2 {
		t.Errorf("outbox after delivery: %+v", list)
	}
}

func TestTwilioRefusalIsNotRetried(t *testing.T) {
	p, _ := sms.FromURL("twilio://AC123:wrong@127.0.0.1:1?from=%2B15550100&insecure=true")
	fake := &fakeTwilio{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	p.(*sms.Twilio).BaseURL = srv.URL
	err := p.Send(context.Background(), "+447700900123", "hi")
	var permanent *sms.PermanentError
	if !errors.As(err, &permanent) {
		t.Errorf("bad credentials: got %v, want a permanent error", err)
	}
}

func TestWebhookIsSigned(t *testing.T) {
	var got struct {
		body      []byte
		ts, sig   string
		userInfo  bool
		queryKept string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.body, _ = io.ReadAll(r.Body)
		got.ts, got.sig = r.Header.Get("X-IMS-Timestamp"), r.Header.Get("X-IMS-Signature")
		_, got.userInfo = r.Header["Authorization"]
		got.queryKept = r.URL.Query().Get("route")
	}))
	defer srv.Close()
	p, err := sms.FromURL("webhook+http://:hook-secret@" + strings.TrimPrefix(srv.URL, "http://") + "/send?route=eu")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(context.Background(), "+919812345678", "654321 is your code"); err != nil {
		t.Fatal(err)
	}
	if got.sig != sms.Sign([]byte("hook-secret"), got.ts, got.body) || got.ts == "" {
		t.Errorf("signature %q does not verify", got.sig)
	}
	if got.sig == sms.Sign([]byte("other"), got.ts, got.body) {
		t.Error("signature does not depend on the secret")
	}
	var msg map[string]string
	json.Unmarshal(got.body, &msg)
	if msg["to"] != "+919812345678" || msg["body"] != "654321 is your code" {
		t.Errorf("body %s", got.body)
	}
	if got.userInfo || got.queryKept != "eu" {
		t.Errorf("the secret must not be sent (auth header %v); the path's query must be (%q)", got.userInfo, got.queryKept)
	}
}

func TestProviderURLs(t *testing.T) {
	for _, bad := range []string{"twilio://AC1@default?from=%2B1555", "twilio://AC1:tok@default", "webhook+https://host/x",
		"carrier-pigeon://x", "webhook+ftp://:s@host/x", "webhook+http://:s@gw.example/send", "webhook+http://:s@10.0.0.1/send",
		"webhook+http://:s@127.0.0.1.example/send"} {
		if _, err := sms.FromURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p, err := sms.FromURL("twilio://AC1:tok@default?from=%2B15550100")
	if err != nil || p.(*sms.Twilio).BaseURL != "https://api.twilio.com" {
		t.Errorf("default Twilio: %+v, %v", p, err)
	}
	for _, local := range []string{"webhook+http://:s@127.0.0.1:8080/send", "webhook+http://:s@localhost/send", "webhook+http://:s@[::1]/send"} {
		if _, err := sms.FromURL(local); err != nil {
			t.Errorf("plain http to this machine %q refused: %v", local, err)
		}
	}
	if p, err := sms.FromURL("dev://"); p != nil || err != nil {
		t.Errorf("dev: %v, %v", p, err)
	}
}

func TestInternationalNumbers(t *testing.T) {
	for _, tc := range []struct{ number, region, want string }{
		{"07400 123456", "GB", "+447400123456"},
		{"+44 7400 123456", "US", "+447400123456"},
		{"098123 45678", "IN", "+919812345678"},
		{"+91 98123 45678", "", "+919812345678"},
		{"(11) 96123-4567", "BR", "+5511961234567"},
		{"+55 11 96123 4567", "", "+5511961234567"},
		{"(201) 555-0123", "US", "+12015550123"},
	} {
		got, err := sms.Normalise(tc.number, tc.region)
		if err != nil || got != tc.want {
			t.Errorf("%q in %s: got %q, %v; want %q", tc.number, tc.region, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ number, region string }{
		{"", "GB"}, {"12", "GB"}, {"not a number", "GB"}, {"+44 7700", ""}, {"0770090012345678", "GB"},
		{"+999 123456789", ""}, {"98123 45678", ""}, {"020 7946 0018", "GB"}, // a London landline
	} {
		if got, err := sms.Normalise(tc.number, tc.region); err == nil {
			t.Errorf("%q in %q accepted as %q", tc.number, tc.region, got)
		} else if !strings.Contains(err.Error(), "number") {
			t.Errorf("%q: unclear message %q", tc.number, err)
		}
	}
}

// The webhook does not follow redirects: the signed message goes to the
// configured gateway only.
func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	gw := httptest.NewServer(http.RedirectHandler(other.URL+"/steal", http.StatusTemporaryRedirect))
	defer gw.Close()
	p, err := sms.FromURL("webhook+http://:hook-secret@" + strings.TrimPrefix(gw.URL, "http://") + "/send")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(context.Background(), "+447700900123", "Your code is 123456"); err == nil {
		t.Error("a redirect counted as delivered")
	}
	if elsewhere.Load() != 0 {
		t.Error("the message followed the redirect")
	}
}
