package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
)

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// TestSlowClientsAreCutOffAndDoNotHoldOthersUp: 200 connections that send
// half a request and then nothing (slowloris) neither keep a member's
// sign-in page from answering at once nor stay open past the header
// timeout.
func TestSlowClientsAreCutOffAndDoNotHoldOthersUp(t *testing.T) {
	const timeout = 500 * time.Millisecond
	defer server.SetHeaderTimeout(timeout)()
	app := servertest.New(t, servertest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Server.Lifecycle(nopCloser{}).Run(ctx, ln) }()
	defer func() { cancel(); <-done }()

	var slow []net.Conn
	for range 200 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /login HTTP/1.1\r\nHost: %s\r\nX-Slow: ", ln.Addr())
		slow = append(slow, c)
	}
	started := time.Now()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ln.Addr().String() + "/login")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a member's request beside 200 slow clients: %v %v", resp, err)
	}
	resp.Body.Close()
	if took := time.Since(started); took > 2*time.Second {
		t.Errorf("a member's request beside 200 slow clients took %v", took)
	}
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(timeout + 5*time.Second))
		_, err := io.ReadAll(c) // nil at the server's close (after a 408, if it sends one)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("slow connection %d still open %v after the header timeout", i, time.Since(started))
		}
	}
}
