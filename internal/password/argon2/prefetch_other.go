//go:build !amd64 || purego || !gc

package argon2

// prefetchBlock is a hint that only the amd64 build gives.
func prefetchBlock(*block) {}
