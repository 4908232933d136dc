//go:build amd64 && gc && !purego

package argon2

// prefetchBlock asks for b's lines with the non-temporal hint, for a block
// read once and not again soon (see processBlocks).
//
//go:noescape
func prefetchBlock(b *block)
