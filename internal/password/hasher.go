package password

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"imslogin/internal/password/argon2"
)

// ErrBusy means every hashing slot stayed taken for the whole queue wait, or
// too many requests were already waiting: the caller should answer 503.
var ErrBusy = errors.New("password hashing is busy")

// Hasher runs argon2id with bounded concurrency: at most one hash per slot
// at a time. Each slot owns its argon2id working memory and reuses it for
// every hash, so memory stays bounded (slots × memory) under any flood and
// no hash pays for allocating, zeroing and collecting megabytes. A slot's
// memory is wiped when the slot is released, so an idle slot holds nothing
// derived from a password: after a one-pass hash (time 1) its first block
// would let guesses be checked at the cost of a few BLAKE2b hashes instead
// of Argon2's. The wipe costs about 0.6 ms after a 20 ms hash of the default
// parameters (2-3%, measured on a 2-core machine). Waiting callers hold no
// hash memory.
type Hasher struct {
	params       Params
	free         chan *argon2.Memory // one per idle slot; nil until the slot's first hash
	waiting      atomic.Int64
	maxWaiting   int64
	queueTimeout time.Duration
	dummy        string // checked for unknown accounts; no password matches it
	computed     atomic.Int64
	rejected     atomic.Int64 // ErrBusy answers
	work         atomic.Int64 // argon2 blocks processed (see argon2.Work)
	spent        atomic.Int64 // nanoseconds slots spent hashing
	waited       func(time.Duration)
	gosched      func() // runtime.Gosched; counted in tests
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
		free:         make(chan *argon2.Memory, workers),
		maxWaiting:   int64(workers) * 64,
		queueTimeout: queueTimeout,
		dummy:        unmatchable(p),
		gosched:      runtime.Gosched,
	}
	for range workers {
		h.free <- nil
	}
	return h, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Workers returns how many hashes may run at once.
func (h *Hasher) Workers() int { return cap(h.free) }

// Busy is how many slots are hashing now.
func (h *Hasher) Busy() int { return cap(h.free) - len(h.free) }

// Waiting is how many callers wait for a slot now.
func (h *Hasher) Waiting() int { return int(h.waiting.Load()) }

// Rejected is how many callers got ErrBusy.
func (h *Hasher) Rejected() int64 { return h.rejected.Load() }

// ObserveWaits has f told how long each hash waited for its slot (0 when
// one was free), for metrics. Call it before the first hash.
func (h *Hasher) ObserveWaits(f func(time.Duration)) { h.waited = f }

// acquire takes a slot and its working memory.
func (h *Hasher) acquire(ctx context.Context) (*argon2.Memory, error) {
	select {
	case mem := <-h.free:
		if h.waited != nil {
			h.waited(0)
		}
		return h.ready(mem), nil
	default:
	}
	if h.waiting.Add(1) > h.maxWaiting {
		h.waiting.Add(-1)
		h.rejected.Add(1)
		return nil, ErrBusy
	}
	defer h.waiting.Add(-1)
	start := time.Now()
	timer := time.NewTimer(h.queueTimeout)
	defer timer.Stop()
	select {
	case mem := <-h.free:
		if h.waited != nil {
			h.waited(time.Since(start))
		}
		return h.ready(mem), nil
	case <-timer.C:
		h.rejected.Add(1)
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ready gives a slot its memory on its first hash.
func (h *Hasher) ready(mem *argon2.Memory) *argon2.Memory {
	if mem == nil {
		mem = argon2.NewMemory(h.params.MemoryKiB)
		mem.Yield = h.yieldIfAllBusy
	}
	return mem
}

// yieldIfAllBusy runs at a hash's synchronisation points. When every slot
// is hashing, and so with the default pool every core, requests waiting for
// a core get it there, within 2.5 ms. With a slot free there is a core to
// spare, and yielding would only wake it to take the hash over, cold.
func (h *Hasher) yieldIfAllBusy() {
	if len(h.free) == 0 {
		h.gosched()
	}
}

// release wipes the slot's memory and frees the slot.
func (h *Hasher) release(mem *argon2.Memory) {
	mem.Wipe()
	h.free <- mem
}

// Computed is how many argon2id computations the pool has started, for
// metrics and for tests that prove a request never reached the hasher.
func (h *Hasher) Computed() int64 { return h.computed.Load() }

// Work is how many argon2 blocks the pool has processed, every hash and
// every filler included: the deterministic measure of what sign-ins cost,
// for tests that compare known and unknown accounts.
func (h *Hasher) Work() int64 { return h.work.Load() }

// Spent is the time slots have spent hashing, so that a benchmark can tell
// a request's own cost from its hash's.
func (h *Hasher) Spent() time.Duration { return time.Duration(h.spent.Load()) }

// timed adds the time since start to Spent.
func (h *Hasher) timed(start time.Time) { h.spent.Add(int64(time.Since(start))) }

// Hash returns a PHC string for password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	mem, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer h.release(mem)
	h.computed.Add(1)
	defer h.timed(time.Now())
	return h.hash(mem, password), nil
}

// Verify reports whether password matches phc. When it matches but phc was
// made with other parameters, upgraded holds a fresh hash to store. An empty
// phc (no password set) costs the same time as a real one and never matches.
// A wrong password against a hash made with cheaper parameters than the
// current ones spends the difference (spendUpTo), so a failure costs what
// the dummy hash of an unknown account costs whatever parameters the stored
// hash carries: a member whose hash predates a raise of the parameters is
// not told apart by a faster answer.
func (h *Hasher) Verify(ctx context.Context, password, phc string) (ok bool, upgraded string, err error) {
	mem, err := h.acquire(ctx)
	if err != nil {
		return false, "", err
	}
	defer h.release(mem)
	h.computed.Add(1)
	defer h.timed(time.Now())
	if phc == "" {
		phc = h.dummy
	}
	ok, used, err := verify(mem, password, phc)
	if err != nil {
		return false, "", err
	}
	h.work.Add(int64(used.work()))
	if !ok {
		h.spendUpTo(mem, used)
		return false, "", nil
	}
	if used != h.params {
		upgraded = h.hash(mem, password)
	}
	return true, upgraded, nil
}

// hash makes a hash at the current parameters, counting its work.
func (h *Hasher) hash(mem *argon2.Memory, password string) string {
	h.work.Add(int64(h.params.work()))
	return hash(mem, password, h.params)
}

// spendUpTo does the argon2 work a hash at the current parameters does
// beyond one at used: one-pass hashes of random input, each in at most the
// slot's memory, so a failure against an old, cheaper hash costs what one
// against the dummy hash does. Cheaper is all it can mend: a hash made
// with costlier parameters than the current ones stays costlier.
func (h *Hasher) spendUpTo(mem *argon2.Memory, used Params) {
	owed := int64(h.params.work()) - int64(used.work())
	chunk := int64(argon2.Work(1, h.params.MemoryKiB, 1))
	filler := make([]byte, saltLen)
	for owed >= int64(argon2.Work(1, 0, 1)) {
		kib := min(owed, chunk)
		done := argon2.Work(1, uint32(kib), 1)
		rand.Read(filler)
		argon2.IDKey(mem, filler, filler, 1, uint32(kib), 1, keyLen)
		h.work.Add(int64(done))
		owed -= int64(done)
	}
}

// VerifyDummy spends the time of one verification and always fails, so an
// unknown account cannot be told from a known one by timing.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, password, "")
	return err
}
