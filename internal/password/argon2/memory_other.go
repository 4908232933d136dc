//go:build !linux

package argon2

// allocate takes the blocks from the Go heap.
func allocate(_ *Memory, kib uint32) []block { return make([]block, kib) }
