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

// TestLongQueryFieldsAreRefused: a query field over 8 KiB is refused with
// 400 and a page saying so on every page, the provider's included, signed
// in or not, and on a form post; a long query of short fields is not.
func TestLongQueryFieldsAreRefused(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	long := strings.Repeat("x", 9<<10)
	for _, path := range append(pages, "/o/acme/authorize", "/o/acme/.well-known/openid-configuration", "/api/v1/members") {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		resp, body := app.Get(t, c, path+sep+"return_to="+long)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "too long") {
			t.Errorf("GET %s with a 9 KiB query field: %d, want 400 saying it is too long", path, resp.StatusCode)
		}
	}
	resp, _ := app.Post(t, c, "/profile?name="+long, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /profile with a 9 KiB query field: %d, want 400", resp.StatusCode)
	}
	many := strings.Repeat("a=1&", 3000) // 12 KB of short fields
	if resp, _ := app.Get(t, c, "/dashboard?"+many); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /dashboard with 12 KB of short query fields: %d, want 200", resp.StatusCode)
	}
}
