package password

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"imslogin/internal/password/argon2"
)

var testParams = Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}

func newTestHasher(t *testing.T, p Params, workers int, wait time.Duration) *Hasher {
	t.Helper()
	h, err := NewHasher(p, workers, wait)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashIsPHCAndVerifies(t *testing.T) {
	h := newTestHasher(t, testParams, 1, time.Second)
	ctx := context.Background()
	phc, err := h.Hash(ctx, "Tr0ub4dor & 3 horses")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with the parameters", phc)
	}
	again, _ := h.Hash(ctx, "Tr0ub4dor & 3 horses")
	if again == phc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"Tr0ub4dor & 3 horses": true, "tr0ub4dor & 3 horses": false, "Tr0ub4dor & 3 horse": false, "": false} {
		ok, upgraded, err := h.Verify(ctx, pw, phc)
		if err != nil || ok != want || upgraded != "" {
			t.Errorf("Verify(%q) = %v, %q, %v; want %v", pw, ok, upgraded, err, want)
		}
	}
}

func TestPasswordsAreNormalisedNotTruncated(t *testing.T) {
	h := newTestHasher(t, testParams, 1, time.Second)
	ctx := context.Background()
	phc, _ := h.Hash(ctx, "caf\u00e9 au lait, please, twice")           // é precomposed
	ok, _, _ := h.Verify(ctx, "cafe\u0301 au lait, please, twice", phc) // e + combining accent
	if !ok {
		t.Error("the same text in another Unicode form does not match")
	}
	long := strings.Repeat("a", 100)
	phc, _ = h.Hash(ctx, long+"X")
	if ok, _, _ := h.Verify(ctx, long+"Y", phc); ok {
		t.Error("long passwords are truncated: a different last character matches")
	}
}

func TestVerifyUpgradesOldParameters(t *testing.T) {
	ctx := context.Background()
	old := newTestHasher(t, testParams, 1, time.Second)
	phc, _ := old.Hash(ctx, "a long enough passphrase")
	stronger := testParams
	stronger.Time = 2
	h := newTestHasher(t, stronger, 1, time.Second)
	ok, upgraded, err := h.Verify(ctx, "a long enough passphrase", phc)
	if !ok || err != nil || !strings.Contains(upgraded, "m=8192,t=2,p=1") {
		t.Fatalf("Verify = %v, %q, %v; want a rehash with t=2", ok, upgraded, err)
	}
	if ok, _, _ := h.Verify(ctx, "a long enough passphrase", upgraded); !ok {
		t.Error("the upgraded hash does not verify")
	}
	if _, upgraded, _ := h.Verify(ctx, "wrong passphrase here", phc); upgraded != "" {
		t.Error("a wrong password produced a rehash")
	}
}

func TestMalformedHashesAreErrors(t *testing.T) {
	h := newTestHasher(t, testParams, 1, time.Second)
	for _, phc := range []string{"plain", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=8192,t=1,p=1$!!$a2V5"} {
		if ok, _, err := h.Verify(context.Background(), "x", phc); ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify against %q = %v, %v; want ErrMalformedHash", phc, ok, err)
		}
	}
}

func TestEmptyHashNeverMatches(t *testing.T) {
	h := newTestHasher(t, testParams, 1, time.Second)
	if ok, _, err := h.Verify(context.Background(), "", ""); ok || err != nil {
		t.Errorf("empty hash: %v, %v", ok, err)
	}
}

// TestPoolBoundsConcurrency holds every slot and checks that a further
// caller gets ErrBusy after the queue wait instead of hashing.
func TestPoolBoundsConcurrency(t *testing.T) {
	h := newTestHasher(t, testParams, 2, 20*time.Millisecond)
	ctx := context.Background()
	var held []*argon2.Memory
	for range 2 {
		mem, err := h.acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, mem)
	}
	if _, err := h.Hash(ctx, "waiting in line"); !errors.Is(err, ErrBusy) {
		t.Fatalf("with every slot taken: %v, want ErrBusy", err)
	}
	h.release(held[0])
	if _, err := h.Hash(ctx, "a slot is free now"); err != nil {
		t.Fatalf("with a free slot: %v", err)
	}
	h.release(held[1])
}

