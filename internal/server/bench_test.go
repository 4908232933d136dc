package server_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"imslogin/internal/benchseed"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store/sqlstore/sqltest"
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

// BenchmarkSignInExcludingHash is a member's whole sign-in as a browser
// makes it (the form, the password, the Dashboard) against two servers, one
// with 1,000 members and one with 1,000,000, in turn, one sign-in at a
// time, with each hasher's own time taken out. Taking turns puts the two
// under the same machine at every moment, so the ratio holds on a noisy
// one:
//
//	go test ./internal/server -run XXX -bench SignInExcludingHash -benchtime 3000x
//
// On SQLite, or with IMS_PERF_DATABASE=postgres on two PostgreSQL
// databases (IMS_TEST_DATABASE_URL names the server).
func BenchmarkSignInExcludingHash(b *testing.B) {
	sizes := []int{1_000, 1_000_000}
	apps := make([]*servertest.App, len(sizes))
	for i, n := range sizes {
		apps[i] = servertest.New(b, servertest.Options{DB: sqltest.ForPerformance(b)})
		seedMembers(b, apps[i], n)
	}
	spent := make([]time.Duration, len(sizes))
	signIn := func(i int) {
		app, c := apps[i], apps[i].Browser(b)
		email := benchseed.MemberEmail(rand.IntN(sizes[i]))
		start, hashing := time.Now(), app.Server.Hasher.Spent()
		if resp, _ := app.Get(b, c, "/login"); resp.StatusCode != http.StatusOK {
			b.Fatalf("sign-in form: %d", resp.StatusCode)
		}
		app.SignIn(b, c, email)
		if resp, _ := app.Get(b, c, "/dashboard"); resp.StatusCode != http.StatusOK {
			b.Fatalf("Dashboard: %d", resp.StatusCode)
		}
		spent[i] += time.Since(start) - (app.Server.Hasher.Spent() - hashing)
	}
	for range 200 { // warm both
		signIn(0)
		signIn(1)
	}
	clear(spent)
	b.ResetTimer()
	for b.Loop() {
		signIn(0)
		signIn(1)
	}
	small, large := spent[0].Seconds()*1e6/float64(b.N), spent[1].Seconds()*1e6/float64(b.N)
	b.ReportMetric(small, "1k-members-µs/op")
	b.ReportMetric(large, "1M-members-µs/op")
	b.ReportMetric(large/small, "1M÷1k")
}

// seedMembers adds the members ims dev seed would, with the test password,
// in batches as it does (statistics refreshed after), then writes the
// database out to the disk, so the timed sign-ins do not share the machine
// with the seed's write-back.
func seedMembers(b *testing.B, app *servertest.App, n int) {
	hash, err := app.Server.Hasher.Hash(context.Background(), servertest.Password)
	if err != nil {
		b.Fatal(err)
	}
	if err := benchseed.SeedMembers(context.Background(), app.DB, app.Org.ID, n, hash, nil); err != nil {
		b.Fatal(err)
	}
	if err := app.DB.RefreshStatistics(context.Background()); err != nil {
		b.Fatal(err)
	}
	syscall.Sync()
}
