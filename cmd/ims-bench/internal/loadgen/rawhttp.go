package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The generator speaks HTTP/1.1 itself, over one kept-alive connection per
// client: net/http's client spends more CPU per request than the server
// spends on a session check, and the generator shares the server's cores,
// so every microsecond it uses is taken from the server it measures.

// rawConn is one kept-alive HTTP/1.1 connection, redialled when the server
// closes it.
type rawConn struct {
	addr string
	conn net.Conn
	io   io.ReadWriter // conn, made quiet
	r    *bufio.Reader
}

// answer is what the generator reads of a response.
type answer struct {
	status    int
	keepAlive bool
	location  string
	cookies   []cookie // from Set-Cookie, in order; an empty value deletes
	body      []byte   // only when read with withBody
}

// reading says what of an answer roundTrip keeps beyond its status.
type reading int

const (
	statusOnly  reading = 0
	withHeaders reading = 1 << iota // Location and Set-Cookie
	withBody                        // the body, for the tokens in it
)

type cookie struct{ name, value string }

// roundTrip writes one request and reads its answer, keeping what want
// says; with statusOnly, nothing is allocated.
func (c *rawConn) roundTrip(request []byte, want reading) (answer, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 10*time.Second)
		if err != nil {
			return answer{}, err
		}
		c.conn, c.io = conn, quiet(conn)
		c.r = bufio.NewReaderSize(c.io, 16<<10)
	}
	c.conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.io.Write(request); err != nil {
		c.close()
		return answer{}, err
	}
	a, err := readAnswer(c.r, want)
	if err != nil || !a.keepAlive {
		c.close()
	}
	return a, err
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

var (
	contentLength   = []byte("content-length:")
	connectionClose = []byte("connection: close")
	chunked         = []byte("transfer-encoding: chunked")
	locationHeader  = []byte("location:")
	setCookie       = []byte("set-cookie:")
)

// readAnswer reads one HTTP/1.1 answer, sized by Content-Length or sent in
// chunks, and discards its body unless want has withBody.
func readAnswer(r *bufio.Reader, want reading) (a answer, err error) {
	headers := want&withHeaders != 0
	line, err := r.ReadSlice('\n')
	if err != nil {
		return a, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return a, fmt.Errorf("malformed status line %q", line)
	}
	if a.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return a, fmt.Errorf("malformed status line %q", line)
	}
	length, inChunks := -1, false
	a.keepAlive = true
	for {
		if line, err = r.ReadSlice('\n'); err != nil {
			a.keepAlive = false
			return a, err
		}
		header := bytes.TrimRight(line, "\r\n")
		if len(header) == 0 {
			break
		}
		switch {
		case hasPrefixFold(header, contentLength):
			length, err = strconv.Atoi(string(bytes.TrimSpace(header[len(contentLength):])))
			if err != nil {
				a.keepAlive = false
				return a, fmt.Errorf("malformed header %q", header)
			}
		case hasPrefixFold(header, connectionClose):
			a.keepAlive = false
		case hasPrefixFold(header, chunked):
			inChunks = true
		case headers && hasPrefixFold(header, locationHeader):
			a.location = string(bytes.TrimSpace(header[len(locationHeader):]))
		case headers && hasPrefixFold(header, setCookie):
			a.cookies = append(a.cookies, parseSetCookie(string(header[len(setCookie):])))
		}
	}
	var body *[]byte
	if want&withBody != 0 {
		body = &a.body
	}
	switch {
	case inChunks:
		err = readChunks(r, body)
	case length >= 0:
		err = readBody(r, length, body)
	default:
		err = errors.New("answer without Content-Length or chunks")
	}
	if err != nil {
		a.keepAlive = false
	}
	return a, err
}

// readBody reads n bytes of body, appended to dst or, if nil, discarded.
func readBody(r *bufio.Reader, n int, dst *[]byte) error {
	if dst == nil {
		_, err := r.Discard(n)
		return err
	}
	start := len(*dst)
	*dst = append(*dst, make([]byte, n)...)
	_, err := io.ReadFull(r, (*dst)[start:])
	return err
}

