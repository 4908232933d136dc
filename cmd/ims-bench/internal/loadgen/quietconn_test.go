package loadgen

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestQuietConnCarriesEverythingAndSeesTheEnd writes a message larger than
// the socket buffers through a quiet connection, so the writer has to wait
// for the reader, reads the echo back in full, and then sees the server's
// close as the end of the stream; a passed deadline still ends a read.
func TestQuietConnCarriesEverythingAndSeesTheEnd(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	message := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		got := make([]byte, len(message))
		if _, err := io.ReadFull(c, got); err == nil {
			c.Write(got)
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := quiet(conn)
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if n, err := q.Write(message); n != len(message) || err != nil {
		t.Fatalf("wrote %d of %d bytes: %v", n, len(message), err)
	}
	echo, err := io.ReadAll(q)
	if err != nil || !bytes.Equal(echo, message) {
		t.Fatalf("read back %d of %d bytes (equal: %v): %v", len(echo), len(message), bytes.Equal(echo, message), err)
	}

	conn2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	conn2.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := quiet(conn2).Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a read past its deadline: %v, want the deadline's error", err)
	}
}

// TestQuietConnReportsAResetConnection: when the server resets the
// connection, a quiet read and then a quiet write fail with the system's
// error instead of hanging or ending the process (a raw write to a reset
// socket raises SIGPIPE, which Go's runtime does not act on here).
func TestQuietConnReportsAResetConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dialled := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		<-dialled                     // a reset before Dial returns would fail the dial
		c.(*net.TCPConn).SetLinger(0) // close with a reset
		c.Close()
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	close(dialled)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	q := quiet(conn)
	if _, err := q.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after a reset: %v, want ECONNRESET", err)
	}
	if _, err := q.Write([]byte("GET / HTTP/1.1\r\n\r\n")); !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("write after a reset: %v, want EPIPE or ECONNRESET", err)
	}
}
