package password

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrBusy means every hashing slot stayed taken for the whole queue wait, or
// too many requests were already waiting: the caller should answer 503.
var ErrBusy = errors.New("password hashing is busy")

// Hasher runs argon2id with bounded concurrency: at most one hash per slot
// at a time, so memory stays bounded (slots × memory) under any flood.
// Waiting callers hold no hash memory.
type Hasher struct {
	params       Params
	slots        chan struct{}
	waiting      atomic.Int64
	maxWaiting   int64
	queueTimeout time.Duration
	dummy        string // a hash of a random password, checked for unknown accounts
	computed     atomic.Int64
}

// NewHasher makes a pool of workers slots (0 means one per CPU). A caller
// waits at most queueTimeout for a slot.
func NewHasher(p Params, workers int, queueTimeout time.Duration) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{
		params:       p,
		slots:        make(chan struct{}, workers),
		maxWaiting:   int64(workers) * 64,
		queueTimeout: queueTimeout,
	}
	h.dummy = hash(rand.Text(), p)
	return h, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Workers returns how many hashes may run at once.
func (h *Hasher) Workers() int { return cap(h.slots) }

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	if h.waiting.Add(1) > h.maxWaiting {
		h.waiting.Add(-1)
		return ErrBusy
	}
	defer h.waiting.Add(-1)
	timer := time.NewTimer(h.queueTimeout)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Computed is how many argon2id computations the pool has started, for
// metrics and for tests that prove a request never reached the hasher.
func (h *Hasher) Computed() int64 { return h.computed.Load() }

// Hash returns a PHC string for password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	h.computed.Add(1)
	return hash(password, h.params), nil
}

// Verify reports whether password matches phc. When it matches but phc was
// made with other parameters, upgraded holds a fresh hash to store. An empty
// phc (no password set) costs the same time as a real one and never matches.
func (h *Hasher) Verify(ctx context.Context, password, phc string) (ok bool, upgraded string, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, "", err
	}
	defer h.release()
	h.computed.Add(1)
	if phc == "" {
		verify(password, h.dummy)
		return false, "", nil
	}
	ok, used, err := verify(password, phc)
	if err != nil || !ok {
		return false, "", err
	}
	if used != h.params {
		upgraded = hash(password, h.params)
	}
	return true, upgraded, nil
}

// VerifyDummy spends the time of one verification and always fails, so an
// unknown account cannot be told from a known one by timing.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, password, "")
	return err
}