// readChunks reads a chunked body (RFC 9112, 7.1) to its end, into dst
// (nil: discarded).
func readChunks(r *bufio.Reader, dst *[]byte) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(sizeText), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("malformed chunk size %q", line)
		}
		if size == 0 {
			break
		}
		if err := readBody(r, int(size), dst); err != nil {
			return err
		}
		if crlf, err := r.ReadSlice('\n'); err != nil || len(bytes.TrimRight(crlf, "\r\n")) != 0 {
			return fmt.Errorf("malformed chunk end %q", crlf)
		}
	}
	for { // trailers, up to the blank line
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}

// parseSetCookie reads a Set-Cookie value's name and value; Max-Age=0 (or
// below) deletes the cookie, as a browser would.
func parseSetCookie(v string) cookie {
	first, attrs, _ := strings.Cut(v, ";")
	name, value, _ := strings.Cut(strings.TrimSpace(first), "=")
	for _, attr := range strings.Split(attrs, ";") {
		k, n, _ := strings.Cut(strings.TrimSpace(attr), "=")
		if age, err := strconv.Atoi(n); strings.EqualFold(k, "max-age") && err == nil && age <= 0 {
			value = ""
		}
	}
	return cookie{name: name, value: value}
}

func hasPrefixFold(s, prefix []byte) bool {
	return len(s) >= len(prefix) && bytes.EqualFold(s[:len(prefix)], prefix)
}

// browser is a client with cookies, following redirects as a browser does.
type browser struct {
	conn    rawConn
	host    string // the Host header
	origin  string // the Origin header of form posts
	cookies []cookie
}

// newBrowser prepares a client of base, which must be a plain-HTTP URL.
func newBrowser(base string) (*browser, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("url %q: the generator speaks plain HTTP to the server it measures", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &browser{conn: rawConn{addr: addr}, host: u.Host, origin: u.Scheme + "://" + u.Host}, nil
}

// forget drops every cookie, as a fresh browser profile.
func (b *browser) forget() { b.cookies = b.cookies[:0] }

// request builds a GET (form nil) or a form POST with the browser's cookies.
func (b *browser) request(path string, form url.Values) []byte {
	var req bytes.Buffer
	method := "GET"
	if form != nil {
		method = "POST"
	}
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ims-bench\r\n", method, path, b.host)
	for i, c := range b.cookies {
		if i == 0 {
			req.WriteString("Cookie: ")
		} else {
			req.WriteString("; ")
		}
		req.WriteString(c.name + "=" + c.value)
	}
	if len(b.cookies) > 0 {
		req.WriteString("\r\n")
	}
	if form == nil {
		req.WriteString("\r\n")
		return req.Bytes()
	}
	body := form.Encode()
	fmt.Fprintf(&req, "Origin: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		b.origin, len(body), body)
	return req.Bytes()
}

// visit sends a request and follows redirects (at most five), keeping
// cookies; it returns the last answer and the path it came from.
func (b *browser) visit(path string, form url.Values) (answer, string, error) {
	for range 5 {
		a, err := b.conn.roundTrip(b.request(path, form), withHeaders)
		if err != nil {
			return a, path, err
		}
		b.keep(a.cookies)
		if a.status < 300 || a.status > 399 || a.location == "" {
			return a, path, nil
		}
		next, err := url.Parse(a.location)
		if err != nil {
			return a, path, fmt.Errorf("redirect to %q: %v", a.location, err)
		}
		path, form = next.RequestURI(), nil
	}
	return answer{}, path, errors.New("too many redirects")
}

func (b *browser) keep(set []cookie) {
	for _, c := range set {
		b.cookies = removeCookie(b.cookies, c.name)
		if c.value != "" {
			b.cookies = append(b.cookies, c)
		}
	}
}

func removeCookie(list []cookie, name string) []cookie {
	out := list[:0]
	for _, c := range list {
		if c.name != name {
			out = append(out, c)
		}
	}
	return out
}