// TestHashesYieldOnlyWhenEverySlotIsBusy: with every slot hashing (every
// core, with the default pool) a hash lets waiting requests have its core
// at each synchronisation point; with a slot free it keeps its core, which
// yielding would only hand to the idle one.
func TestHashesYieldOnlyWhenEverySlotIsBusy(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		slots, held, want int
	}{
		{slots: 1, held: 0, want: 4}, // the hash itself fills the pool
		{slots: 2, held: 1, want: 4},
		{slots: 2, held: 0, want: 0},
	} {
		h := newTestHasher(t, testParams, c.slots, time.Second)
		yields := 0
		h.gosched = func() { yields++ }
		for range c.held {
			mem, err := h.acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer h.release(mem)
		}
		if _, err := h.Hash(ctx, "a password"); err != nil {
			t.Fatal(err)
		}
		if yields != c.want {
			t.Errorf("%d slots, %d held: a one-pass hash yielded %d times, want %d", c.slots, c.held, yields, c.want)
		}
	}
}

func TestPoolRefusesAtOnceWhenQueueIsFull(t *testing.T) {
	h := newTestHasher(t, testParams, 1, time.Minute)
	ctx := context.Background()
	if _, err := h.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	h.waiting.Store(h.maxWaiting)
	start := time.Now()
	if err := h.VerifyDummy(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("with a full queue: %v, want ErrBusy", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("a full queue made the caller wait instead of refusing at once")
	}
}

// TestSpentCountsHashingNotWaiting: a caller that waits 100 ms for the only
// slot adds its hash to Spent, not its wait.
func TestSpentCountsHashingNotWaiting(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, testParams, 1, time.Minute)
	phc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	before := h.Spent()
	if before <= 0 {
		t.Fatalf("Spent after a hash: %v", before)
	}
	mem, err := h.acquire(ctx) // the only slot
	if err != nil {
		t.Fatal(err)
	}
	took := make(chan time.Duration)
	go func() {
		start := time.Now()
		if ok, _, err := h.Verify(ctx, "correct horse", phc); !ok || err != nil {
			t.Errorf("verify: %v %v", ok, err)
		}
		took <- time.Since(start)
	}()
	for h.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	h.release(mem)
	caller := <-took
	if spent := h.Spent() - before; spent <= 0 || spent > caller-50*time.Millisecond {
		t.Errorf("a verification that took its caller %v, 100 ms of it waiting, added %v to Spent", caller, spent)
	}
}

