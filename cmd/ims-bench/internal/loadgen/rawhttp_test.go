package loadgen

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestReadAnswer(t *testing.T) {
	for _, c := range []struct {
		name, answer string
		status       int
		keepAlive    bool
		err          string
	}{
		{"ok", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{}\n\r\n", 200, true, ""},
		{"closing", "HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}", 401, false, ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\na;x=y\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n", 200, true, ""},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, false, "malformed chunk size"},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n{}", 200, false, "without Content-Length"},
		{"garbage", "SSH-2.0-OpenSSH\r\n", 0, false, "malformed status line"},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}", 200, false, "EOF"},
	} {
		a, err := readAnswer(bufio.NewReader(strings.NewReader(c.answer)), statusOnly)
		if a.status != c.status || a.keepAlive != c.keepAlive {
			t.Errorf("%s: status %d keep-alive %v, want %d %v", c.name, a.status, a.keepAlive, c.status, c.keepAlive)
		}
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
	}
}

// TestTwoAnswersOnOneConnection reads answers back to back, as a kept-alive
// connection delivers them, keeping the redirect and cookies when asked.
func TestTwoAnswersOnOneConnection(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("HTTP/1.1 303 See Other\r\nLocation: /dashboard\r\n" +
		"Set-Cookie: ims_session=abc; Path=/; HttpOnly\r\nSet-Cookie: ims_flow=; Path=/login; Max-Age=0\r\nContent-Length: 3\r\n\r\nabc" +
		"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"))
	a, err := readAnswer(r, withHeaders)
	if err != nil || a.status != 303 || a.location != "/dashboard" ||
		len(a.cookies) != 2 || a.cookies[0] != (cookie{"ims_session", "abc"}) || a.cookies[1] != (cookie{"ims_flow", ""}) {
		t.Fatalf("first answer: %+v, %v", a, err)
	}
	if a, err := readAnswer(r, statusOnly); a.status != 401 || err != nil || a.location != "" {
		t.Fatalf("second answer: %+v, %v", a, err)
	}
}

// TestBrowserKeepsCookiesAndFollowsRedirects posts a form to a server that
// sets a cookie, deletes another and redirects: the browser follows with
// the right cookies, on one connection.
func TestBrowserKeepsCookiesAndFollowsRedirects(t *testing.T) {
	var conns atomic.Int64 // counted on the server's goroutine
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.SetCookie(w, &http.Cookie{Name: "old", Value: "1"})
			w.Write([]byte(strings.Repeat("a page larger than the server buffers, so it is sent in chunks ", 100)))
		case "/post":
			if r.Method != http.MethodPost || r.PostFormValue("name") != "Ana Lima" || r.Header.Get("Origin") == "" {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "old", MaxAge: -1})
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1"})
			http.Redirect(w, r, "/done?x=1", http.StatusSeeOther)
		case "/done":
			w.Write([]byte(r.Header.Get("Cookie")))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	b, err := newBrowser(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer b.conn.close()
	if a, _, err := b.visit("/start", nil); err != nil || a.status != 200 {
		t.Fatalf("start: %+v %v", a, err)
	}
	a, page, err := b.visit("/post", url.Values{"name": {"Ana Lima"}})
	if err != nil || a.status != 200 || page != "/done?x=1" {
		t.Fatalf("post: %+v at %s, %v", a, page, err)
	}
	if len(b.cookies) != 1 || b.cookies[0] != (cookie{"session", "s1"}) || conns.Load() != 1 {
		t.Errorf("cookies %v over %d connections; want only the session, on one", b.cookies, conns.Load())
	}
	if _, err := newBrowser("https://example.org"); err == nil {
		t.Error("an https URL was accepted")
	}
}

// TestReadAnswerKeepsTheBody: asked for, a body is kept whether sized or
// sent in chunks (the token endpoint's answers carry the tokens).
func TestReadAnswerKeepsTheBody(t *testing.T) {
	for _, answer := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"a\":\"12345\"}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{\"a\":\"\r\n7\r\n12345\"}\r\n0\r\n\r\n",
	} {
		a, err := readAnswer(bufio.NewReader(strings.NewReader(answer)), withBody)
		if err != nil || string(a.body) != `{"a":"12345"}` {
			t.Errorf("%q: body %q, %v", answer, a.body, err)
		}
	}
}
