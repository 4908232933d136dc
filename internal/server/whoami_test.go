package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestWhoAmIAppliesTheSessionRules checks GET /whoami, the session check
// portals make, against the rules every page applies: it tells who is
// signed in, and answers 401 once the session idled out, was ended, or its
// member was disabled.
func TestWhoAmIAppliesTheSessionRules(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	whoami := func() (int, map[string]any) {
		t.Helper()
		resp, body := app.Get(t, c, "/whoami")
		var v map[string]any
		json.Unmarshal([]byte(body), &v)
		return resp.StatusCode, v
	}
	if status, _ := whoami(); status != 401 {
		t.Errorf("before signing in: %d", status)
	}
	app.SignIn(t, c, "ana@acme.test")
	status, v := whoami()
	member, _ := v["member"].(map[string]any)
	org, _ := v["organisation"].(map[string]any)
	if status != 200 || member["email"] != "ana@acme.test" || org["name"] != app.Org.Name || v["expires_at"] == nil {
		t.Fatalf("signed in: %d %v", status, v)
	}

	app.Clock.Advance(app.Org.Settings.SessionIdleTimeout + time.Minute)
	if status, _ := whoami(); status != 401 {
		t.Errorf("after the idle limit: %d", status)
	}
	if list, _ := app.DB.MemberSessions(context.Background(), app.Org.ID, app.Member.ID); len(list) != 0 {
		t.Errorf("the idle session was kept: %+v", list)
	}

	app.SignIn(t, c, "ana@acme.test")
	if err := app.DB.SetMemberStatus(context.Background(), app.Org.ID, app.Member.ID, store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if status, _ := whoami(); status != 401 {
		t.Errorf("after the member was disabled: %d", status)
	}
	app.DB.SetMemberStatus(context.Background(), app.Org.ID, app.Member.ID, store.StatusActive)

	app.SignIn(t, c, "ana@acme.test")
	app.Post(t, c, "/logout", nil)
	if status, _ := whoami(); status != 401 {
		t.Errorf("after signing out: %d", status)
	}
}
