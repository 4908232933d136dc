package argon2_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	upstream "golang.org/x/crypto/argon2"

	"imslogin/internal/password/argon2"
)

// TestMatchesUpstreamWithReusedMemory hashes with one Memory over and over,
// at several sizes and lane counts, and compares every key with
// golang.org/x/crypto/argon2: reused (dirty) memory must not change a key.
func TestMatchesUpstreamWithReusedMemory(t *testing.T) {
	mem := argon2.NewMemory(2048)
	for i, c := range []struct {
		time, kib uint32
		threads   uint8
	}{
		{2, 2048, 1}, {1, 64, 1}, {3, 1024, 4}, {2, 2048, 1}, {1, 2000, 3}, {2, 2048, 2},
	} {
		pw, salt := fmt.Appendf(nil, "password %d", i), fmt.Appendf(nil, "salt salt %d", i)
		want := upstream.IDKey(pw, salt, c.time, c.kib, c.threads, 32)
		if got := argon2.IDKey(mem, pw, salt, c.time, c.kib, c.threads, 32); !bytes.Equal(got, want) {
			t.Errorf("t=%d m=%d p=%d: %x, upstream %x", c.time, c.kib, c.threads, got, want)
		}
	}
}

// TestMemoryTooSmallOrAbsent falls back to a fresh allocation.
func TestMemoryTooSmallOrAbsent(t *testing.T) {
	pw, salt := []byte("correct horse"), []byte("0123456789abcdef")
	want := upstream.IDKey(pw, salt, 1, 4096, 1, 32)
	for _, mem := range []*argon2.Memory{nil, argon2.NewMemory(1024)} {
		if got := argon2.IDKey(mem, pw, salt, 1, 4096, 1, 32); !bytes.Equal(got, want) {
			t.Errorf("%x, upstream %x", got, want)
		}
	}
}

// TestWipe: a hash leaves its blocks in the memory, and Wipe zeroes every
// block written since the last wipe, a larger earlier hash's too.
func TestWipe(t *testing.T) {
	pw, salt := []byte("correct horse"), []byte("0123456789abcdef")
	mem := argon2.NewMemory(2048)
	if !mem.IsZero() {
		t.Fatal("new memory is not zero")
	}
	argon2.IDKey(mem, pw, salt, 1, 2048, 1, 32)
	if mem.IsZero() {
		t.Fatal("memory after a hash reads as zero")
	}
	mem.Wipe()
	if !mem.IsZero() {
		t.Error("memory after Wipe is not zero")
	}
	argon2.IDKey(mem, pw, salt, 1, 2048, 1, 32)
	argon2.IDKey(mem, pw, salt, 1, 64, 1, 32)
	mem.Wipe()
	if !mem.IsZero() {
		t.Error("after a 2048 KiB hash and a 64 KiB one, Wipe left blocks of the first")
	}
}

// TestKnownAnswer checks the example hash documented by the reference
// implementation: argon2id, t=2, m=65536, p=1, "password", "somesalt".
func TestKnownAnswer(t *testing.T) {
	got := argon2.IDKey(nil, []byte("password"), []byte("somesalt"), 2, 65536, 1, 32)
	const want = "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"
	if fmt.Sprintf("%x", got) != want {
		t.Errorf("%x, want %s", got, want)
	}
}

// TestHashYieldsItsCore runs a hash on one core beside a goroutine waiting
// for it, with a Memory whose Yield lets others run: the waiting goroutine
// must get turns during the hash, at its synchronisation points, not only
// after it. The hash is far shorter than the runtime's 10 ms time slice, so
// nothing else would make room.
func TestHashYieldsItsCore(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	mem, yields := argon2.NewMemory(256), 0
	mem.Yield = func() { yields++; runtime.Gosched() }
	var hashing atomic.Bool
	var turns atomic.Int64
	hashing.Store(true)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for hashing.Load() {
			turns.Add(1)
			runtime.Gosched()
		}
	}()
	argon2.IDKey(mem, []byte("pw"), []byte("0123456789abcdef"), 3, 256, 1, 32)
	during := turns.Load()
	hashing.Store(false)
	<-stopped
	if yields != 12 {
		t.Errorf("a 3-pass hash yielded %d times, want 12 (four synchronisation points a pass)", yields)
	}
	if during < 6 {
		t.Errorf("a goroutine waiting for the only core got %d turns during a hash, want at least 6 (a turn at most of its 12 yields)", during)
	}
}

func BenchmarkIDKey(b *testing.B) {
	pw, salt := []byte("bench password"), []byte("0123456789abcdef")
	b.Run("reused", func(b *testing.B) {
		mem := argon2.NewMemory(19 * 1024)
		for b.Loop() {
			argon2.IDKey(mem, pw, salt, 2, 19*1024, 1, 32)
		}
	})
	b.Run("reused+wiped", func(b *testing.B) {
		mem := argon2.NewMemory(19 * 1024)
		for b.Loop() {
			argon2.IDKey(mem, pw, salt, 2, 19*1024, 1, 32)
			mem.Wipe()
		}
	})
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			upstream.IDKey(pw, salt, 2, 19*1024, 1, 32)
		}
	})
}
