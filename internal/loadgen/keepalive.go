package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// keepAliveGetter repeats one GET over a kept-alive HTTP/1.1 connection,
// writing a prebuilt request and reading the answer without allocating.
// net/http's client spends more CPU per request than the server spends on
// a session check, and the generator shares the server's cores, so the
// session scenario uses this instead.
type keepAliveGetter struct {
	addr    string
	request []byte
	conn    net.Conn
	r       *bufio.Reader
}

// newKeepAliveGetter prepares GET path on base (http only) with the cookies.
func newKeepAliveGetter(base *url.URL, path string, cookies []*http.Cookie) (*keepAliveGetter, error) {
	if base.Scheme != "http" {
		return nil, fmt.Errorf("the session scenario speaks plain HTTP; got %s", base.Scheme)
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ims-bench\r\n", path, base.Host)
	for i, c := range cookies {
		if i == 0 {
			req.WriteString("Cookie: ")
		} else {
			req.WriteString("; ")
		}
		req.WriteString(c.Name + "=" + c.Value)
	}
	if len(cookies) > 0 {
		req.WriteString("\r\n")
	}
	req.WriteString("\r\n")
	addr := base.Host
	if base.Port() == "" {
		addr = net.JoinHostPort(base.Hostname(), "80")
	}
	return &keepAliveGetter{addr: addr, request: req.Bytes()}, nil
}

// get sends the request and returns the answer's status.
func (g *keepAliveGetter) get() (int, error) {
	if g.conn == nil {
		conn, err := net.DialTimeout("tcp", g.addr, 10*time.Second)
		if err != nil {
			return 0, err
		}
		g.conn, g.r = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	g.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := g.conn.Write(g.request); err != nil {
		g.close()
		return 0, err
	}
	status, keepAlive, err := readAnswer(g.r)
	if err != nil || !keepAlive {
		g.close()
	}
	return status, err
}

func (g *keepAliveGetter) close() {
	if g.conn != nil {
		g.conn.Close()
		g.conn = nil
	}
}

var (
	contentLength   = []byte("content-length:")
	connectionClose = []byte("connection: close")
	chunked         = []byte("transfer-encoding: chunked")
)

// readAnswer reads one HTTP/1.1 answer with a Content-Length body and
// discards the body. Chunked answers are refused: the server sets a length
// on every answer small enough to buffer, which session checks are.
func readAnswer(r *bufio.Reader) (status int, keepAlive bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	length, keepAlive := -1, true
	for {
		if line, err = r.ReadSlice('\n'); err != nil {
			return status, false, err
		}
		header := bytes.TrimRight(line, "\r\n")
		if len(header) == 0 {
			break
		}
		switch {
		case hasPrefixFold(header, contentLength):
			length, err = strconv.Atoi(string(bytes.TrimSpace(header[len(contentLength):])))
			if err != nil {
				return status, false, fmt.Errorf("malformed header %q", header)
			}
		case hasPrefixFold(header, connectionClose):
			keepAlive = false
		case hasPrefixFold(header, chunked):
			return status, false, errors.New("chunked answers are not supported")
		}
	}
	if length < 0 {
		return status, false, errors.New("answer without Content-Length")
	}
	_, err = r.Discard(length)
	return status, keepAlive, err
}

func hasPrefixFold(s, prefix []byte) bool {
	return len(s) >= len(prefix) && bytes.EqualFold(s[:len(prefix)], prefix)
}
