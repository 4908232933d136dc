// Copyright 2017 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package argon2 is golang.org/x/crypto/argon2 (the version, and which files
// differ, are in the file UPSTREAM) reduced to Argon2id and changed in these
// ways. The caller passes the working memory, so a server can reuse it
// across hashes instead of allocating, zeroing and collecting megabytes for
// each one (a quarter of the cost of a 19 MiB hash on a 2-core machine), and
// can wipe it between hashes (Memory.Wipe); on Linux it is left out of core
// dumps. The first pass writes blocks instead of XORing them into zeroed
// memory, as RFC 9106 specifies, which makes the reuse correct. The
// memory's owner may have a hash yield its core at each synchronisation
// point (Memory.Yield). And on amd64 the blocks a hash reads once a pass are
// loaded with the non-temporal hint, so that its megabytes push less of the
// rest of the server's work out of the caches. The outputs are the upstream
// package's (tested against it).
package argon2

import (
	"encoding/binary"
	"runtime"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// Version is the Argon2 version implemented by this package.
const Version = 0x13

const (
	argon2d = iota
	argon2i
	argon2id
)

// Memory is Argon2's working memory. It is reused by every IDKey call given
// it, so one Memory must serve one hash at a time. After a hash it holds
// blocks derived from the password until the next hash overwrites them or
// Wipe zeroes them.
type Memory struct {
	blocks []block
	used   int // blocks hashes have written since the last Wipe
	// Yield, if set, is called at each of a hash's synchronisation points
	// (four per pass, every 2.5 ms of a 19 MiB hash on a fast core), where
	// it may let other goroutines have the core (runtime.Gosched). Without
	// that, a hash keeps its core for the runtime's whole 10 ms time slice,
	// and is then preempted with a signal, after which the runtime's
	// monitor thread wakes every 20 µs for a millisecond.
	Yield func()
}

// NewMemory allocates working memory for hashes of up to kib KiB, in huge
// pages where the system offers them (see allocate).
func NewMemory(kib uint32) *Memory {
	m := &Memory{}
	m.blocks = allocate(m, kib)
	return m
}

// Wipe zeroes the blocks hashes have written since the last Wipe, so that
// memory kept for the next hash holds nothing derived from a password.
func (m *Memory) Wipe() {
	clear(m.blocks[:m.used])
	m.used = 0
}

// IsZero reports whether every block is zero, as after Wipe. It reads the
// whole memory: it is for tests and checks, not for every hash.
func (m *Memory) IsZero() bool {
	for i := range m.blocks {
		if m.blocks[i] != (block{}) {
			return false
		}
	}
	return true
}

// IDKey derives a key from the password and salt with Argon2id, as
// golang.org/x/crypto/argon2.IDKey does, working in mem. A nil or too small
// mem is replaced by a fresh allocation for this call, wiped before IDKey
// returns.
func IDKey(mem *Memory, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	if time < 1 {
		panic("argon2: number of rounds too small")
	}
	if threads < 1 {
		panic("argon2: parallelism degree too low")
	}
	h0 := initHash(password, salt, nil, nil, time, memory, uint32(threads), keyLen, argon2id)

	memory = memory / (syncPoints * uint32(threads)) * (syncPoints * uint32(threads))
	if memory < 2*syncPoints*uint32(threads) {
		memory = 2 * syncPoints * uint32(threads)
	}
	var yield func()
	if mem != nil {
		yield = mem.Yield
	}
	fresh := mem == nil || uint32(len(mem.blocks)) < memory
	if fresh {
		mem = NewMemory(memory)
	}
	mem.used = max(mem.used, int(memory))
	B := initBlocks(mem.blocks[:memory], &h0, memory, uint32(threads))
	processBlocks(B, time, memory, uint32(threads), argon2id, yield)
	key := extractKey(B, memory, uint32(threads), keyLen)
	if fresh {
		mem.Wipe()
	}
	// The blocks may live outside the Go heap, released when mem is
	// collected (see allocate): mem must outlive their last use.
	runtime.KeepAlive(mem)
	return key
}

const (
	blockLength = 128
	syncPoints  = 4
)

type block [blockLength]uint64

func initHash(password, salt, key, data []byte, time, memory, threads, keyLen uint32, mode int) [blake2b.Size + 8]byte {
	var (
		h0     [blake2b.Size + 8]byte
		params [24]byte
		tmp    [4]byte
	)

	b2, _ := blake2b.New512(nil)
	binary.LittleEndian.PutUint32(params[0:4], threads)
	binary.LittleEndian.PutUint32(params[4:8], keyLen)
	binary.LittleEndian.PutUint32(params[8:12], memory)
	binary.LittleEndian.PutUint32(params[12:16], time)
	binary.LittleEndian.PutUint32(params[16:20], uint32(Version))
	binary.LittleEndian.PutUint32(params[20:24], uint32(mode))
	b2.Write(params[:])
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(password)))
	b2.Write(tmp[:])
	b2.Write(password)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(salt)))
	b2.Write(tmp[:])
	b2.Write(salt)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(key)))
	b2.Write(tmp[:])
	b2.Write(key)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(data)))
	b2.Write(tmp[:])
	b2.Write(data)
	b2.Sum(h0[:0])
	return h0
}

