package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// The server configured with IMS_SMS_URL pointing at a local server that
// speaks Twilio's Messages API: the code a member is texted arrives there
// and signs them in.
func TestSMSCodeArrivesThroughTwilio(t *testing.T) {
	var mu sync.Mutex
	var texts []url.Values
	twilio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, _ := r.BasicAuth(); user != "AC1" || pass != "tok" || r.URL.Path != "/2010-04-01/Accounts/AC1/Messages.json" {
			http.Error(w, `{"message":"Authenticate"}`, http.StatusUnauthorized)
			return
		}
		r.ParseForm()
		mu.Lock()
		texts = append(texts, r.PostForm)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"sid":"SM1","status":"queued"}`))
	}))
	defer twilio.Close()
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) {
		c.SMSURL = "twilio://AC1:tok@" + strings.TrimPrefix(twilio.URL, "http://") + "?from=%2B15550100&insecure=true"
	}})
	requireMFA(t, app, "sms")
	ctx := context.Background()
	if err := app.DB.InTx(ctx, func(ctx context.Context) error {
		return app.DB.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: app.Org.ID, MemberID: app.Member.ID, Method: "sms",
			Name: "+447400123456", Secret: []byte("+447400123456"), CreatedAt: app.Clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	c := app.Browser(t)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
		t.Fatalf("went to %s", loc)
	}
	app.Get(t, c, "/login/mfa")
	if app.Server.SMS == nil {
		t.Fatal("no SMS worker with IMS_SMS_URL set")
	}
	if sent, err := app.Server.SMS.RunOnce(ctx); sent != 1 || err != nil {
		t.Fatalf("worker: sent %d, %v", sent, err)
	}
	if len(texts) != 1 || texts[0].Get("To") != "+447400123456" || texts[0].Get("From") != "+15550100" {
		t.Fatalf("Twilio got %v", texts)
	}
	code := sixDigits.FindString(texts[0].Get("Body"))
	if resp, _ := submitCode(t, app, c, "sms", code, false); resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("the texted code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if list, _ := app.DB.RecentSMS(ctx, 1); len(list) != 1 || list[0].Status != store.MailSent || list[0].Body != "" {
		t.Errorf("outbox after delivery keeps %+v", list)
	}
}
