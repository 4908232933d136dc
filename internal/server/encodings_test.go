package server_test

import (
	"net/http"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
)

// TestLongFieldsAreRefusedHoweverTheBodyIsEncoded: a 9 KiB field is
// refused with 400 on every form route, signed in as an Owner, when the
// form is multipart or hides it behind a malformed pair, and nothing
// changes; so is a JSON body declared as text on the API.
func TestLongFieldsAreRefusedHoweverTheBodyIsEncoded(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	before := changes(t, app)
	long := strings.Repeat("x", 9<<10)
	post := func(path, contentType, body string) int {
		req, _ := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", app.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	multipart := "--b\r\nContent-Disposition: form-data; name=\"organisation\"\r\n\r\nAcme\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n" + long + "\r\n--b--\r\n"
	for _, path := range formRoutes {
		if got := post(path, "multipart/form-data; boundary=b", multipart); got != http.StatusBadRequest {
			t.Errorf("POST %s, multipart with a 9 KiB field: %d, want 400", path, got)
		}
		if got := post(path, "application/x-www-form-urlencoded", "a=%zz&name="+long); got != http.StatusBadRequest {
			t.Errorf("POST %s, a 9 KiB field after a malformed pair: %d, want 400", path, got)
		}
	}
	if got := post("/api/v1/members", "text/plain", `{"name":"`+long+`"}`); got != http.StatusBadRequest {
		t.Errorf("POST /api/v1/members, JSON declared as text with a 9 KiB field: %d, want 400", got)
	}
	if after := changes(t, app); after != before {
		t.Errorf("refused requests changed something: %s, before %s", after, before)
	}
}
