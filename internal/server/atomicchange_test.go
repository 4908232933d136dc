package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"imslogin/internal/server/servertest"
)

// TestPasswordChangeStandsOrFallsWithItsNewSession: when this browser's
// new session cannot be stored, the password is not changed either, so a
// member told to try again still signs in with the password they had.
func TestPasswordChangeStandsOrFallsWithItsNewSession(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	writer := app.DB.Pools()["write"]
	if _, err := writer.Exec(`CREATE TRIGGER refuse_sessions BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	next := "violet harbour lantern seventeen"
	resp, _ := app.Post(t, c, "/profile/password", url.Values{"current_password": {servertest.Password},
		"password": {next}, "password_confirm": {next}})
	if resp.StatusCode < http.StatusInternalServerError {
		t.Fatalf("password change without a session store: %d, want a server error", resp.StatusCode)
	}
	if _, err := writer.Exec(`DROP TRIGGER refuse_sessions`); err != nil {
		t.Fatal(err)
	}
	app.SignIn(t, app.Browser(t), app.Member.Email) // with the old password
}