func initBlocks(B []block, h0 *[blake2b.Size + 8]byte, memory, threads uint32) []block {
	var block0 [1024]byte
	for lane := uint32(0); lane < threads; lane++ {
		j := lane * (memory / threads)
		binary.LittleEndian.PutUint32(h0[blake2b.Size+4:], lane)

		binary.LittleEndian.PutUint32(h0[blake2b.Size:], 0)
		blake2bHash(block0[:], h0[:])
		for i := range B[j+0] {
			B[j+0][i] = binary.LittleEndian.Uint64(block0[i*8:])
		}

		binary.LittleEndian.PutUint32(h0[blake2b.Size:], 1)
		blake2bHash(block0[:], h0[:])
		for i := range B[j+1] {
			B[j+1][i] = binary.LittleEndian.Uint64(block0[i*8:])
		}
	}
	return B
}

func processBlocks(B []block, time, memory, threads uint32, mode int, yield func()) {
	lanes := memory / threads
	segments := lanes / syncPoints

	processSegment := func(n, slice, lane uint32) {
		var addresses, in, zero block
		if mode == argon2i || (mode == argon2id && n == 0 && slice < syncPoints/2) {
			in[0] = uint64(n)
			in[1] = uint64(lane)
			in[2] = uint64(slice)
			in[3] = uint64(memory)
			in[4] = uint64(time)
			in[5] = uint64(mode)
		}

		index := uint32(0)
		if n == 0 && slice == 0 {
			index = 2 // we have already generated the first two blocks
			if mode == argon2i || mode == argon2id {
				in[6]++
				processBlock(&addresses, &in, &zero)
				processBlock(&addresses, &addresses, &zero)
			}
		}

		offset := lane*lanes + slice*segments + index
		var random uint64
		for index < segments {
			prev := offset - 1
			if index == 0 && slice == 0 {
				prev += lanes // last block in lane
			}
			if mode == argon2i || (mode == argon2id && n == 0 && slice < syncPoints/2) {
				if index%blockLength == 0 {
					in[6]++
					processBlock(&addresses, &in, &zero)
					processBlock(&addresses, &addresses, &zero)
				}
				random = addresses[index%blockLength]
			} else {
				random = B[prev][0]
			}
			newOffset := indexAlpha(random, lanes, segments, threads, n, slice, lane, index)
			// The reference block (anywhere in megabytes) and, in later
			// passes, the block about to be overwritten are read once a
			// pass: loaded non-temporally, they stay out of the caches the
			// rest of the server's work (requests, the database) lives in.
			prefetchBlock(&B[newOffset])
			if n == 0 {
				// The first pass overwrites (RFC 9106, 3.2 step 5), so reused
				// memory needs no clearing; later passes XOR.
				processBlock(&B[offset], &B[prev], &B[newOffset])
			} else {
				prefetchBlock(&B[offset])
				processBlockXOR(&B[offset], &B[prev], &B[newOffset])
			}
			index, offset = index+1, offset+1
		}
	}

	for n := uint32(0); n < time; n++ {
		for slice := uint32(0); slice < syncPoints; slice++ {
			// The last lane runs on the calling goroutine: a one-lane
			// hash, as a server's, starts no goroutine, and so wakes no
			// idle core to run one.
			var wg sync.WaitGroup
			for lane := uint32(0); lane < threads-1; lane++ {
				wg.Go(func() { processSegment(n, slice, lane) })
			}
			processSegment(n, slice, threads-1)
			wg.Wait()
			if yield != nil {
				yield()
			}
		}
	}

}

func extractKey(B []block, memory, threads, keyLen uint32) []byte {
	lanes := memory / threads
	for lane := uint32(0); lane < threads-1; lane++ {
		for i, v := range B[(lane*lanes)+lanes-1] {
			B[memory-1][i] ^= v
		}
	}

	var block [1024]byte
	for i, v := range B[memory-1] {
		binary.LittleEndian.PutUint64(block[i*8:], v)
	}
	key := make([]byte, keyLen)
	blake2bHash(key, block[:])
	return key
}

func indexAlpha(rand uint64, lanes, segments, threads, n, slice, lane, index uint32) uint32 {
	refLane := uint32(rand>>32) % threads
	if n == 0 && slice == 0 {
		refLane = lane
	}
	m, s := 3*segments, ((slice+1)%syncPoints)*segments
	if lane == refLane {
		m += index
	}
	if n == 0 {
		m, s = slice*segments, 0
		if slice == 0 || lane == refLane {
			m += index
		}
	}
	if index == 0 || lane == refLane {
		m--
	}
	return phi(rand, uint64(m), uint64(s), refLane, lanes)
}

func phi(rand, m, s uint64, lane, lanes uint32) uint32 {
	p := rand & 0xFFFFFFFF
	p = (p * p) >> 32
	p = (p * m) >> 32
	return lane*lanes + uint32((s+m-(p+1))%uint64(lanes))
}

// Work is how many blocks an IDKey call with these parameters processes: the
// memory it actually uses (rounded down to whole segments, at least two
// per segment) times the passes. A hash's cost is proportional to it.
func Work(time, memory uint32, threads uint8) uint64 {
	m := memory / (syncPoints * uint32(threads)) * (syncPoints * uint32(threads))
	m = max(m, 2*syncPoints*uint32(threads))
	return uint64(m) * uint64(time)
}