// TestReusedMemoryKeepsHashesRight hashes many passwords concurrently on two
// slots, whose argon2id memory is reused from hash to hash, and checks each
// hash against another hasher: it verifies its own password only.
func TestReusedMemoryKeepsHashesRight(t *testing.T) {
	h := newTestHasher(t, testParams, 2, time.Minute)
	other := newTestHasher(t, testParams, 1, time.Minute)
	ctx := context.Background()
	hashes := make([]string, 8)
	var wg sync.WaitGroup
	for i := range hashes {
		wg.Go(func() {
			var err error
			if hashes[i], err = h.Hash(ctx, fmt.Sprintf("concurrent password %d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, phc := range hashes {
		if ok, _, err := other.Verify(ctx, fmt.Sprintf("concurrent password %d", i), phc); !ok || err != nil {
			t.Errorf("hash %d does not verify: %v", i, err)
		}
		if ok, _, _ := h.Verify(ctx, fmt.Sprintf("concurrent password %d", (i+1)%8), phc); ok {
			t.Errorf("hash %d verifies another password", i)
		}
	}
}

// TestReleasedSlotsHoldNoPasswordData: once a hash, a verification, or a
// verification that rehashes with new parameters returns, its slot's
// memory, kept for the next hash, is all zero.
func TestReleasedSlotsHoldNoPasswordData(t *testing.T) {
	ctx := context.Background()
	old := newTestHasher(t, testParams, 1, time.Second)
	oldPHC, err := old.Hash(ctx, "an older, smaller hash")
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHasher(t, Params{MemoryKiB: 9 * 1024, Time: 1, Threads: 1}, 1, time.Second)
	phc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		run  func() error
	}{
		{"hash", func() error { _, err := h.Hash(ctx, "correct horse battery"); return err }},
		{"verify", func() error { _, _, err := h.Verify(ctx, "correct horse battery", phc); return err }},
		{"wrong password", func() error { _, _, err := h.Verify(ctx, "wrong horse battery", phc); return err }},
		{"unknown account", func() error { return h.VerifyDummy(ctx, "correct horse battery") }},
		{"verify and rehash", func() error {
			if ok, upgraded, err := h.Verify(ctx, "an older, smaller hash", oldPHC); !ok || upgraded == "" {
				return fmt.Errorf("verify an older hash: %v, %q, %v; want a match and a rehash", ok, upgraded, err)
			}
			return nil
		}},
	} {
		if err := step.run(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		mem := <-h.free // the only slot, released
		if mem == nil || !mem.IsZero() {
			t.Errorf("after %s the released slot's memory holds data (nil: %v)", step.name, mem == nil)
		}
		h.free <- mem
	}
}

func TestPolicy(t *testing.T) {
	p := Policy{MinLength: MinLengthSingleFactor}
	c := Context{Email: "ana.lima@acme.test", OrganisationName: "Acme Research"}
	for pw, wantProblem := range map[string]string{
		"short":                                              "at least 15 characters",
		"fifteen chars!!":                                    "",
		"all lower case words ok":                            "",
		"   spaces    only    fine   ":                       "",
		"my name is ana.lima, ok?":                           "email address",
		"i work at acme research every day":                  "organisation name",
		"tab\tinside a long password":                        "printable",
		strings.Repeat("x", MaxLength+1):                     "at most",
		"émojis 🔐 and ünïcödé are welcome":                   "",
		strings.Repeat("a long passphrase ", 15)[:MaxLength]: "", // 64 characters and far beyond are welcome
	} {
		err := p.Check(pw, c)
		switch {
		case wantProblem == "" && err != nil:
			t.Errorf("%q refused: %v", pw, err)
		case wantProblem != "" && (err == nil || !strings.Contains(err.Error(), wantProblem)):
			t.Errorf("%q: got %v, want a problem about %q", pw, err, wantProblem)
		case err != nil && !IsPolicyError(err):
			t.Errorf("%q: error %v is not a PolicyError", pw, err)
		}
	}
}

func TestNewPasswordProblemsAreSplitByField(t *testing.T) {
	p := Policy{MinLength: MinLengthSingleFactor}
	err := p.CheckNew("short", "other", Context{})
	newPassword, confirmation := ProblemsByField(err)
	if len(newPassword) != 1 || !strings.Contains(newPassword[0], "at least 15 characters") {
		t.Errorf("new password's problems: %q", newPassword)
	}
	if len(confirmation) != 1 || confirmation[0] != "the two passwords do not match" {
		t.Errorf("confirmation's problems: %q", confirmation)
	}
	if len(Problems(err)) != 2 {
		t.Errorf("all problems: %q", Problems(err))
	}
	if n, c := ProblemsByField(p.CheckNew("a long enough password", "a long enough passwort", Context{})); n != nil || len(c) != 1 {
		t.Errorf("only a mismatch: %q, %q", n, c)
	}
}

func BenchmarkVerifyDefaultParams(b *testing.B) {
	h, _ := NewHasher(DefaultParams, 0, time.Minute)
	phc, _ := h.Hash(context.Background(), "benchmark password 123")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Verify(context.Background(), "benchmark password 123", phc)
		}
	})
}

// A stored hash made with cheaper parameters than the current ones must not
// make a wrong password cost less than the dummy hash of an unknown
// account: the work (argon2 blocks processed) is counted, not timed.
func TestWrongPasswordAgainstOldParametersCostsWhatUnknownDoes(t *testing.T) {
	ctx := context.Background()
	for _, old := range []Params{testParams, {MemoryKiB: 12 * 1024, Time: 1, Threads: 1}, {MemoryKiB: 8*1024 + 5, Time: 2, Threads: 1}} {
		phc, _ := newTestHasher(t, old, 1, time.Second).Hash(ctx, "a long enough passphrase")
		h := newTestHasher(t, Params{MemoryKiB: 16 * 1024, Time: 2, Threads: 1}, 1, time.Second)
		before := h.Work()
		if ok, upgraded, err := h.Verify(ctx, "the wrong passphrase", phc); ok || upgraded != "" || err != nil {
			t.Fatalf("Verify = %v, %q, %v", ok, upgraded, err)
		}
		known := h.Work() - before
		before = h.Work()
		if err := h.VerifyDummy(ctx, "the wrong passphrase"); err != nil {
			t.Fatal(err)
		}
		unknown := h.Work() - before
		if unknown != int64(h.Params().work()) {
			t.Errorf("the dummy hash did %d blocks of work, want one hash at the current parameters (%d)", unknown, h.Params().work())
		}
		if diff := known - unknown; diff < -8 || diff > 0 {
			t.Errorf("stored %+v: a wrong password did %d blocks of work, an unknown account %d", old, known, unknown)
		}
	}
}
