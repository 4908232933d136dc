package argon2

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

const hugePage = 2 << 20

// allocate maps kib KiB of blocks aligned to 2 MiB and asks for transparent
// huge pages: Argon2 reads blocks at random across its memory, and with 4 KiB
// pages most of those reads also miss the TLB (19 MiB is about 5,000 pages,
// 10 huge ones), the more so when other work shares the core. The mapping
// is left out of core dumps (MADV_DONTDUMP), as the blocks derive from
// passwords, and released when owner is collected. It falls back to the Go
// heap.
func allocate(owner *Memory, kib uint32) []block {
	size := (int(kib)*1024 + hugePage - 1) &^ (hugePage - 1)
	mapping, err := unix.Mmap(-1, 0, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return make([]block, kib)
	}
	runtime.AddCleanup(owner, func(mapping []byte) { unix.Munmap(mapping) }, mapping)
	unix.Madvise(mapping, unix.MADV_DONTDUMP) // cannot fail on an anonymous mapping since Linux 3.4
	start := (hugePage - int(uintptr(unsafe.Pointer(&mapping[0])))%hugePage) % hugePage
	aligned := mapping[start : start+size]
	unix.Madvise(aligned, unix.MADV_HUGEPAGE) // a hint; without it the pages are small
	return unsafe.Slice((*block)(unsafe.Pointer(&aligned[0])), kib)
}
