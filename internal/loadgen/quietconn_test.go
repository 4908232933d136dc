package loadgen

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
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
