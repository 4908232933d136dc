package loadgen

import (
	"bufio"
	"strings"
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
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 200, false, "chunked"},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n{}", 200, false, "without Content-Length"},
		{"garbage", "SSH-2.0-OpenSSH\r\n", 0, false, "malformed status line"},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}", 200, false, "EOF"},
	} {
		status, keepAlive, err := readAnswer(bufio.NewReader(strings.NewReader(c.answer)))
		if status != c.status || (err == nil && keepAlive != c.keepAlive) {
			t.Errorf("%s: status %d keep-alive %v, want %d %v", c.name, status, keepAlive, c.status, c.keepAlive)
		}
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
	}
}

// TestTwoAnswersOnOneConnection reads answers back to back, as a kept-alive
// connection delivers them.
func TestTwoAnswersOnOneConnection(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"))
	for _, want := range []int{200, 401} {
		if status, _, err := readAnswer(r); status != want || err != nil {
			t.Fatalf("status %d, %v; want %d", status, err, want)
		}
	}
}
