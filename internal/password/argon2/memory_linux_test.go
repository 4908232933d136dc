package argon2

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
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

// TestMemoryIsLeftOutOfCoreDumps: every mapping the blocks lie in carries
// the kernel's "dd" flag (MADV_DONTDUMP) in /proc/self/smaps, so a core
// dump of the server holds no hash's working memory.
func TestMemoryIsLeftOutOfCoreDumps(t *testing.T) {
	m := NewMemory(4096)
	start := uintptr(unsafe.Pointer(&m.blocks[0]))
	end := start + uintptr(len(m.blocks))*unsafe.Sizeof(m.blocks[0])
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	covered := start
	var from, to uintptr // the mapping whose lines are being read
	for _, line := range strings.Split(string(smaps), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			a, errA := strconv.ParseUint(lo, 16, 64)
			b, errB := strconv.ParseUint(hi, 16, 64)
			if errA == nil && errB == nil {
				from, to = uintptr(a), uintptr(b)
				continue
			}
		}
		if fields[0] != "VmFlags:" || to <= start || from >= end {
			continue
		}
		if !slices.Contains(fields[1:], "dd") {
			t.Errorf("mapping %x-%x of the blocks %x-%x has flags %v, without dd (MADV_DONTDUMP)", from, to, start, end, fields[1:])
		}
		if from <= covered {
			covered = max(covered, to)
		}
	}
	if covered < end {
		t.Errorf("/proc/self/smaps shows the blocks %x-%x mapped only up to %x", start, end, covered)
	}
	runtime.KeepAlive(m)
}
