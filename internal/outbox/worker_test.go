package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"imslogin/internal/outbox"
)

// TestRunGoesOnAtOnceWhileThereIsMore: rounds that report more work run
// back to back, well inside one poll; the worker stops with its context.
func TestRunGoesOnAtOnceWhileThereIsMore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rounds := 0
	finished := run(ctx, func(context.Context) (bool, error) {
		if rounds++; rounds == 5 {
			cancel()
		}
		return true, nil
	})
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatalf("after %d rounds the worker waited: a round with more work did not go on at once", rounds)
	}
}

// TestRunWaitsAPollAfterAFailedRound: a failed round is logged and the
// worker waits its poll before the next, whatever the round said.
func TestRunWaitsAPollAfterAFailedRound(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rounds := make(chan int, 10)
	n := 0
	finished := run(ctx, func(context.Context) (bool, error) {
		n++
		rounds <- n
		return true, errors.New("the database is down")
	})
	<-rounds
	select {
	case r := <-rounds:
		t.Errorf("round %d ran at once after a failed round", r)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	<-finished
}

// run starts outbox.Run with an hour's poll and reports when it returns.
func run(ctx context.Context, round func(context.Context) (bool, error)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		outbox.Run(ctx, time.Hour, slog.New(slog.DiscardHandler), "test", round)
	}()
	return done
}

func TestPolicyTakesDefaultsForZeroFields(t *testing.T) {
	def := outbox.Policy{Batch: 20, Lease: time.Minute, MaxAttempts: 6, FirstRetry: time.Second, MaxRetry: time.Hour, Poll: time.Second}
	got := outbox.Policy{Batch: 5, MaxRetry: 2 * time.Hour}.Or(def)
	want := outbox.Policy{Batch: 5, Lease: time.Minute, MaxAttempts: 6, FirstRetry: time.Second, MaxRetry: 2 * time.Hour, Poll: time.Second}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
