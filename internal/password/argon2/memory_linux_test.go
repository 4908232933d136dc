package argon2

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMemoryIsReleased drops fifty 64 MiB memories: their mappings must be
// unmapped once collected, or the address space would grow by 3 GiB.
func TestMemoryIsReleased(t *testing.T) {
	before := vmSizeMiB(t)
	for range 50 {
		m := NewMemory(64 * 1024)
		m.blocks[len(m.blocks)-1][0] = 1 // touch it
		runtime.GC()
	}
	for range 20 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if vmSizeMiB(t)-before < 1024 {
			return
		}
	}
	t.Errorf("address space grew from %d MiB to %d MiB", before, vmSizeMiB(t))
}

func vmSizeMiB(t *testing.T) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb / 1024
		}
	}
	t.Fatal("no VmSize")
	return 0
}

// TestMemoryOutlivesItsHash hashes in memories nothing else refers to while
// the collector runs without pause: a memory collected (and unmapped)
// before its hash ends would crash the process or change the key.
func TestMemoryOutlivesItsHash(t *testing.T) {
	want := IDKey(nil, []byte("pw"), []byte("0123456789abcdef"), 1, 32*1024, 1, 32)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	for range 10 {
		if got := IDKey(NewMemory(32*1024), []byte("pw"), []byte("0123456789abcdef"), 1, 32*1024, 1, 32); string(got) != string(want) {
			t.Fatalf("key %x, want %x", got, want)
		}
	}
}
