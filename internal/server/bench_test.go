package server_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"imslogin/internal/server/servertest"
)

// BenchmarkSessionCheck measures GET /whoami with a valid session: the
// request every portal and page makes.
func BenchmarkSessionCheck(b *testing.B) {
	app := servertest.New(b, servertest.Options{})
	c := app.Browser(b)
	app.SignIn(b, c, "ana@acme.test")
	u, _ := url.Parse(app.URL)
	cookies := c.Jar.Cookies(u)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		client := &http.Client{}
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, app.URL+"/whoami", nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkSignIn measures the whole password sign-in over HTTP, argon2id
// included, with the test's cheap parameters.
func BenchmarkSignIn(b *testing.B) {
	app := servertest.New(b, servertest.Options{})
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := app.Browser(b)
			app.SignIn(b, c, "ana@acme.test")
		}
	})
}
