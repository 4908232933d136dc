package loadgen

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"imslogin/internal/password/argon2"
)

// serverSample is the server process's CPU time and peak memory at a moment.
type serverSample struct {
	ok         bool
	at         time.Time
	cpuSeconds float64
	peakRSSMB  float64
}

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat times.
const clockTicks = 100

// sampleServer reads /proc for pid. With resetPeak, the kernel's peak-RSS
// mark (VmHWM) is reset first, so the peak covers only what follows.
func sampleServer(pid int, resetPeak bool) serverSample {
	if pid <= 0 {
		return serverSample{}
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	if resetPeak {
		os.WriteFile(dir+"clear_refs", []byte("5"), 0)
	}
	stat, err := os.ReadFile(dir + "stat")
	if err != nil {
		return serverSample{}
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return serverSample{}
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	s := serverSample{ok: true, at: time.Now(), cpuSeconds: (utime + stime) / clockTicks}
	status, _ := os.ReadFile(dir + "status")
	for _, line := range strings.Split(string(status), "\n") {
		if rest, found := strings.CutPrefix(line, "VmHWM:"); found {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			s.peakRSSMB = kb / 1024
		}
	}
	return s
}

// HashParams are the argon2id parameters the server hashes with.
type HashParams struct {
	MemoryKiB, Time uint32
	Threads         uint8
}

// RawHashRate measures how many argon2id hashes per second this machine
// computes on cores goroutines, with the server's own argon2id and reused
// memory, wiped after each hash, as its hash pool does: the physical limit
// for password sign-ins.
// Each goroutine hashes once before the clock starts, as the server's warm
// pool has, so first-touch page faults are not counted against the limit.
// Each goroutine's rate is its hashes over the time to its last one, and the
// rates add up: counting every hash over the time to the slowest goroutine's
// last would charge the others for waiting on it.
func RawHashRate(ctx context.Context, p HashParams, cores int, d time.Duration) float64 {
	password, salt := []byte("raw rate password"), []byte("0123456789abcdef")
	rates := make([]float64, cores)
	var warm, wg sync.WaitGroup
	warm.Add(cores)
	start := make(chan time.Time)
	for i := range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mem := argon2.NewMemory(p.MemoryKiB)
			mem.Yield = runtime.Gosched // as a server's does with every core hashing
			argon2.IDKey(mem, password, salt, p.Time, p.MemoryKiB, p.Threads, 32)
			warm.Done()
			t0 := <-start
			deadline, done := t0.Add(d), 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				argon2.IDKey(mem, password, salt, p.Time, p.MemoryKiB, p.Threads, 32)
				mem.Wipe()
				done++
			}
			rates[i] = float64(done) / time.Since(t0).Seconds()
		}()
	}
	warm.Wait()
	t0 := time.Now()
	for range cores {
		start <- t0
	}
	wg.Wait()
	var sum float64
	for _, r := range rates {
		sum += r
	}
	return sum
}
