package sqlstore

import (
	"context"
	"testing"
	"time"
)

// TestWritersTakeTurnsInTheOrderTheyAsked: a freed writer goes to the
// oldest waiter, never to one that came later.
func TestWritersTakeTurnsInTheOrderTheyAsked(t *testing.T) {
	var tu turns
	if err := tu.take(context.Background()); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 20)
	for i := range 20 {
		go func() {
			if err := tu.take(context.Background()); err != nil {
				t.Error(err)
			}
			order <- i
			tu.give()
		}()
		waitFor(t, func() bool { return tu.queued() == i+1 })
	}
	tu.give()
	for want := range 20 {
		if got := <-order; got != want {
			t.Fatalf("turn %d went to writer %d", want, got)
		}
	}
}

// TestAWriterGivesUpItsPlaceWhenItsRequestEnds: a waiter whose request
// ends leaves the queue, and the turn goes on to the next.
func TestAWriterGivesUpItsPlaceWhenItsRequestEnds(t *testing.T) {
	var tu turns
	tu.take(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() { gaveUp <- tu.take(ctx) }()
	waitFor(t, func() bool { return tu.queued() == 1 })
	got := make(chan struct{})
	go func() { tu.take(context.Background()); close(got) }()
	waitFor(t, func() bool { return tu.queued() == 2 })
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("a waiter whose request ended was given the turn")
	}
	tu.give()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the turn was not passed on past a waiter that gave up")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
